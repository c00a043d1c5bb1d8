import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInProcessBus } from "@store/events";
import { encodeIdentity, signRouterRequest, silentLogger } from "@store/kit";
import { countQueries, createTestDatabase, errorCodes, eventually, TEST_SIGNING_SECRET, type QueryCounter, type TestDatabase } from "@store/testing";
import { accountsService } from "../src/service.ts";
import { clientIpKey, connectThrottleRedis, createSignInThrottle, type SignInThrottleOptions } from "../src/signInThrottle.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const JWT_SECRET = "accounts-test-secret-that-is-long-enough-0123456789";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PASSWORD = "the-right-password";

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { user { id } } }`;

let db: TestDatabase;
let prisma: Db;
let sql: QueryCounter;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "accounts_throttle" });
  prisma = accountsService.createPrisma({ url: db.url });
  sql = countQueries(prisma);
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe("clientIpKey", () => {
  it("counts IPv4 as it is and IPv6 by its /64, and ignores what is no address", () => {
    expect(clientIpKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientIpKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(clientIpKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientIpKey("2001:DB8:1:2:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(clientIpKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientIpKey("::1")).toBe("0:0:0:0::/64");
    expect(clientIpKey("64:ff9b::203.0.113.9")).toBe("64:ff9b:0:0::/64");
    expect(clientIpKey("2001:db8:1:3::1")).not.toBe(clientIpKey("2001:db8:1:2::1"));
    expect(clientIpKey("not-an-address")).toBeUndefined();
    expect(clientIpKey(undefined)).toBeUndefined();
  });
});

for (const store of ["memory", "redis"] as const) {
  describe(`signIn throttling (${store})`, () => {
    // Unique per run, so parallel runs and earlier ones never share a count; deleted afterwards.
    const keyPrefix = `test:${randomUUID()}:`;
    let redis: Redis | undefined;

    beforeAll(async () => {
      if (store !== "redis") return;
      redis = connectThrottleRedis(REDIS_URL);
      // No offline queue: a command before "ready" would be counted in memory instead.
      if (redis.status !== "ready") await once(redis, "ready");
    });

    afterAll(async () => {
      if (!redis) return;
      const keys = await keysUnder(redis, keyPrefix);
      if (keys.length > 0) await redis.del(...keys);
      expect(await keysUnder(redis, keyPrefix)).toEqual([]);
      await redis.quit();
    });

    function accounts(options: SignInThrottleOptions, redisClient = redis) {
      const { subgraph } = accountsService.build({
        prisma,
        bus: createInProcessBus({ logger: silentLogger }),
        logger: silentLogger,
        resources: { jwtSecret: JWT_SECRET, signInThrottle: createSignInThrottle({ redis: redisClient, keyPrefix, ...options }) },
      });
      stops.push(() => subgraph.stop());
      const signIn = (email: string, password: string, clientIp?: string) => subgraph.execute<{ signIn: { user: { id: string } } }>(SIGN_IN, { input: { email, password } }, clientIp ? { clientIp } : {});
      return { subgraph, signIn };
    }

    async function newUser(subgraph: ReturnType<typeof accounts>["subgraph"]): Promise<string> {
      const email = `throttled-${randomUUID()}@example.com`;
      const result = await subgraph.execute(SIGN_UP, { input: { email, name: "Throttled", password: PASSWORD } });
      expect(result.errors).toBeUndefined();
      return email;
    }

    type Result = Awaited<ReturnType<ReturnType<typeof accounts>["signIn"]>>;
    const retryAfterOf = (result: Result) => result.errors?.[0]?.extensions?.retryAfterSeconds;

    it("refuses an account after its free failures with RATE_LIMITED, before any SQL, the right password included", async () => {
      const { subgraph, signIn } = accounts({ account: { freeFailures: 3 }, baseBlockSeconds: 30 });
      const email = await newUser(subgraph);
      for (let i = 0; i < 3; i++) expect(errorCodes(await signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
      sql.reset();
      const blocked = await signIn(email, PASSWORD);
      expect(sql.count).toBe(0);
      expect(errorCodes(blocked)).toEqual(["RATE_LIMITED"]);
      expect(blocked.data).toBeNull();
      expect(retryAfterOf(blocked)).toBeGreaterThanOrEqual(29);
      expect(retryAfterOf(blocked)).toBeLessThanOrEqual(30);
      // Refused attempts are not failures: the wait does not grow while the client keeps asking.
      expect(retryAfterOf(await signIn(email, PASSWORD))).toBeLessThanOrEqual(30);
    });

    it("doubles the wait with every failure past the allowance", async () => {
      const { subgraph, signIn } = accounts({ account: { freeFailures: 1 }, baseBlockSeconds: 1, maxBlockSeconds: 60 });
      const email = await newUser(subgraph);
      expect(errorCodes(await signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
      for (const seconds of [1, 2]) {
        expect(retryAfterOf(await signIn(email, "wrong-password"))).toBe(seconds);
        // Polls until the block is over: refused polls do not count, the first answered one is the next failure.
        const answered = await eventually(
          async () => {
            const codes = errorCodes(await signIn(email, "wrong-password"));
            return codes[0] === "RATE_LIMITED" ? undefined : codes;
          },
          { what: `the ${seconds} s block to end`, intervalMs: 100 },
        );
        expect(answered).toEqual(["INVALID_CREDENTIALS"]);
      }
      expect(retryAfterOf(await signIn(email, "wrong-password"))).toBe(4);
    });

    it("forgets an account's failures when it signs in", async () => {
      const { subgraph, signIn } = accounts({ account: { freeFailures: 3 }, baseBlockSeconds: 30 });
      const email = await newUser(subgraph);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) expect(errorCodes(await signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
        expect((await signIn(email, PASSWORD)).errors).toBeUndefined();
      }
      for (let i = 0; i < 3; i++) expect(errorCodes(await signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
      expect(errorCodes(await signIn(email, PASSWORD))).toEqual(["RATE_LIMITED"]);
    });

    it("throttles an email that has no account exactly like one that has", async () => {
      const { signIn } = accounts({ account: { freeFailures: 2 }, baseBlockSeconds: 30 });
      const nobody = `nobody-${randomUUID()}@example.com`;
      expect((await Promise.all([signIn(nobody, PASSWORD), signIn(nobody, PASSWORD)])).map(errorCodes)).toEqual([["INVALID_CREDENTIALS"], ["INVALID_CREDENTIALS"]]);
      expect(errorCodes(await signIn(nobody, PASSWORD))).toEqual(["RATE_LIMITED"]);
    });

    it("refuses a client address that failed at many accounts, and no other address", async () => {
      const { subgraph, signIn } = accounts({ account: { freeFailures: 100 }, clientIp: { freeFailures: 3 }, baseBlockSeconds: 30 });
      const victim = await newUser(subgraph);
      const guesser = "2001:db8:7:7::10";
      for (let i = 0; i < 3; i++) expect(errorCodes(await signIn(`target-${i}-${randomUUID()}@example.com`, "guess", guesser))).toEqual(["INVALID_CREDENTIALS"]);
      // Another host in the same /64 is the same client.
      expect(errorCodes(await signIn(victim, PASSWORD, "2001:db8:7:7::99"))).toEqual(["RATE_LIMITED"]);
      expect((await signIn(victim, PASSWORD, "198.51.100.20")).errors).toBeUndefined();
      expect((await signIn(victim, PASSWORD)).errors).toBeUndefined();
    });

    it("does not count an attempt abandoned for a reason of ours", async () => {
      const throttle = createSignInThrottle({ redis, keyPrefix, account: { freeFailures: 2 }, baseBlockSeconds: 30 });
      const email = `abandoned-${randomUUID()}@example.com`;
      for (let i = 0; i < 5; i++) await (await throttle.begin(email, "203.0.113.50")).abandoned();
      await throttle.begin(email, "203.0.113.50");
      await expect(throttle.begin(email, "203.0.113.50")).resolves.toBeDefined();
      await expect(throttle.begin(email, "203.0.113.50")).rejects.toMatchObject({ extensions: { code: "RATE_LIMITED" } });
    });

    it("answers HTTP 429 with Retry-After when the router's request is refused", async () => {
      const { subgraph } = accounts({ account: { freeFailures: 1 }, baseBlockSeconds: 30 });
      const running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
      const post = async (email: string) => {
        const body = JSON.stringify({ query: SIGN_IN, variables: { input: { email, password: "wrong-password" } } });
        const headers = signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "accounts", body, identity: encodeIdentity(null), clientIp: "192.0.2.77" });
        const response = await fetch(running.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
        return { status: response.status, retryAfter: response.headers.get("retry-after"), result: (await response.json()) as { data: unknown; errors: { extensions: { code: string; retryAfterSeconds?: number } }[] } };
      };
      const email = `http-${randomUUID()}@example.com`;
      const first = await post(email);
      expect(first.status).toBe(200);
      expect(first.result.errors.map((e) => e.extensions.code)).toEqual(["INVALID_CREDENTIALS"]);
      const refused = await post(email);
      expect(refused.status).toBe(429);
      expect(refused.result).toMatchObject({ data: null, errors: [{ extensions: { code: "RATE_LIMITED" } }] });
      expect(refused.retryAfter).toBe(String(refused.result.errors[0]!.extensions.retryAfterSeconds));
    });

    if (store === "redis") {
      it("shares counts between accounts instances, under digests rather than emails", async () => {
        // A second client stands for a second process.
        const other = connectThrottleRedis(REDIS_URL);
        stops.push(async () => void (await other.quit()));
        if (other.status !== "ready") await once(other, "ready");
        const a = accounts({ account: { freeFailures: 3 }, baseBlockSeconds: 30 });
        const b = accounts({ account: { freeFailures: 3 }, baseBlockSeconds: 30 }, other);
        const email = await newUser(a.subgraph);
        expect(errorCodes(await a.signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
        expect(errorCodes(await b.signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
        expect(errorCodes(await a.signIn(email, "wrong-password"))).toEqual(["INVALID_CREDENTIALS"]);
        expect(errorCodes(await b.signIn(email, PASSWORD))).toEqual(["RATE_LIMITED"]);
        const keys = await keysUnder(redis!, keyPrefix);
        expect(keys.length).toBeGreaterThan(0);
        expect(keys.some((key) => key.includes("@"))).toBe(false);
      });
    }
  });
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}
