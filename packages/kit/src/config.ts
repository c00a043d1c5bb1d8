import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "INVALID_CONFIG";
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
  }
}

/**
 * Parses environment variables once, at start-up, into a typed object. Every
 * problem is reported together, each naming the variable that is wrong.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: Record<string, string | undefined> = process.env): z.output<T> {
  // Empty strings count as unset, as they do in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join(".") || "(environment)",
      message: issue.message,
    })),
  );
}

const port = z.coerce.number().int().min(0).max(65535);
const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), "must be a postgresql:// connection URL");

/** The environment contract every subgraph process shares. */
export const subgraphEnv = {
  HOST: z.string().default("127.0.0.1"),
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** How long a query waits for a pooled connection (or for a full PostgreSQL to free a slot) before answering SERVICE_OVERLOADED. */
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(1).max(120_000).default(10_000),
  /** Prisma's transaction `maxWait`. */
  DATABASE_TRANSACTION_WAIT_MS: z.coerce.number().int().min(1).max(120_000).default(5_000),
  /** Prisma's interactive transaction `timeout`. */
  DATABASE_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ROUTER_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** How far a router signature's timestamp may be from this clock, in ms; each signature is accepted once within it. */
  ROUTER_SIGNATURE_WINDOW_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
  NATS_URL: z.string().optional(),
  /**
   * LISTEN for the outbox's notifications on a connection of its own, so the
   * relay publishes what another instance wrote at once; false polls every
   * 500 ms instead (embedded PGlite is one session and takes no second connection).
   */
  OUTBOX_LISTEN: z.stringbool().default(true),
  /**
   * Put before the event bus's streams, durable consumers and subjects, so
   * deployments (and test runs) can share one NATS server. A NATS name token:
   * it becomes the first token of every subject (`staging.events.…`).
   */
  EVENTS_NAMESPACE: z
    .string()
    .max(32, "must be at most 32 characters")
    .regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, '-' or '_' only (no dots, spaces or wildcards): it prefixes NATS subjects, streams and consumers")
    .default(""),
  /**
   * Partitions of the event stream: a consumer handles up to this many events
   * at once (one per partition, each aggregate's in order). Every process on
   * one stream must agree; the stream records it and refuses another.
   */
  EVENTS_PARTITIONS: z.coerce.number().int().min(1).max(256).default(16),
  /**
   * Events each consumer handles at once in this instance (at most one per
   * partition): every handler holds a database connection, which requests
   * need too. Default: half of DATABASE_POOL_SIZE.
   */
  EVENTS_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  /** Shares the replay guard among a subgraph's instances; without it each process remembers signatures itself. */
  REDIS_URL: z.string().refine((v) => /^rediss?:\/\//.test(v), "must be a redis:// or rediss:// URL").optional(),
  /** Put before every Redis key, so deployments can share one Redis. */
  REDIS_KEY_PREFIX: z.string().default("store:"),
};

/** Builds a subgraph's config schema with its default port and any extra variables. */
export function subgraphConfigSchema<E extends z.ZodRawShape>(defaultPort: number, extra: E) {
  return z.object({ ...subgraphEnv, PORT: port.default(defaultPort), ...extra });
}
export interface SubgraphConfig {
  PORT: number;
  HOST: string;
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  /** @default 10000 */
  DATABASE_POOL_TIMEOUT_MS?: number;
  /** @default 5000 */
  DATABASE_TRANSACTION_WAIT_MS?: number;
  /** @default 5000 */
  DATABASE_TRANSACTION_TIMEOUT_MS?: number;
  LOG_LEVEL: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  ROUTER_SIGNING_SECRET: string;
  /** @default 30000 */
  ROUTER_SIGNATURE_WINDOW_MS?: number;
  NATS_URL?: string | undefined;
  /** @default true */
  OUTBOX_LISTEN?: boolean;
  /** @default "" */
  EVENTS_NAMESPACE?: string;
  /** @default 16 */
  EVENTS_PARTITIONS?: number;
  /** @default half of DATABASE_POOL_SIZE */
  EVENTS_CONCURRENCY?: number | undefined;
  REDIS_URL?: string | undefined;
  /** @default "store:" */
  REDIS_KEY_PREFIX?: string;
}
