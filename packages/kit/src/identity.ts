import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

export const Role = { Customer: "CUSTOMER", Admin: "ADMIN" } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The caller as the router vouches for it. `null` is an anonymous caller. */
export interface Identity {
  readonly userId: string;
  readonly roles: readonly Role[];
}

export const IdentityHeader = {
  Identity: "x-store-identity",
  Timestamp: "x-store-timestamp",
  Signature: "x-store-signature",
  RequestId: "x-request-id",
} as const;

const identityPayload = z.object({
  sub: z.string().min(1),
  roles: z.array(z.enum([Role.Customer, Role.Admin])),
});

/** How far a signed request's timestamp may drift from this clock before it is refused (replay window). */
export const SIGNATURE_MAX_SKEW_MS = 5 * 60_000;

function sign(secret: string, timestamp: string, identity: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${identity}`).digest("base64url");
}

/**
 * Headers the router adds to every subgraph request: the caller's identity
 * (empty for anonymous), a timestamp and an HMAC over both. Subgraphs are not
 * public; they trust these headers only when the signature checks out.
 */
export function signIdentityHeaders(secret: string, identity: Identity | null, now = Date.now()): Record<string, string> {
  const encoded = identity
    ? Buffer.from(JSON.stringify({ sub: identity.userId, roles: identity.roles })).toString("base64url")
    : "";
  const timestamp = String(now);
  return {
    [IdentityHeader.Identity]: encoded,
    [IdentityHeader.Timestamp]: timestamp,
    [IdentityHeader.Signature]: sign(secret, timestamp, encoded),
  };
}

/**
 * The graphql-ws `connectionParams` with which the router opens an upstream
 * subscription socket: the same signed identity headers as over HTTP, plus
 * the request id. Subgraphs verify them once, when the connection opens, and
 * run every operation on that socket as this identity.
 */
export function signConnectionParams(secret: string, identity: Identity | null, requestId?: string, now = Date.now()): Record<string, string> {
  return { ...signIdentityHeaders(secret, identity, now), ...(requestId ? { [IdentityHeader.RequestId]: requestId } : {}) };
}

export type VerifiedIdentity = { ok: true; identity: Identity | null } | { ok: false; reason: string };

type HeaderSource = Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function verifyIdentityHeaders(secret: string, headers: HeaderSource, now = Date.now()): VerifiedIdentity {
  const encoded = header(headers, IdentityHeader.Identity);
  const timestamp = header(headers, IdentityHeader.Timestamp);
  const signature = header(headers, IdentityHeader.Signature);
  if (encoded === undefined || !timestamp || !signature) return { ok: false, reason: "missing router signature" };
  const ts = Number(timestamp);
  if (!Number.isSafeInteger(ts) || Math.abs(now - ts) > SIGNATURE_MAX_SKEW_MS) {
    return { ok: false, reason: "router signature timestamp out of range" };
  }
  const expected = Buffer.from(sign(secret, timestamp, encoded));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "router signature does not match" };
  }
  if (encoded === "") return { ok: true, identity: null };
  try {
    const parsed = identityPayload.parse(JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")));
    return { ok: true, identity: { userId: parsed.sub, roles: parsed.roles } };
  } catch {
    return { ok: false, reason: "identity header is malformed" };
  }
}

export const isAdmin = (identity: Identity | null): boolean => identity?.roles.includes(Role.Admin) ?? false;
