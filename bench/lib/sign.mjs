// The kit's router signature (packages/kit/src/identity.ts signIdentityHeaders
// with an anonymous identity), in plain JS for the peer gateways. If it ever
// drifts from the kit, the subgraphs answer 401 and the bench's check fails.
import { createHmac } from "node:crypto";

export function signAnonymous(secret, now = Date.now()) {
  const timestamp = String(now);
  return {
    "x-store-identity": "",
    "x-store-timestamp": timestamp,
    "x-store-signature": createHmac("sha256", secret).update(`${timestamp}.`).digest("base64url"),
  };
}
