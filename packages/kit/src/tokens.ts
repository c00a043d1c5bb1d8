import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { Role, type Identity } from "./identity.ts";

export const TOKEN_ISSUER = "store-accounts";
export const TOKEN_AUDIENCE = "store";

const claims = z.object({
  sub: z.string().min(1),
  roles: z.array(z.enum([Role.Customer, Role.Admin])),
});

const key = (secret: string) => new TextEncoder().encode(secret);

export interface IssuedToken {
  accessToken: string;
  expiresAt: Date;
}

/** Signs an access token (HS256) for a user; accounts issues it, the router verifies it. */
export async function issueAccessToken(secret: string, identity: Identity, ttlSeconds = 3600, now = Date.now()): Promise<IssuedToken> {
  const iat = Math.floor(now / 1000);
  const exp = iat + ttlSeconds;
  const accessToken = await new SignJWT({ roles: [...identity.roles] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(identity.userId)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key(secret));
  return { accessToken, expiresAt: new Date(exp * 1000) };
}

export type TokenCheck = { ok: true; identity: Identity } | { ok: false; reason: "expired" | "invalid" };

export async function verifyAccessToken(secret: string, token: string): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      algorithms: ["HS256"],
    });
    const parsed = claims.parse(payload);
    return { ok: true, identity: { userId: parsed.sub, roles: parsed.roles } };
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
  }
}
