/**
 * SQL outside any transaction, sent on a subgraph's pg pool directly instead
 * of through its Prisma client: for the outbox relay, which runs a few fixed
 * statements of its own over and over (take the lease, read a batch, mark
 * it). Through Prisma each of them costs its query compiler and request
 * machinery as well, about 0.2 ms of CPU more per statement on this machine.
 * Same pool, so the same connections, search_path and limits.
 *
 * The values come back as pg gives them, not as Prisma's raw queries do:
 * `bigint` columns as strings, `json` parsed, timestamps as Dates. What the
 * relay reads (a uuid as text, an envelope, an int, a count) reads the same
 * either way.
 */
import type pg from "pg";
import type { SqlClient } from "@store/events";

export class PoolSql implements SqlClient {
  constructor(readonly pool: pg.Pool) {}

  async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    return (await this.pool.query(query, values)).rows as T;
  }

  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    return (await this.pool.query(query, values)).rowCount ?? 0;
  }
}

/** The pg pool under each Prisma client the kit made: the client is the key. */
const pools = new WeakMap<object, pg.Pool>();

export function rememberPool(prisma: object, pool: pg.Pool): void {
  pools.set(prisma, pool);
}

/** SQL outside transactions for `prisma`: on its pool directly when the kit made it, else through it. */
export function sqlOutsideTransactions(prisma: SqlClient): SqlClient {
  const pool = pools.get(prisma);
  return pool ? new PoolSql(pool) : prisma;
}
