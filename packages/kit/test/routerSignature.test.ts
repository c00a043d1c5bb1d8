import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customer, eventually, TEST_SIGNING_SECRET } from "@store/testing";
import {
  acceptRouterRequest,
  createMemoryReplayGuard,
  createRedisReplayGuard,
  createSubgraph,
  encodeIdentity,
  ERRORS,
  gql,
  IdentityHeader,
  signConnectionParams,
  signRouterRequest,
  silentLogger,
  verifyRouterSignature,
  WEBSOCKET_METHOD,
  type RequestContextBase,
  type RouterRequest,
  type RunningSubgraph,
  type Subgraph,
} from "../src/index.ts";
import { Redis } from "ioredis";

const SECRET = TEST_SIGNING_SECRET;
const BODY = `{"query":"{ hello }","variables":{}}`;
const ada = customer();

const request = (overrides: Partial<RouterRequest> = {}): RouterRequest => ({ method: "POST", subgraph: "orders", body: BODY, identity: encodeIdentity(ada), ...overrides });
const verify = (headers: Record<string, string>, overrides: { method?: string; subgraph?: string; body?: string | Uint8Array; now?: number; windowMs?: number } = {}) =>
  verifyRouterSignature(SECRET, { method: "POST", subgraph: "orders", body: BODY, headers, ...overrides });
const reasonOf = (check: ReturnType<typeof verify>) => (check.ok ? "ok" : check.reason);

describe("router signatures", () => {
  it("vouch for the identity and what else the router forwards", () => {
    const headers = signRouterRequest(SECRET, request({ clientIp: "203.0.113.9", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", requestId: "req-1" }));
    const check = verify(headers);
    expect(check).toMatchObject({ ok: true, identity: ada, clientIp: "203.0.113.9", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", requestId: "req-1" });
    expect(verify(signRouterRequest(SECRET, request({ identity: "" })))).toMatchObject({ ok: true, identity: null, clientIp: undefined });
  });

  it("cover the exact body bytes", () => {
    const headers = signRouterRequest(SECRET, request());
    expect(verify(headers, { body: Buffer.from(BODY) }).ok).toBe(true);
    expect(reasonOf(verify(headers, { body: BODY.replace("hello", "secrets") }))).toBe("router signature does not match");
    expect(reasonOf(verify(headers, { body: `${BODY} ` }))).toBe("router signature does not match");
    expect(reasonOf(verify(headers, { body: "" }))).toBe("router signature does not match");
  });

  it("bind the target subgraph and the method", () => {
    const headers = signRouterRequest(SECRET, request());
    expect(reasonOf(verify(headers, { subgraph: "accounts" }))).toBe("router signature does not match");
    expect(reasonOf(verify(headers, { method: "GET" }))).toBe("router signature does not match");
    // connectionParams open a socket; they are no HTTP request, and the other way round.
    const params = signConnectionParams(SECRET, { subgraph: "orders", identity: ada });
    expect(verify(params, { method: WEBSOCKET_METHOD, body: "" }).ok).toBe(true);
    expect(reasonOf(verify(params, { method: "GET", body: "" }))).toBe("router signature does not match");
    expect(reasonOf(verify(params, { method: WEBSOCKET_METHOD, subgraph: "shipping", body: "" }))).toBe("router signature does not match");
  });

  it("expire after the window, which is configurable", () => {
    const now = Date.now();
    const headers = signRouterRequest(SECRET, request(), { now });
    expect(verify(headers, { now: now + 30_000 }).ok).toBe(true);
    expect(reasonOf(verify(headers, { now: now + 30_001 }))).toBe("router signature timestamp out of range");
    expect(reasonOf(verify(headers, { now: now - 30_001 }))).toBe("router signature timestamp out of range");
    expect(reasonOf(verify(headers, { now: now + 5_001, windowMs: 5_000 }))).toBe("router signature timestamp out of range");
    expect(verify(headers, { now: now + 60_000, windowMs: 120_000 })).toMatchObject({ ok: true, expiresAt: now + 120_000 });
  });

  it("refuse a tampered identity, a forwarded field added or removed, another secret", () => {
    const headers = signRouterRequest(SECRET, request({ clientIp: "203.0.113.9" }));
    const admin = Buffer.from(JSON.stringify({ sub: ada.userId, roles: ["ADMIN"] })).toString("base64url");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Identity]: admin }))).toBe("router signature does not match");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Identity]: "" }))).toBe("router signature does not match");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.ClientIp]: "198.51.100.1" }))).toBe("router signature does not match");
    const { [IdentityHeader.ClientIp]: _removed, ...withoutIp } = headers;
    expect(reasonOf(verify(withoutIp))).toBe("router signature does not match");
    // Trace context is trusted only because it is signed: one added on the way is refused.
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Traceparent]: "00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01" }))).toBe("router signature does not match");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.RequestId]: "someone-else" }))).toBe("router signature does not match");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Nonce]: "AAAAAAAAAAAAAAAAAAAAAA" }))).toBe("router signature does not match");
    expect(reasonOf(verify(signRouterRequest("another-secret-another-secret-0123", request())))).toBe("router signature does not match");
  });

  it("refuse what is missing, malformed or of another version", () => {
    const headers = signRouterRequest(SECRET, request());
    expect(reasonOf(verify({}))).toBe("missing router signature");
    for (const name of [IdentityHeader.Nonce, IdentityHeader.Timestamp, IdentityHeader.Signature]) {
      const { [name]: _dropped, ...rest } = headers;
      expect(reasonOf(verify(rest))).toBe("missing router signature");
    }
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Signature]: headers[IdentityHeader.Signature]!.replace(/^v2=/, "v1=") }))).toBe("router signature is not version v2");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Nonce]: "short" }))).toBe("router signature nonce is malformed");
    expect(reasonOf(verify({ ...headers, [IdentityHeader.Timestamp]: "1e12" }))).toBe("router signature timestamp out of range");
    // connectionParams are JSON: a line break must not shift one field into the next.
    expect(reasonOf(verify({ ...headers, [IdentityHeader.RequestId]: "a\nb" }))).toBe("router signature fields are malformed");
    expect(() => signRouterRequest(SECRET, request({ requestId: "a\nb" }))).toThrow(/line break/);
    const garbage = signRouterRequest(SECRET, request({ identity: "bm90IGpzb24" }));
    expect(reasonOf(verify(garbage))).toBe("identity header is malformed");
  });
});

describe("acceptRouterRequest with the in-memory replay guard", () => {
  const accept = (guard: ReturnType<typeof createMemoryReplayGuard>, headers: Record<string, string>, body = BODY, now?: number) =>
    acceptRouterRequest(SECRET, guard, { method: "POST", subgraph: "orders", body, headers, ...(now === undefined ? {} : { now }) });

  it("accepts a signature once", async () => {
    const guard = createMemoryReplayGuard();
    const headers = signRouterRequest(SECRET, request());
    expect((await accept(guard, headers)).ok).toBe(true);
    expect(await accept(guard, headers)).toEqual({ ok: false, reason: "router signature was already used", unavailable: false });
  });

  it("accepts one nonce and timestamp reused for fetches with other bodies, and refuses an identical one", async () => {
    const guard = createMemoryReplayGuard();
    const shared = { now: Date.now(), nonce: "one-nonce-for-a-client-request" };
    const first = signRouterRequest(SECRET, request(), shared);
    const second = signRouterRequest(SECRET, request({ body: `{"query":"{ other }"}` }), shared);
    expect((await accept(guard, first)).ok).toBe(true);
    expect((await accept(guard, second, `{"query":"{ other }"}`)).ok).toBe(true);
    // The same body with the same nonce is the same signature: a replay, however it was made.
    expect((await accept(guard, signRouterRequest(SECRET, request(), shared))).ok).toBe(false);
  });

  it("does not remember what it refused", async () => {
    const guard = createMemoryReplayGuard();
    const headers = signRouterRequest(SECRET, request());
    expect((await accept(guard, headers, "tampered")).ok).toBe(false);
    expect((await accept(guard, headers)).ok).toBe(true);
  });

  it("stays bounded, and refuses what it may have forgotten instead of accepting a replay", async () => {
    const guard = createMemoryReplayGuard({ maxEntries: 2 });
    const now = Date.now();
    const signed = [0, 1, 2].map((i) => signRouterRequest(SECRET, request(), { now: now + i }));
    for (const headers of signed) expect((await accept(guard, headers, BODY, now + 2)).ok).toBe(true);
    // The first was forgotten to make room: it may be a replay, so it is refused.
    expect(await accept(guard, signed[0]!, BODY, now + 3)).toMatchObject({ ok: false, reason: "router signature is older than the replay guard remembers" });
    expect(await accept(guard, signed[2]!, BODY, now + 3)).toMatchObject({ ok: false, reason: "router signature was already used" });
    expect((await accept(guard, signRouterRequest(SECRET, request(), { now: now + 3 }), BODY, now + 3)).ok).toBe(true);
  });

  it("forgets a signature once its window is over", async () => {
    const guard = createMemoryReplayGuard();
    const now = Date.now();
    const signature = signRouterRequest(SECRET, request(), { now })[IdentityHeader.Signature]!;
    // A window long enough that the second claim falls inside it on a machine whose cores another test run shares.
    expect(await guard.claim(signature, now + 2_000, now)).toBe("fresh");
    expect(await guard.claim(signature, now + 2_000, now)).toBe("replayed");
    // A claim that finds the signature remembered changes nothing, so asking again is how to wait for the window to end.
    await eventually(async () => (await guard.claim(signature, Date.now() + 2_000)) === "fresh", { what: "the guard to forget the signature", intervalMs: 100 });
  });
});

describe("the Redis replay guard", () => {
  const REDIS_URL = "redis://127.0.0.1:6379";
  const prefix = `test:${process.pid}:${Date.now()}:`;
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(REDIS_URL, { lazyConnect: false });
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it("is shared by every instance using the same Redis and prefix, and by no other prefix", async () => {
    const a = createRedisReplayGuard({ url: REDIS_URL, keyPrefix: prefix });
    const b = createRedisReplayGuard({ url: REDIS_URL, keyPrefix: prefix });
    const other = createRedisReplayGuard({ url: REDIS_URL, keyPrefix: `${prefix}other:` });
    try {
      const headers = signRouterRequest(SECRET, request());
      const check = { method: "POST", subgraph: "orders", body: BODY, headers };
      expect((await acceptRouterRequest(SECRET, a, check)).ok).toBe(true);
      expect(await acceptRouterRequest(SECRET, b, check)).toEqual({ ok: false, reason: "router signature was already used", unavailable: false });
      expect((await acceptRouterRequest(SECRET, other, check)).ok).toBe(true);
      // Kept as long as the window (plus a second for other instances' clocks), not for ever.
      const key = `${prefix}router-signature:${headers[IdentityHeader.Signature]}`;
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(31_000);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it("refuses as unavailable (never as a replay, never accepted) while Redis cannot be reached", async () => {
    // Nothing listens on port 1.
    const guard = createRedisReplayGuard({ url: "redis://127.0.0.1:1", keyPrefix: prefix, commandTimeoutMs: 200 });
    try {
      const started = Date.now();
      const result = await acceptRouterRequest(SECRET, guard, { method: "POST", subgraph: "orders", body: BODY, headers: signRouterRequest(SECRET, request()) });
      expect(result).toMatchObject({ ok: false, unavailable: true });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await guard.close();
    }
  });
});

describe("a kit subgraph over HTTP", () => {
  const seen: RequestContextBase[] = [];
  let subgraph: Subgraph<RequestContextBase>;
  let running: RunningSubgraph;

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContextBase>({
      name: "toy",
      typeDefs: gql`
        type Query {
          hello: String
        }
      `,
      resolvers: { Query: { hello: (_: unknown, __: unknown, ctx: RequestContextBase) => (seen.push(ctx), "hi") } },
      logger: silentLogger,
      createContext: (base) => base,
    });
    running = await subgraph.listen({ port: 0, routerSigningSecret: SECRET });
  });
  afterAll(() => subgraph.stop());

  const post = (headers: Record<string, string>, body = BODY) => fetch(running.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });

  it("runs a request signed for it, once, with the signed client address in its context", async () => {
    const headers = signRouterRequest(SECRET, { method: "POST", subgraph: "toy", body: BODY, identity: encodeIdentity(ada), clientIp: "203.0.113.9", requestId: "r-1" });
    const first = await post(headers);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ data: { hello: "hi" } });
    expect(seen.at(-1)).toMatchObject({ identity: ada, requestId: "r-1", clientIp: "203.0.113.9" });
    const replay = await post(headers);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(ERRORS.INVALID_ROUTER_SIGNATURE.code);
  });

  it("refuses a body other than the one signed, and a signature for another subgraph", async () => {
    const signed = signRouterRequest(SECRET, { method: "POST", subgraph: "toy", body: BODY, identity: "" });
    expect((await post(signed, `{"query":"{ __typename }"}`)).status).toBe(401);
    expect((await post(signRouterRequest(SECRET, { method: "POST", subgraph: "orders", body: BODY, identity: "" }))).status).toBe(401);
  });

  it("checks a GET against the digest of an empty body", async () => {
    const headers = signRouterRequest(SECRET, { method: "GET", subgraph: "toy", body: "", identity: "" });
    const response = await fetch(`${running.url}?query=${encodeURIComponent("{ hello }")}`, { headers: { ...headers, "apollo-require-preflight": "true" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: "hi" } });
  });

  it("answers 503 SERVICE_OVERLOADED, not 401 or 500, while its Redis replay guard is away", async () => {
    const away = createSubgraph<RequestContextBase>({ name: "toy", typeDefs: gql`type Query { hello: String }`, resolvers: {}, logger: silentLogger, createContext: (base) => base });
    const guard = createRedisReplayGuard({ url: "redis://127.0.0.1:1", commandTimeoutMs: 200 });
    const listening = await away.listen({ port: 0, routerSigningSecret: SECRET, replayGuard: guard });
    try {
      const response = await fetch(listening.url, { method: "POST", headers: { ...signRouterRequest(SECRET, { method: "POST", subgraph: "toy", body: BODY, identity: "" }), "content-type": "application/json" }, body: BODY });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe(ERRORS.SERVICE_OVERLOADED.code);
    } finally {
      await away.stop();
      await guard.close();
    }
  });
});
