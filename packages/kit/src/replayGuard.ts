import { Redis } from "ioredis";
import { LRUCache } from "lru-cache";
import type { Logger } from "./logger.ts";
import { verifyRouterSignature, type VerifiedRouterRequest, type VerifyOptions } from "./identity.ts";

/**
 * - `fresh`: never seen; remembered from now on.
 * - `replayed`: seen before, within its window.
 * - `unverifiable`: so old that the guard may already have forgotten it
 *   (the in-memory guard, under more load than it holds): refused, as a replay might be.
 */
export type ReplayVerdict = "fresh" | "replayed" | "unverifiable";

/**
 * Remembers the router signatures a subgraph accepted for as long as their
 * timestamps are inside the window, so that a captured request or set of
 * connectionParams is accepted once. Keyed by the signature value, not the
 * nonce: the router may sign several fetches of one client request with one
 * nonce, and those differ in their body digest, so in their signature.
 */
export interface ReplayGuard {
  /**
   * Records `signature` until `expiresAt` (epoch ms) and tells whether it was
   * new. Rejects with ReplayGuardUnavailableError when its store cannot answer.
   */
  claim(signature: string, expiresAt: number, now?: number): Promise<ReplayVerdict>;
  close(): Promise<void>;
}

/** The guard's store (Redis) did not answer: the request can be neither accepted nor called a replay. */
export class ReplayGuardUnavailableError extends Error {
  override readonly name = "ReplayGuardUnavailableError";
}

export interface MemoryReplayGuardOptions {
  /**
   * Signatures remembered at most. Past that, the oldest are forgotten early
   * and any signature no newer than the newest forgotten one is refused
   * (`unverifiable`): memory stays bounded and no replay gets through; under
   * sustained load above `maxEntries` per window, only requests that arrive
   * late are refused.
   * @default 100000
   */
  maxEntries?: number;
}

/** One process's guard: enough for a subgraph that runs as a single instance. */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions = {}): ReplayGuard {
  // The latest expiry among signatures forgotten before they expired. Every
  // signature has the same window, so an earlier expiry is an earlier timestamp.
  let forgottenUntil = 0;
  const seen = new LRUCache<string, number>({
    // A size of one per entry rather than `max`, which makes lru-cache
    // allocate room for every entry up front: 15-30 ms per subgraph, paid at
    // every start, for memory that fills only under load.
    maxSize: options.maxEntries ?? 100_000,
    sizeCalculation: () => 1,
    // Nothing reads entries (has() does not refresh them), so "least recently
    // used" is "inserted first", the oldest timestamp give or take the clock.
    dispose: (expiresAt, _signature, reason) => {
      if (reason === "evict" && expiresAt > forgottenUntil) forgottenUntil = expiresAt;
    },
  });
  return {
    async claim(signature, expiresAt, now = Date.now()) {
      if (seen.has(signature)) return "replayed";
      if (expiresAt <= forgottenUntil) return "unverifiable";
      seen.set(signature, expiresAt, { ttl: Math.max(1, expiresAt - now) });
      return "fresh";
    },
    async close() {
      seen.clear();
    },
  };
}

export interface RedisReplayGuardOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /**
   * Put before every key, so that deployments (and tests) can share one Redis.
   * @default "store:"
   */
  keyPrefix?: string;
  /**
   * How long one check may wait for Redis (including while it reconnects)
   * before the request is refused as unavailable.
   * @default 1000
   */
  commandTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Extra time a signature is kept in Redis past its expiry on this clock:
 * other instances of the subgraph, with clocks slightly behind, still accept
 * its timestamp for that long.
 */
const CLOCK_MARGIN_MS = 1_000;

/**
 * The guard every instance of one subgraph shares: `SET key NX PX ttl`, atomic
 * in Redis, so a signature is fresh on exactly one instance.
 *
 * When Redis cannot answer, the guard fails closed (the request gets 503
 * SERVICE_OVERLOADED), for two reasons. Failing open would let anyone who can
 * disturb Redis switch replay protection off for every instance; and falling
 * back to a per-instance memory would still accept a replay once per other
 * instance. The refusal lasts only while Redis is away: a check waits at most
 * `commandTimeoutMs`, ioredis reconnects for ever (backing off to 2 s), and
 * the first check after it is back succeeds. A 503 says "try again", where a
 * 401 would say the router's signing is broken.
 */
export function createRedisReplayGuard(options: RedisReplayGuardOptions): ReplayGuard {
  const prefix = `${options.keyPrefix ?? "store:"}router-signature:`;
  const log = options.logger?.child({ component: "replay-guard" });
  let healthy = true;
  const redis = new Redis(options.url, {
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    // Queued while disconnected, but each check is bounded by commandTimeout;
    // a failed reconnect attempt fails the queue instead of keeping it.
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: false,
  });
  // Without a listener ioredis prints every failed reconnection to stderr.
  redis.on("error", (error: Error) => {
    if (healthy) log?.warn({ err: error }, "replay guard cannot reach Redis: signed requests are refused until it is back");
    healthy = false;
  });
  redis.on("ready", () => {
    if (!healthy) log?.info("replay guard reached Redis again");
    healthy = true;
  });
  return {
    async claim(signature, expiresAt, now = Date.now()) {
      const ttl = Math.max(1, Math.ceil(expiresAt - now)) + CLOCK_MARGIN_MS;
      let answer: string | null;
      try {
        answer = await redis.set(`${prefix}${signature}`, "1", "PX", ttl, "NX");
      } catch (error) {
        throw new ReplayGuardUnavailableError(`the replay guard's Redis did not answer: ${(error as Error).message}`, { cause: error });
      }
      return answer === "OK" ? "fresh" : "replayed";
    },
    async close() {
      // QUIT would wait in the offline queue for a Redis that may never come back.
      if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

export interface ReplayGuardOptions {
  /** Shares the guard among instances through Redis when set; else each process remembers on its own. */
  redisUrl?: string | undefined;
  /** @default "store:" */
  keyPrefix?: string | undefined;
  logger?: Logger;
}

/** The Redis guard when REDIS_URL is configured, else the in-memory one. */
export function createReplayGuard(options: ReplayGuardOptions = {}): ReplayGuard {
  return options.redisUrl
    ? createRedisReplayGuard({ url: options.redisUrl, ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}), ...(options.logger ? { logger: options.logger } : {}) })
    : createMemoryReplayGuard();
}

export type AcceptedRouterRequest = VerifiedRouterRequest | { ok: false; reason: string; unavailable: boolean };

/**
 * Verifies a router signature and claims it: the whole check a subgraph runs
 * on each request and each WebSocket connection. `unavailable` is set when the
 * guard could not answer (answer 503, not 401).
 */
export async function acceptRouterRequest(secret: string, guard: ReplayGuard, options: VerifyOptions): Promise<AcceptedRouterRequest> {
  const now = options.now ?? Date.now();
  const verified = verifyRouterSignature(secret, { ...options, now });
  if (!verified.ok) return { ...verified, unavailable: false };
  try {
    const verdict = await guard.claim(verified.signature, verified.expiresAt, now);
    if (verdict === "replayed") return { ok: false, reason: "router signature was already used", unavailable: false };
    if (verdict === "unverifiable") return { ok: false, reason: "router signature is older than the replay guard remembers", unavailable: false };
  } catch (error) {
    if (error instanceof ReplayGuardUnavailableError) return { ok: false, reason: error.message, unavailable: true };
    throw error;
  }
  return verified;
}
