import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
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
  Nonce: "x-store-nonce",
  Signature: "x-store-signature",
  /** The client's address as the router saw it (accounts throttles sign-ins by it). Trusted only because it is signed. */
  ClientIp: "x-store-client-ip",
  /** W3C trace context. Trusted only because it is signed. */
  Traceparent: "traceparent",
  RequestId: "x-request-id",
} as const;

const identityPayload = z.object({
  sub: z.string().min(1),
  roles: z.array(z.enum([Role.Customer, Role.Admin])),
});

/**
 * The layout of the signed string below. It opens the string and prefixes the
 * signature header (`v2=<mac>`), so a subgraph names a version it does not
 * speak instead of reporting a mismatch, and a later layout can be rolled out
 * next to this one.
 */
export const SIGNATURE_VERSION = "v2";

/** How far a signature's timestamp may be from the subgraph's clock; the replay guard remembers a signature as long. */
export const DEFAULT_SIGNATURE_WINDOW_MS = 30_000;

/** The method a graphql-ws connection is signed with: its connectionParams are bound to a connection, not to an HTTP request. */
export const WEBSOCKET_METHOD = "WS";

/** The identity header's value: base64url JSON `{ sub, roles }`, or "" for an anonymous caller. */
export function encodeIdentity(identity: Identity | null): string {
  return identity ? Buffer.from(JSON.stringify({ sub: identity.userId, roles: identity.roles })).toString("base64url") : "";
}

/** What a router signature binds: one request (or one WebSocket connection) to one subgraph. */
export interface RouterRequest {
  /** "POST" or "GET" over HTTP; WEBSOCKET_METHOD for graphql-ws connectionParams. */
  method: string;
  /** The target subgraph's name, as in supergraph.yaml. */
  subgraph: string;
  /** The exact body bytes sent: "" for GET and for a WebSocket connection. */
  body: string | Uint8Array;
  /** The encoded identity (encodeIdentity): "" for an anonymous caller. */
  identity: string;
  /** W3C `traceparent`, when the request carries one. */
  traceparent?: string | undefined;
  /** The client's address, when the router forwards it. */
  clientIp?: string | undefined;
  requestId?: string | undefined;
}

/** SHA-256 of the body bytes (a string is taken as its UTF-8 bytes), base64url. */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("base64url");
}

/**
 * The string the HMAC covers, one field per line (no field may hold a line
 * break, so no two requests share one string):
 *
 *     v2 \n METHOD \n subgraph \n sha256(body) \n identity \n traceparent \n client ip \n request id \n nonce \n timestamp
 *
 * Optional fields are empty when absent.
 */
function signedString(request: RouterRequest, nonce: string, timestamp: string): string | undefined {
  const fields = [
    SIGNATURE_VERSION,
    request.method.toUpperCase(),
    request.subgraph,
    bodyDigest(request.body),
    request.identity,
    request.traceparent ?? "",
    request.clientIp ?? "",
    request.requestId ?? "",
    nonce,
    timestamp,
  ];
  return fields.some((field) => /[\r\n]/.test(field)) ? undefined : fields.join("\n");
}

const mac = (secret: string, text: string) => `${SIGNATURE_VERSION}=${createHmac("sha256", secret).update(text).digest("base64url")}`;

export interface SignOptions {
  /** @default Date.now() */
  now?: number;
  /** @default 16 random bytes, base64url */
  nonce?: string;
}

/**
 * Headers the router adds to a subgraph request: the caller's identity and
 * what the subgraph may trust besides (request id, client address, trace
 * context), a nonce and a timestamp, and an HMAC binding all of them to the
 * method, the target subgraph and the exact body. Subgraphs are not public;
 * they trust these headers only when the signature checks out, within a short
 * window, once.
 *
 * Sign each exchange with its own body. A signer may reuse one nonce and
 * timestamp for several fetches of one client request: subgraphs remember
 * signatures, not nonces, so different bodies are different signatures; an
 * identical fetch (same subgraph, same body) needs a nonce of its own, or the
 * second is refused as a replay. Signing with a fresh nonce every time (the
 * default) is always safe.
 */
export function signRouterRequest(secret: string, request: RouterRequest, options: SignOptions = {}): Record<string, string> {
  const timestamp = String(options.now ?? Date.now());
  const nonce = options.nonce ?? randomBytes(16).toString("base64url");
  const text = signedString(request, nonce, timestamp);
  if (text === undefined) throw new Error("a signed router request field holds a line break");
  return {
    [IdentityHeader.Identity]: request.identity,
    ...(request.traceparent ? { [IdentityHeader.Traceparent]: request.traceparent } : {}),
    ...(request.clientIp ? { [IdentityHeader.ClientIp]: request.clientIp } : {}),
    ...(request.requestId ? { [IdentityHeader.RequestId]: request.requestId } : {}),
    [IdentityHeader.Nonce]: nonce,
    [IdentityHeader.Timestamp]: timestamp,
    [IdentityHeader.Signature]: mac(secret, text),
  };
}

export interface ConnectionParamsRequest {
  /** The subgraph the socket goes to. */
  subgraph: string;
  identity: Identity | null;
  requestId?: string | undefined;
  /**
   * W3C traceparent of the router's span that opens the socket: the
   * subscriptions started on it are its children. Signed like the rest.
   */
  traceparent?: string | undefined;
}

/**
 * The graphql-ws `connectionParams` with which the router opens an upstream
 * subscription socket: the identity signed for one connection (method
 * WEBSOCKET_METHOD, the target subgraph, an empty body) with a nonce, so that
 * captured params cannot open a second socket. Subgraphs verify them once,
 * when the connection opens, and run every operation on that socket as this
 * identity. Sign again for every (re)connection.
 */
export function signConnectionParams(secret: string, request: ConnectionParamsRequest, options: SignOptions = {}): Record<string, string> {
  return signRouterRequest(
    secret,
    { method: WEBSOCKET_METHOD, subgraph: request.subgraph, body: "", identity: encodeIdentity(request.identity), requestId: request.requestId, traceparent: request.traceparent },
    options,
  );
}

/** A router request whose signature checked out (not yet checked against replays: see acceptRouterRequest). */
export interface VerifiedRouterRequest {
  ok: true;
  identity: Identity | null;
  clientIp: string | undefined;
  traceparent: string | undefined;
  requestId: string | undefined;
  /** The signature header: what the replay guard remembers. */
  signature: string;
  /** When the timestamp leaves the window (epoch ms): the replay guard may forget the signature then. */
  expiresAt: number;
}

export type RouterSignatureCheck = VerifiedRouterRequest | { ok: false; reason: string };

type HeaderSource = Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface VerifyOptions {
  /** How the request arrived: the HTTP method, or WEBSOCKET_METHOD for connectionParams. */
  method: string;
  /** This subgraph's name: a signature for another subgraph is refused. */
  subgraph: string;
  /** The raw body bytes received ("" for GET and WebSocket). */
  body: string | Uint8Array;
  /** Request headers (lower-case names), or connectionParams as headers. */
  headers: HeaderSource;
  /** @default DEFAULT_SIGNATURE_WINDOW_MS */
  windowMs?: number;
  /** @default Date.now() */
  now?: number;
}

const TIMESTAMP = /^\d{1,16}$/;
const NONCE = /^[\w-]{16,128}$/;

/** Checks a router signature: its fields, its window and its HMAC. Pure; replays are the guard's business. */
export function verifyRouterSignature(secret: string, options: VerifyOptions): RouterSignatureCheck {
  const { headers, windowMs = DEFAULT_SIGNATURE_WINDOW_MS, now = Date.now() } = options;
  const encoded = header(headers, IdentityHeader.Identity);
  const timestamp = header(headers, IdentityHeader.Timestamp);
  const nonce = header(headers, IdentityHeader.Nonce);
  const signature = header(headers, IdentityHeader.Signature);
  if (encoded === undefined || !timestamp || !nonce || !signature) return { ok: false, reason: "missing router signature" };
  if (!signature.startsWith(`${SIGNATURE_VERSION}=`)) return { ok: false, reason: `router signature is not version ${SIGNATURE_VERSION}` };
  if (!NONCE.test(nonce)) return { ok: false, reason: "router signature nonce is malformed" };
  const ts = Number(timestamp);
  if (!TIMESTAMP.test(timestamp) || Math.abs(now - ts) > windowMs) return { ok: false, reason: "router signature timestamp out of range" };
  const request: RouterRequest = {
    method: options.method,
    subgraph: options.subgraph,
    body: options.body,
    identity: encoded,
    traceparent: header(headers, IdentityHeader.Traceparent) || undefined,
    clientIp: header(headers, IdentityHeader.ClientIp) || undefined,
    requestId: header(headers, IdentityHeader.RequestId) || undefined,
  };
  const text = signedString(request, nonce, timestamp);
  if (text === undefined) return { ok: false, reason: "router signature fields are malformed" };
  const expected = Buffer.from(mac(secret, text));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "router signature does not match" };
  }
  let identity: Identity | null = null;
  if (encoded !== "") {
    try {
      const parsed = identityPayload.parse(JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")));
      identity = { userId: parsed.sub, roles: parsed.roles };
    } catch {
      return { ok: false, reason: "identity header is malformed" };
    }
  }
  return { ok: true, identity, clientIp: request.clientIp, traceparent: request.traceparent, requestId: request.requestId, signature, expiresAt: ts + windowMs };
}

export const isAdmin = (identity: Identity | null): boolean => identity?.roles.includes(Role.Admin) ?? false;
