import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import { ERRORS, type Logger } from "@store/kit";

/**
 * Sign-in throttling by account (the email asked for, whether or not it
 * exists, so throttling reveals nothing) and by client address, with a
 * back-off that doubles with every failure past a free allowance: the first
 * `freeFailures` attempts are answered without waiting; the last of them, and
 * every failure after it, blocks the key for base, 2 base, 4 base ... seconds
 * (at most `maxBlockSeconds`), so attempt free + k waits base * 2^(k-1).
 *
 * A blocked key is refused with RATE_LIMITED before any SQL or password
 * hashing. A successful sign-in clears the account's failures (the address
 * keeps its count: one account that signs in must not launder an address's
 * guesses at others). Counts expire `windowSeconds` after their first failure.
 *
 * Counters and blocks live in rate-limiter-flexible limiters: in Redis, shared
 * by every accounts instance, when one is given (falling back to this
 * process's memory while Redis does not answer, rather than failing sign-in
 * or letting guesses through unthrottled), else in memory.
 *
 * Each attempt is counted as a failure when it starts, before the password is
 * checked, and the block it earns is set then too; so concurrent guesses are
 * held back as soon as the first of them is counted, not once they all
 * finished hashing. (Requests that passed the block check within the same
 * store round trip still get through: the window is one round trip wide.)
 *
 * Throttling by account lets someone who knows an email keep its owner waiting
 * (at most `maxSeconds` between tries); that is the price of stopping guesses
 * at one account spread over many addresses, which throttling by address alone
 * would not.
 */

export interface ThrottleLimits {
  /** Failures answered before the back-off starts. */
  freeFailures: number;
  /** How long failures are remembered after the first one, in seconds. @default 86400 */
  windowSeconds?: number;
}

export interface SignInThrottleOptions {
  /** Shares counts among every accounts instance; without it they live in this process. */
  redis?: Redis | undefined;
  /** Put before every key (Redis and memory alike). @default "store:" */
  keyPrefix?: string | undefined;
  /** @default { freeFailures: 10, windowSeconds: 86400 } */
  account?: ThrottleLimits;
  /** Per client address (an IPv6 address counts by its /64). @default { freeFailures: 100, windowSeconds: 86400 } */
  clientIp?: ThrottleLimits;
  /** First block, in seconds; each further failure doubles it. @default 1 */
  baseBlockSeconds?: number;
  /** Longest block, in seconds. @default 900 */
  maxBlockSeconds?: number;
}

export interface SignInAttempt {
  /** The password was right: the account's failures are forgotten, and this attempt no longer counts for the address. */
  succeeded(): Promise<void>;
  /** The attempt failed for a reason of ours (the database was busy): it does not count. */
  abandoned(): Promise<void>;
}

export interface SignInThrottle {
  /**
   * Starts an attempt: throws RATE_LIMITED (with `retryAfterSeconds`) while the
   * account or the address is blocked; otherwise counts the attempt as a
   * failure until told it succeeded.
   */
  begin(email: string, clientIp: string | undefined): Promise<SignInAttempt>;
}

const DAY = 86_400;

/** The key an address counts under: IPv4 as it is, IPv6 by its /64 (one host often owns a whole /64). Undefined for anything else. */
export function clientIpKey(address: string | undefined): string | undefined {
  if (!address) return undefined;
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1];
  // Expand "::" and an embedded dotted quad, then keep the first four groups.
  let text = address.toLowerCase().split("%")[0]!;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/64`;
}

/**
 * The Redis client a throttle shares its counts through. Commands fail at once
 * while Redis is away (no offline queue) and at most `commandTimeoutMs` late
 * when it hangs, so a sign-in falls back to memory instead of waiting;
 * reconnects go on for ever, backing off to 2 s.
 */
export function connectThrottleRedis(url: string, options: { logger?: Logger; commandTimeoutMs?: number } = {}): Redis {
  const log = options.logger?.child({ component: "signin-throttle" });
  let healthy = true;
  const redis = new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  });
  // Without a listener ioredis prints every failed reconnection to stderr.
  redis.on("error", (error: Error) => {
    if (healthy) log?.warn({ err: error }, "sign-in throttle cannot reach Redis: counting in this process until it is back");
    healthy = false;
  });
  redis.on("ready", () => {
    if (!healthy) log?.info("sign-in throttle reached Redis again");
    healthy = true;
  });
  return redis;
}

/** Keys are digests: neither emails nor addresses are written to Redis in the clear. */
const digest = (value: string) => createHash("sha256").update(value).digest("base64url");

interface Dimension {
  failures: RateLimiterAbstract;
  blocks: RateLimiterAbstract;
  freeFailures: number;
}

export function createSignInThrottle(options: SignInThrottleOptions = {}): SignInThrottle {
  const prefix = `${options.keyPrefix ?? "store:"}signin:`;
  const base = options.baseBlockSeconds ?? 1;
  const max = options.maxBlockSeconds ?? 900;

  const limiter = (name: string, points: number, duration: number): RateLimiterAbstract => {
    const settings = { keyPrefix: `${prefix}${name}`, points, duration };
    if (!options.redis) return new RateLimiterMemory(settings);
    return new RateLimiterRedis({ ...settings, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(settings) });
  };
  const dimension = (name: string, limits: ThrottleLimits): Dimension => ({
    // A plain counter: penalty() adds to it without ever refusing.
    failures: limiter(`${name}:failures`, Number.MAX_SAFE_INTEGER, limits.windowSeconds ?? DAY),
    // Holds nothing but blocks: block() sets it above its one point for the given time.
    blocks: limiter(`${name}:blocked`, 1, 1),
    freeFailures: limits.freeFailures,
  });
  const account = dimension("account", options.account ?? { freeFailures: 10 });
  const address = dimension("ip", options.clientIp ?? { freeFailures: 100 });

  /** Milliseconds the key stays blocked, 0 when it is not. */
  const blockedFor = async (dim: Dimension, key: string) => {
    const res = await dim.blocks.get(key);
    return res && res.consumedPoints > 1 && res.msBeforeNext > 0 ? res.msBeforeNext : 0;
  };
  const count = async (dim: Dimension, key: string) => {
    const failures = (await dim.failures.penalty(key)).consumedPoints;
    const past = failures - dim.freeFailures + 1;
    // Whole seconds: rate-limiter-flexible's Redis store rounds a block down to them, and 0 would mean "for ever".
    if (past >= 1) await dim.blocks.block(key, Math.min(max, base * 2 ** Math.min(past - 1, 30)));
  };

  return {
    async begin(email, clientIp) {
      const accountKey = digest(email);
      const ipKey = clientIpKey(clientIp);
      const addressKey = ipKey === undefined ? undefined : digest(ipKey);
      const waits = await Promise.all([blockedFor(account, accountKey), addressKey === undefined ? 0 : blockedFor(address, addressKey)]);
      const waitMs = Math.max(...waits);
      if (waitMs > 0) {
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        throw ERRORS.RATE_LIMITED.err(`Too many sign-in attempts; try again in ${retryAfterSeconds} s`, { extensions: { retryAfterSeconds } });
      }
      await Promise.all([count(account, accountKey), addressKey === undefined ? undefined : count(address, addressKey)]);
      return {
        async succeeded() {
          await Promise.all([account.failures.delete(accountKey), account.blocks.delete(accountKey), addressKey === undefined ? undefined : address.failures.reward(addressKey)]);
        },
        async abandoned() {
          await Promise.all([account.failures.reward(accountKey), addressKey === undefined ? undefined : address.failures.reward(addressKey)]);
        },
      };
    },
  };
}
