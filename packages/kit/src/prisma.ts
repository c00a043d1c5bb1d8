import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { pgConnection } from "./databaseUrl.ts";
import { PatientPgPool } from "./patientPgPool.ts";
import { NameAsTextClient } from "./pgNameAsText.ts";
import type { SubgraphConfig } from "./config.ts";
import { tracedPgPool } from "./tracedPgPool.ts";
import type { Tracing } from "./tracing/startTracing.ts";

/** How a subgraph's Prisma client uses its database: pool and transaction limits (DATABASE_* in the environment). */
export interface DatabaseOptions {
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /**
   * How long a query waits for a free pooled connection before it fails with
   * SERVICE_OVERLOADED. This, not `transactionWaitMs`, bounds the wait: Prisma
   * only notices `transactionWaitMs` once a connection arrives.
   * @default 10000
   */
  poolTimeoutMs?: number;
  /** Prisma's `maxWait`: a transaction that got its connection later than this fails (P2028, answered SERVICE_OVERLOADED). @default 5000 */
  transactionWaitMs?: number;
  /** Prisma's `timeout`: an interactive transaction running longer than this is rolled back. @default 5000 */
  transactionTimeoutMs?: number;
}

export const DATABASE_DEFAULTS = { poolSize: 10, poolTimeoutMs: 10_000, transactionWaitMs: 5_000, transactionTimeoutMs: 5_000 } as const satisfies Required<DatabaseOptions>;

export interface PgAdapterOptions extends Pick<DatabaseOptions, "poolSize" | "poolTimeoutMs"> {
  connectionString: string;
  /**
   * The service's tracing: when enabled, each SQL statement sent while a
   * recording span is active becomes a CLIENT span of it (tracedPgPool).
   * @default none (no spans, and not a single extra call per statement)
   */
  tracing?: Tracing | undefined;
}

/**
 * Every subgraph's Prisma client runs on the WASM query compiler with this
 * driver adapter: no native engine is downloaded or loaded.
 */
export function createPgAdapter(options: PgAdapterOptions): PrismaPg {
  return createPgAdapterAndPool(options).adapter;
}

/** The adapter and the pg pool it owns (ended with it), for SQL that goes around Prisma on the same connections (poolSql.ts). */
export function createPgAdapterAndPool({ connectionString, poolSize = DATABASE_DEFAULTS.poolSize, poolTimeoutMs = DATABASE_DEFAULTS.poolTimeoutMs, tracing }: PgAdapterOptions): { adapter: PrismaPg; pool: pg.Pool } {
  // `connection_limit` in the URL (Prisma's own convention) wins over poolSize;
  // `schema` puts the client's tables and the connections' search_path there (databaseUrl.ts).
  const { client, connectionLimit, schema } = pgConnection(connectionString);
  const max = connectionLimit ?? poolSize;
  const config = { ...client, max, connectionTimeoutMillis: poolTimeoutMs, idleTimeoutMillis: 30_000, Client: NameAsTextClient };
  // A pool of ours (it waits for a slot when PostgreSQL is full: patientPgPool.ts);
  // the adapter ends a pool it was given only when told to, and it owns this one.
  const pool = tracing?.enabled ? tracedPgPool(config, tracing.tracer) : new PatientPgPool(config);
  // An idle connection the server drops (a restart, the embedded database
  // stopping first) is an 'error' on the pool, which would otherwise end the
  // process; pg-pool has already let that connection go, and the next query opens another.
  pool.on("error", () => {});
  return { adapter: new PrismaPg(pool, { disposeExternalPool: true, schema }), pool };
}

/** The DATABASE_* part of a subgraph's config, as every `createXPrisma` takes it. */
export function databaseOptions(config: SubgraphConfig): DatabaseOptions {
  return {
    poolSize: config.DATABASE_POOL_SIZE,
    poolTimeoutMs: config.DATABASE_POOL_TIMEOUT_MS,
    transactionWaitMs: config.DATABASE_TRANSACTION_WAIT_MS,
    transactionTimeoutMs: config.DATABASE_TRANSACTION_TIMEOUT_MS,
  };
}

/** Prisma's default options for interactive transactions (`new PrismaClient({ transactionOptions })`). */
export function transactionOptions({ transactionWaitMs = DATABASE_DEFAULTS.transactionWaitMs, transactionTimeoutMs = DATABASE_DEFAULTS.transactionTimeoutMs }: DatabaseOptions = {}) {
  return { maxWait: transactionWaitMs, timeout: transactionTimeoutMs };
}

/**
 * True for the errors that mean "the database is busy", not "this request is
 * wrong" or "this code is broken": the pool lent no connection in time (pg-pool
 * throws a plain Error, which Prisma passes on unchanged), Prisma got a
 * transaction's connection later than `maxWait` (P2028 "Unable to start a
 * transaction in the given time"; other P2028s are bugs), or PostgreSQL itself
 * refused a connection for having too many (P2037, SQLSTATE 53300) for
 * longer than the pool's timeout (patientPgPool.ts).
 */
export function isOverloadError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "P2028" && current.message.includes("Unable to start a transaction in the given time")) return true;
    if (code === "P2037" || code === "53300") return true;
    if (current.message.includes("timeout exceeded when trying to connect")) return true;
  }
  return false;
}

/** Prisma's code for a unique constraint violation. */
export const UNIQUE_VIOLATION = "P2002";

export function isPrismaError(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error as { code: unknown }).code === code;
}
