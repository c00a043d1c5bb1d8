import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { Writable } from "node:stream";
import { ApolloServer } from "@apollo/server";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, silentLogger, type Logger } from "@store/kit";
import { eventually } from "@store/testing";
import { loadRouterConfig } from "../src/config.ts";
import type { ClientKey } from "../src/edge/clientAddress.ts";
import {
  createBudgetSpender,
  createRateLimiter,
  RATE_LIMIT_DEFAULTS,
  rateLimitedError,
  rateLimitOptionsFromConfig,
  useRateLimit,
  type RateLimiter,
  type RateLimitOptions,
  type RateLimitRejection,
} from "../src/plugins/useRateLimit.ts";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
// This run's keys only: the Redis may be shared with other runs and services.
const PREFIX = `test:ratelimit:${randomBytes(4).toString("hex")}`;

let admin: Redis;
const opened: RateLimiter[] = [];

beforeAll(() => {
  admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((limiter) => limiter.close()));
});

afterAll(async () => {
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ match: `${PREFIX}:*`, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

let keyCounter = 0;
/** A client key no other test uses, so tests share no budget by accident. */
const freshUser = (): ClientKey => `user:u${++keyCounter}-${randomBytes(3).toString("hex")}`;

/** A port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A Redis that completes ioredis's handshake and then never answers a
 * script (the limiters' only command): a stalled server, or a half-open link.
 */
async function stalledRedis(): Promise<{ url: string; scriptsReceived(): number; close(): Promise<void> }> {
  let scripts = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let pending = "";
    socket.on("data", (chunk) => {
      pending += String(chunk);
      // Commands are RESP arrays of bulk strings; only each one's name matters here.
      for (let match; (match = /^\*(\d+)\r\n/.exec(pending)); ) {
        let at = match[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(match[1]); i++) {
          const bulk = /^\$(\d+)\r\n/.exec(pending.slice(at));
          if (!bulk || pending.length < at + bulk[0].length + Number(bulk[1]) + 2) return; // incomplete: wait for more
          args.push(pending.slice(at + bulk[0].length, at + bulk[0].length + Number(bulk[1])));
          at += bulk[0].length + Number(bulk[1]) + 2;
        }
        pending = pending.slice(at);
        const name = args[0]?.toLowerCase() ?? "";
        if (name.startsWith("eval")) scripts++;
        else if (name === "hello") socket.write("-ERR unknown command 'hello'\r\n"); // so ioredis speaks RESP2
        else if (name === "info") socket.write("$21\r\n# Server\r\nloading:0\r\n\r\n");
        else socket.write("+OK\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    scriptsReceived: () => scripts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logger whose lines a test can read. */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: "warn" }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) })) };
}

type Store = "memory" | "redis";

/** A limiter on the given store; a Redis one is returned once it counts in Redis, not in its insurance. */
async function limiterOn(store: Store, options: RateLimitOptions = {}, keyPrefix = `${PREFIX}:${randomBytes(3).toString("hex")}`): Promise<RateLimiter> {
  const limiter = createRateLimiter({ ...options, keyPrefix, ...(store === "redis" ? { redisUrl: REDIS_URL } : {}) }, silentLogger);
  opened.push(limiter);
  if (store === "redis") {
    // Until ioredis is connected, operations are counted in memory; a probe key shows when Redis takes over.
    const probe = freshUser();
    await eventually(async () => (await limiter.consume(probe, "subscription")).ok && (await admin.exists(`${keyPrefix}:subscription:${probe}`)) === 1, { what: "the limiter to count in Redis" });
  }
  return limiter;
}

async function spend(limiter: RateLimiter, key: ClientKey, type: "query" | "mutation" | "subscription", times: number): Promise<void> {
  for (let i = 0; i < times; i++) expect(await limiter.consume(key, type), `${type} ${i + 1} of ${times}`).toEqual({ ok: true });
}

describe.each<Store>(["memory", "redis"])("createRateLimiter on %s", (store) => {
  it("rejects once the budget is spent, saying when to retry and what the limit is", async () => {
    const limiter = await limiterOn(store, { points: { query: 3 }, durationSeconds: 60 });
    const client = freshUser();
    await spend(limiter, client, "query", 3);
    const rejected = (await limiter.consume(client, "query")) as RateLimitRejection;
    expect(rejected).toEqual({ ok: false, retryAfterSeconds: expect.any(Number), limit: 3 });
    expect(rejected.retryAfterSeconds).toBeGreaterThan(0);
    expect(rejected.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("counts queries, mutations and subscriptions in separate budgets", async () => {
    const limiter = await limiterOn(store, { points: { query: 2, mutation: 1, subscription: 1 } });
    const client = freshUser();
    await spend(limiter, client, "query", 2);
    expect((await limiter.consume(client, "query")).ok).toBe(false);
    await spend(limiter, client, "mutation", 1);
    await spend(limiter, client, "subscription", 1);
    expect(await limiter.consume(client, "mutation")).toMatchObject({ ok: false, limit: 1 });
    expect(await limiter.consume(client, "subscription")).toMatchObject({ ok: false, limit: 1 });
  });

  it("gives each user and each IP a budget of its own", async () => {
    const limiter = await limiterOn(store, { points: { mutation: 1 } });
    const [alice, bob] = [freshUser(), freshUser()];
    const ip: ClientKey = "ip:203.0.113.7";
    await spend(limiter, alice, "mutation", 1);
    expect((await limiter.consume(alice, "mutation")).ok).toBe(false);
    await spend(limiter, bob, "mutation", 1);
    await spend(limiter, ip, "mutation", 1);
    expect((await limiter.consume(ip, "mutation")).ok).toBe(false);
  });

  it("gives the budget back when the window has passed", async () => {
    const limiter = await limiterOn(store, { points: { query: 1 }, durationSeconds: 1 });
    const client = freshUser();
    await spend(limiter, client, "query", 1);
    expect(await limiter.consume(client, "query")).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    await eventually(async () => (await limiter.consume(client, "query")).ok, { timeoutMs: 10_000, what: "the window to pass" });
  });

  it("does not limit a type whose points are 0, nor anything when disabled", async () => {
    const partly = await limiterOn(store, { points: { query: 0, mutation: 1 } });
    const client = freshUser();
    await spend(partly, client, "query", 50);
    await spend(partly, client, "mutation", 1);
    expect((await partly.consume(client, "mutation")).ok).toBe(false);

    const off = createRateLimiter({ enabled: false, points: { query: 1 }, ...(store === "redis" ? { redisUrl: REDIS_URL } : {}) }, silentLogger);
    opened.push(off);
    await spend(off, client, "query", 10);
  });
});

describe("createRateLimiter on a shared Redis", () => {
  it("makes two router instances spend one budget", async () => {
    const keyPrefix = `${PREFIX}:shared`;
    const [first, second] = await Promise.all([limiterOn("redis", { points: { mutation: 4 } }, keyPrefix), limiterOn("redis", { points: { mutation: 4 } }, keyPrefix)]);
    const client = freshUser();
    await spend(first, client, "mutation", 2);
    await spend(second, client, "mutation", 2);
    expect(await first.consume(client, "mutation")).toMatchObject({ ok: false, limit: 4 });
    expect(await second.consume(client, "mutation")).toMatchObject({ ok: false, limit: 4 });
    // <prefix>:<operation type>:<client key>, as documented, with the count of all five attempts.
    expect(await admin.get(`${keyPrefix}:mutation:${client}`)).toBe("6");
  });

  it("counts in memory, without failing, when Redis is unreachable", async () => {
    const { logger, lines } = recordingLogger();
    const limiter = createRateLimiter({ redisUrl: `redis://127.0.0.1:${await closedPort()}`, keyPrefix: `${PREFIX}:down`, points: { query: 2 } }, logger);
    opened.push(limiter);
    const client = freshUser();
    await spend(limiter, client, "query", 2);
    // Still limited: the insurance limiter counts in this process.
    expect(await limiter.consume(client, "query")).toMatchObject({ ok: false, limit: 2 });
    await eventually(() => lines.some((line) => line.includes("Redis unavailable")), { what: "a warning that Redis is unavailable" });
    expect(lines.filter((line) => line.includes("Redis unavailable"))).toHaveLength(1);
  });

  it("counts in memory when a connected Redis stops answering, and drops that connection", async () => {
    const stalled = await stalledRedis();
    try {
      const { logger, lines } = recordingLogger();
      const limiter = createRateLimiter({ redisUrl: stalled.url, keyPrefix: `${PREFIX}:stalled`, points: { query: 2 }, redisCommandTimeoutMs: 100 }, logger);
      opened.push(limiter);
      // Once connected, an operation is sent to Redis, waits out the timeout, and is counted in memory.
      const probe = freshUser();
      await eventually(async () => (await limiter.consume(probe, "subscription")).ok && stalled.scriptsReceived() > 0, { what: "an operation sent to the stalled Redis" });
      await eventually(() => lines.some((line) => line.includes("Redis unavailable") && line.includes("Socket timeout")), { what: "the stalled connection to be dropped" });
      const client = freshUser();
      await spend(limiter, client, "query", 2);
      expect(await limiter.consume(client, "query")).toMatchObject({ ok: false, limit: 2 });
    } finally {
      await stalled.close();
    }
  });
});

describe("createRateLimiter options", () => {
  it("refuses a window that Redis could not expire", () => {
    expect(() => createRateLimiter({ durationSeconds: 0.5 }, silentLogger)).toThrow(/durationSeconds/);
    expect(() => createRateLimiter({ points: { query: -1 } }, silentLogger)).toThrow(/points\.query/);
  });

  it("has the router config's defaults", () => {
    const config = loadRouterConfig({ ROUTER_SIGNING_SECRET: "s".repeat(32), JWT_SECRET: "j".repeat(32) });
    expect(rateLimitOptionsFromConfig(config)).toEqual({ enabled: true, durationSeconds: RATE_LIMIT_DEFAULTS.durationSeconds, keyPrefix: RATE_LIMIT_DEFAULTS.keyPrefix, points: RATE_LIMIT_DEFAULTS.points });
    expect(config.ROUTER_TRUST_PROXY).toBe(false);
    const configured = loadRouterConfig({ ROUTER_SIGNING_SECRET: "s".repeat(32), JWT_SECRET: "j".repeat(32), ROUTER_RATE_LIMIT: "false", REDIS_URL: "redis://cache:6379/2", RATE_LIMIT_QUERY_POINTS: "0" });
    expect(rateLimitOptionsFromConfig(configured)).toMatchObject({ enabled: false, redisUrl: "redis://cache:6379/2", points: { query: 0 } });
    expect(() => loadRouterConfig({ ROUTER_SIGNING_SECRET: "s".repeat(32), JWT_SECRET: "j".repeat(32), REDIS_URL: "http://cache:6379" })).toThrow(ConfigError);
  });
});

describe("the RATE_LIMITED answer", () => {
  const rejection: RateLimitRejection = { ok: false, retryAfterSeconds: 7, limit: 300 };

  it("is a GraphQL error from the catalogue", () => {
    expect(rateLimitedError(rejection).toJSON()).toEqual({ message: expect.any(String), extensions: { code: "RATE_LIMITED", retryAfterSeconds: 7, limit: 300 } });
  });

  it("is what the router's own paths get once a budget is spent (createBudgetSpender); a request without a client key is not limited", async () => {
    const limiter = createRateLimiter({ points: { subscription: 1 } }, silentLogger);
    opened.push(limiter);
    const spend = createBudgetSpender(limiter);
    const context = { identity: null, requestId: "r1", logger: silentLogger, clientKey: freshUser() };
    expect(await spend(context, "subscription")).toBeUndefined();
    expect((await spend(context, "subscription"))?.toJSON()).toEqual({ message: expect.stringMatching(/^Too many requests/), extensions: { code: "RATE_LIMITED", retryAfterSeconds: expect.any(Number), limit: 1 } });
    const { clientKey: _none, ...anonymous } = context;
    expect(await spend(anonymous, "subscription")).toBeUndefined();
  });

  it("is what useRateLimit makes Apollo Server answer once a budget is spent", async () => {
    const limiter = createRateLimiter({ points: { query: 1, mutation: 1 } }, silentLogger);
    opened.push(limiter);
    const apollo = new ApolloServer<{ key: ClientKey }>({
      typeDefs: "type Query { ping: String } type Mutation { poke: String }",
      resolvers: { Query: { ping: () => "pong" }, Mutation: { poke: () => "ok" } },
      plugins: [useRateLimit(limiter, (context) => context.key)],
    });
    await apollo.start();
    try {
      const run = (query: string) => apollo.executeOperation({ query }, { contextValue: { key: "ip:203.0.113.5" } });
      expect((await run("{ ping }")).body).toMatchObject({ singleResult: { data: { ping: "pong" } } });
      const limited = await run("{ ping }");
      expect(limited.http.status).toBe(429);
      expect(limited.http.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(limited.body).toMatchObject({ singleResult: { errors: [{ extensions: { code: "RATE_LIMITED", limit: 1, retryAfterSeconds: expect.any(Number) } }] } });
      expect(JSON.stringify(limited.body)).not.toContain("http");
      // Mutations have a budget of their own.
      expect((await run("mutation { poke }")).body).toMatchObject({ singleResult: { data: { poke: "ok" } } });
    } finally {
      await apollo.stop();
    }
  });
});
