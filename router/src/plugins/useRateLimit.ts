/**
 * Per-client rate limits at the router: a budget of operations per window for
 * each client and operation type, counted by rate-limiter-flexible.
 *
 * - The client is its user when the request is authenticated, else its IP
 *   (`clientKeyOf`): signing in moves a shopper from a budget shared with
 *   everyone behind the same NAT to one of their own.
 * - Queries, mutations and subscriptions (starting one over WebSocket) have
 *   separate budgets, so a page that polls cannot starve its own checkout.
 * - Counting is rate-limiter-flexible's fixed window (points per duration,
 *   the window starting at a key's first operation), not a sliding one: a
 *   client can spend up to twice its budget across a window boundary, which
 *   is fine for stopping floods and costs one Redis round trip per operation.
 * - With a Redis URL every router instance counts in the same keys, so the
 *   budget is per client, not per client and instance. When Redis cannot
 *   answer (down, not connected yet, slower than `redisCommandTimeoutMs`) the
 *   insurance limiter counts in this process's memory instead: operations are
 *   still limited, per instance, and never failed because Redis is down.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { BlockList, isIP } from "node:net";
import { HeaderMap, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { sendJson, type Identity, type Logger } from "@store/kit";
import type { RouterConfig } from "../config.ts";
import { ERRORS } from "@store/kit";
import type { GraphQLError } from "../graphql.ts";

export type OperationType = "query" | "mutation" | "subscription";

/** Whose budget an operation spends: `user:<id>` when authenticated, else `ip:<address>`. */
export type ClientKey = `user:${string}` | `ip:${string}`;

export interface RateLimitOptions {
  /**
   * Off: every operation is allowed and nothing is counted (no Redis
   * connection either).
   * @default true
   */
  enabled?: boolean;
  /**
   * Operations of each type one client may run per window. 0 leaves that
   * type unlimited.
   * @default { query: 1200, mutation: 300, subscription: 300 }
   */
  points?: Partial<Record<OperationType, number>>;
  /**
   * Length of the window, in whole seconds (Redis expires keys by the second).
   * @default 60
   */
  durationSeconds?: number;
  /**
   * Redis shared by every router instance (`redis://` or `rediss://`). Unset,
   * each instance counts in its own memory, and N instances allow N times
   * the budget.
   * @default undefined
   */
  redisUrl?: string;
  /**
   * Prefix of every Redis key, so deployments (or tests) can share one Redis.
   * Keys are `<prefix>:<operation type>:<client key>`.
   * @default "store:ratelimit"
   */
  keyPrefix?: string;
  /**
   * How long Redis may take to answer before the operation is counted in
   * memory instead and the connection is dropped and re-established: a
   * stalled Redis costs one slow operation per reconnection, not one per
   * request.
   * @default 500
   */
  redisCommandTimeoutMs?: number;
}

/** The defaults of `RateLimitOptions`; the router's config has the same ones (a test checks). */
export const RATE_LIMIT_DEFAULTS = {
  points: { query: 1200, mutation: 300, subscription: 300 },
  durationSeconds: 60,
  keyPrefix: "store:ratelimit",
  redisCommandTimeoutMs: 500,
} as const satisfies Required<Omit<RateLimitOptions, "enabled" | "redisUrl">>;

export interface RateLimitRejection {
  ok: false;
  /** Whole seconds until the client's window ends (at least 1): the `Retry-After`. */
  retryAfterSeconds: number;
  /** The budget of this operation type per window. */
  limit: number;
}

export type RateLimitDecision = { ok: true } | RateLimitRejection;

export interface RateLimiter {
  /**
   * Spends one operation of `operationType` from the client's budget. Never
   * throws: when nothing can count (not even memory), the operation is allowed.
   */
  consume(key: ClientKey, operationType: OperationType): Promise<RateLimitDecision>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

const ALLOWED: RateLimitDecision = { ok: true };
const OPERATION_TYPES: readonly OperationType[] = ["query", "mutation", "subscription"];

export function createRateLimiter(options: RateLimitOptions, logger: Logger): RateLimiter {
  const durationSeconds = options.durationSeconds ?? RATE_LIMIT_DEFAULTS.durationSeconds;
  const keyPrefix = options.keyPrefix ?? RATE_LIMIT_DEFAULTS.keyPrefix;
  const points = { ...RATE_LIMIT_DEFAULTS.points, ...options.points };
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1) throw new RangeError(`durationSeconds must be a whole number of seconds ≥ 1, not ${durationSeconds}`);
  for (const type of OPERATION_TYPES) {
    if (!Number.isInteger(points[type]) || points[type] < 0) throw new RangeError(`points.${type} must be a whole number ≥ 0, not ${points[type]}`);
  }
  const limited = options.enabled === false ? [] : OPERATION_TYPES.filter((type) => points[type] > 0);
  if (limited.length === 0) return { consume: () => Promise.resolve(ALLOWED), close: () => Promise.resolve() };

  const log = logger.child({ component: "rateLimit" });
  const redis = options.redisUrl ? connectRedis(options.redisUrl, options.redisCommandTimeoutMs ?? RATE_LIMIT_DEFAULTS.redisCommandTimeoutMs, log) : undefined;
  const limiters = new Map<OperationType, RateLimiterAbstract>();
  for (const type of limited) {
    const window = { keyPrefix: `${keyPrefix}:${type}`, points: points[type], duration: durationSeconds };
    limiters.set(
      type,
      redis
        ? new RateLimiterRedis({
            ...window,
            storeClient: redis,
            // Without it a command waits for the connection; with it, a Redis
            // that is not ready sends the operation to the insurance at once.
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory(window),
          })
        : new RateLimiterMemory(window),
    );
  }
  log.info({ store: redis ? "redis" : "memory", durationSeconds, points: Object.fromEntries(limited.map((t) => [t, points[t]])) }, "rate limits on");

  return {
    async consume(key, operationType) {
      const limiter = limiters.get(operationType);
      if (!limiter) return ALLOWED;
      try {
        await limiter.consume(key);
        return ALLOWED;
      } catch (error) {
        // rate-limiter-flexible rejects with its result when the budget is spent, and with an Error otherwise.
        if (error instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)), limit: limiter.points };
        log.error({ err: error, operationType }, "the rate limiter could not count an operation; it is allowed");
        return ALLOWED;
      }
    },
    async close() {
      if (!redis) return;
      // QUIT needs a live connection; a Redis that is down would keep it waiting.
      if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

function connectRedis(url: string, commandTimeoutMs: number, log: Logger): Redis {
  const redis = new Redis(url, {
    // Fail fast and let the insurance limiter count: never queue a command
    // until Redis is back, never retry one on a new connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    // A connection that stops answering (a stalled server, a half-open TCP
    // link) is destroyed and reconnected; until it is ready again the
    // limiters skip Redis (rejectIfRedisNotReady) instead of each waiting
    // out commandTimeout.
    socketTimeout: commandTimeoutMs,
  });
  // ioredis reconnects by itself (every 2 s at most) and emits an error per
  // attempt: log the transitions only.
  let available: boolean | undefined;
  redis.on("ready", () => {
    if (available === false) log.info("Redis is back: rate limits are shared again");
    available = true;
  });
  redis.on("error", (error: Error) => {
    if (available !== false) log.warn({ err: error }, "Redis unavailable: rate limits are counted in this instance's memory until it is back");
    available = false;
  });
  return redis;
}

// Addresses a proxy in front of the router can have: loopback, private
// (RFC 1918, RFC 6598 shared, IPv6 ULA) and link-local.
const PRIVATE = new BlockList();
for (const [network, prefix] of [["127.0.0.0", 8], ["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10], ["169.254.0.0", 16]] as const) {
  PRIVATE.addSubnet(network, prefix, "ipv4");
}
PRIVATE.addAddress("::1", "ipv6");
PRIVATE.addSubnet("fc00::", 7, "ipv6");
PRIVATE.addSubnet("fe80::", 10, "ipv6");

/** The address in canonical-enough form (IPv4-mapped IPv6 as IPv4, no zone), or undefined when it is not an IP. */
function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let address = raw.trim().toLowerCase();
  if (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4) address = address.slice(7);
  address = address.split("%")[0]!;
  return isIP(address) ? address : undefined;
}

function isPrivate(address: string): boolean {
  return PRIVATE.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");
}

/**
 * The client's IP. Without `trustProxy`, the socket's peer: X-Forwarded-For
 * is whatever the client wrote. With it, the peer and every private or
 * loopback address are taken for proxies, each vouching for the hop to its
 * left in X-Forwarded-For; the client is the right-most hop that is not a
 * proxy (the left-most valid one when all are). Hops a client prepended
 * itself sit left of that and are never read. A proxy with a public address
 * is not recognised: the router then limits by that proxy's address.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  let client = normalizeAddress(req.socket.remoteAddress);
  if (!client) return "unknown"; // the socket is already closed
  if (!trustProxy) return client;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",");
  for (let i = hops.length - 1; i >= 0 && isPrivate(client); i--) {
    if (!hops[i]!.trim()) continue;
    const hop = normalizeAddress(hops[i]);
    if (!hop) break; // not an address, so not written by a proxy: the last vouched-for hop stands
    client = hop;
  }
  return client;
}

/**
 * Whose budget a request spends: the authenticated user's, else its IP's
 * (see `clientAddressOf`). A public IPv6 address counts by its /64, which a
 * single subscriber usually holds whole and could otherwise rotate through.
 */
export function clientKeyOf(req: IncomingMessage, identity: Identity | null, trustProxy: boolean): ClientKey {
  return identity ? `user:${identity.userId}` : clientKeyFor(clientAddressOf(req, trustProxy), identity);
}

/** `clientKeyOf` for an address already worked out (`clientAddressOf`). */
export function clientKeyFor(address: string, identity: Identity | null): ClientKey {
  if (identity) return `user:${identity.userId}`;
  return `ip:${isIP(address) === 6 && !isPrivate(address) ? prefix64(address) : address}`;
}

/** The /64 network of a valid IPv6 address, e.g. `2001:db8:0:1::/64`. */
function prefix64(address: string): string {
  // An embedded IPv4 tail (`64:ff9b::192.0.2.1`) holds two groups.
  const groups = (part: string) => (part ? part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const [head = "", tail] = address.split("::");
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}

/**
 * The RATE_LIMITED error for a rejection. With `http`, it also carries
 * Apollo Server's `extensions.http` (429 and `Retry-After`), which Apollo
 * moves to the response and removes from the error the client sees.
 */
export function rateLimitedError({ retryAfterSeconds, limit }: RateLimitRejection, { http = false }: { http?: boolean } = {}): GraphQLError {
  return ERRORS.RATE_LIMITED.err(`Too many requests: retry after ${retryAfterSeconds} s`, {
    extensions: { retryAfterSeconds, limit, ...(http ? { http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) } } : {}) },
  });
}

/** Answers an HTTP request with 429, `Retry-After` and the RATE_LIMITED error. */
export function sendRateLimited(res: ServerResponse, rejection: RateLimitRejection, headers: Record<string, string> = {}): void {
  sendJson(res, 429, { errors: [rateLimitedError(rejection).toJSON()] }, { ...headers, "retry-after": String(rejection.retryAfterSeconds) });
}

/**
 * Apollo Server plugin: spends the client's budget once the operation (and
 * so its type) is known, before anything is planned; a spent budget answers
 * 429 with `Retry-After`. `keyOf` reads the client key from the context
 * (undefined: not limited).
 */
export function useRateLimit<TContext extends BaseContext>(limiter: RateLimiter, keyOf: (context: TContext) => ClientKey | undefined): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const key = keyOf(contextValue);
          if (!key || !operation) return;
          const decision = await limiter.consume(key, operation.operation);
          if (!decision.ok) throw rateLimitedError(decision, { http: true });
        },
      };
    },
  };
}

/** The limiter's options from the router's config. */
export function rateLimitOptionsFromConfig(
  config: Pick<RouterConfig, "ROUTER_RATE_LIMIT" | "RATE_LIMIT_DURATION_S" | "RATE_LIMIT_QUERY_POINTS" | "RATE_LIMIT_MUTATION_POINTS" | "RATE_LIMIT_SUBSCRIPTION_POINTS" | "REDIS_URL" | "RATE_LIMIT_KEY_PREFIX">,
): RateLimitOptions {
  return {
    enabled: config.ROUTER_RATE_LIMIT,
    durationSeconds: config.RATE_LIMIT_DURATION_S,
    points: { query: config.RATE_LIMIT_QUERY_POINTS, mutation: config.RATE_LIMIT_MUTATION_POINTS, subscription: config.RATE_LIMIT_SUBSCRIPTION_POINTS },
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
  };
}
