import { decodeJwt } from "jose";
import { ERRORS, HttpError, verifyAccessToken, type Identity } from "@store/kit";

const BEARER = /^Bearer\s+(\S+)$/i;

/** The token of a `Bearer <token>` value, or undefined for anything else. */
export function bearerToken(value: unknown): string | undefined {
  return typeof value === "string" ? BEARER.exec(value)?.[1] : undefined;
}

/**
 * The caller an authorization value names, over HTTP (the Authorization
 * header) and WebSocket (`connectionParams.authorization`) alike: nobody
 * (null) when there is no value, else the identity in the access token,
 * verified by the kit (jose: HS256, issuer, audience, expiry). A value that
 * is not `Bearer <token>`, or a token that is invalid or expired, throws the
 * 401 UNAUTHENTICATED answer; over WebSocket its message is the 4401 close
 * reason. `carrier` names where the value came from, for that message.
 */
export async function authenticate(jwtSecret: string, value: unknown, carrier: string): Promise<Identity | null> {
  if (value === undefined || value === null || value === "") return null;
  const token = bearerToken(value);
  if (!token) throw unauthenticated(`${carrier} must be 'Bearer <token>'`);
  const checked = await verifyAccessToken(jwtSecret, token);
  if (!checked.ok) throw unauthenticated(checked.reason === "expired" ? "Access token has expired" : "Access token is invalid");
  return checked.identity;
}

/**
 * When an access token expires (its `exp`, in seconds since the epoch), read
 * with jose's decoder: only for a token `authenticate` has accepted, whose
 * payload is trusted.
 */
export function expiryOf(token: string): number | undefined {
  return decodeJwt(token).exp;
}

function unauthenticated(message: string): HttpError {
  return new HttpError(ERRORS.UNAUTHENTICATED.httpStatus, ERRORS.UNAUTHENTICATED.code, message);
}
