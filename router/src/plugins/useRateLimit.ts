/**
 * Per-client rate limits at the router: a budget of operations per window for
 * each client and operation type, counted by rate-limiter-flexible.
 *
 * - The client is its user when the request is authenticated, else its IP
 *   (`clientKeyOf` in edge/clientAddress.ts): signing in moves a shopper from a budget shared with
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
import { HeaderMap, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { ERRORS, type Logger } from "@store/kit";
import type { RouterConfig } from "../config.ts";
import type { RouterContext } from "../context.ts";
import type { ClientKey } from "../edge/clientAddress.ts";
import type { GraphQLError } from "../graphql.ts";

export type OperationType = "query" | "mutation" | "subscription";

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

/** Spends one operation of a request's budget: a RATE_LIMITED error when it is spent, undefined when the operation may run. */
export type SpendBudget = (context: RouterContext, operationType: OperationType) => Promise<GraphQLError | undefined>;

/**
 * The one way the router's own paths (the fast path, WebSocket subscribes)
 * spend a client's budget; Apollo Server's path spends it in `useRateLimit`.
 * A request without a client key is not limited.
 */
export function createBudgetSpender(limiter: RateLimiter): SpendBudget {
  return async (context, operationType) => {
    if (!context.clientKey) return undefined;
    const decision = await limiter.consume(context.clientKey, operationType);
    return decision.ok ? undefined : rateLimitedError(decision);
  };
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
