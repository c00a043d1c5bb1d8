// The kit's router signature (packages/kit/src/identity.ts signIdentityHeaders),
// in plain JS for the peer gateways. If it ever drifts from the kit, the
// subgraphs answer 401 and the bench's correctness check fails.
import { createHmac } from "node:crypto";

/** Signed identity headers; `identity` is `{ userId, roles }` or null for an anonymous caller. */
export function signIdentity(secret, identity, now = Date.now()) {
  const encoded = identity ? Buffer.from(JSON.stringify({ sub: identity.userId, roles: identity.roles })).toString("base64url") : "";
  const timestamp = String(now);
  return {
    "x-store-identity": encoded,
    "x-store-timestamp": timestamp,
    "x-store-signature": createHmac("sha256", secret).update(`${timestamp}.${encoded}`).digest("base64url"),
  };
}

/** The identity the peer gateways forward: BENCH_IDENTITY (JSON `{ userId, roles }`), else anonymous. */
export const benchIdentity = () => (process.env.BENCH_IDENTITY ? JSON.parse(process.env.BENCH_IDENTITY) : null);
