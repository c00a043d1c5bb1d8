// The kit's router signature (packages/kit/src/identity.ts signRouterRequest),
// in plain JS for the peer gateways and the bench's taps. If it ever drifts
// from the kit, the subgraphs answer 401 and the bench's correctness check fails.
import { createHash, createHmac, randomBytes } from "node:crypto";

const VERSION = "v2";

/** The identity header's value; `identity` is `{ userId, roles }` or null for an anonymous caller. */
export const encodeIdentity = (identity) => (identity ? Buffer.from(JSON.stringify({ sub: identity.userId, roles: identity.roles })).toString("base64url") : "");

/**
 * Signed headers for one request to one subgraph: sign in a fetch hook, where
 * the body is known, with exactly the body sent. Each call has its own nonce;
 * subgraphs accept each signature once, within 30 s (by default).
 */
export function signRequest(secret, { method = "POST", subgraph, body = "", identity = null, traceparent = "", clientIp = "", requestId = "" }, now = Date.now()) {
  if (!subgraph) throw new Error("signRequest: the target subgraph's name is part of the signature");
  const encoded = encodeIdentity(identity);
  const nonce = randomBytes(16).toString("base64url");
  const timestamp = String(now);
  const digest = createHash("sha256").update(body).digest("base64url");
  const text = [VERSION, method.toUpperCase(), subgraph, digest, encoded, traceparent, clientIp, requestId, nonce, timestamp].join("\n");
  return {
    "x-store-identity": encoded,
    ...(traceparent ? { traceparent } : {}),
    ...(clientIp ? { "x-store-client-ip": clientIp } : {}),
    ...(requestId ? { "x-request-id": requestId } : {}),
    "x-store-nonce": nonce,
    "x-store-timestamp": timestamp,
    "x-store-signature": `${VERSION}=${createHmac("sha256", secret).update(text).digest("base64url")}`,
  };
}

/** graphql-ws connectionParams for one connection to `subgraph` (method WS, empty body). */
export const signConnection = (secret, subgraph, identity, requestId = "") => signRequest(secret, { method: "WS", subgraph, body: "", identity, requestId });

/** The identity the peer gateways forward: BENCH_IDENTITY (JSON `{ userId, roles }`), else anonymous. */
export const benchIdentity = () => (process.env.BENCH_IDENTITY ? JSON.parse(process.env.BENCH_IDENTITY) : null);

/** Subgraph names by routing URL, from a supergraph's `@join__graph(name:, url:)`: a fetch hook knows only the URL. */
export function subgraphNamesByUrl(supergraphSdl) {
  const names = new Map();
  for (const [, name, url] of supergraphSdl.matchAll(/@join__graph\(\s*name:\s*"([^"]+)"\s*,\s*url:\s*"([^"]*)"\s*\)/g)) names.set(url, name);
  return names;
}
