/** The relay's way around Prisma: SQL on a subgraph's pg pool, on real PostgreSQL. */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { SqlClient } from "@store/events";
import { DEFAULT_ADMIN_URL } from "@store/testing";
import { PoolSql, rememberPool, sqlOutsideTransactions } from "../src/poolSql.ts";

const pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL, max: 1 });
afterAll(() => pool.end());

describe("PoolSql", () => {
  it("answers a query's rows and a statement's row count, with pg's parameters", async () => {
    const sql = new PoolSql(pool);
    expect(await sql.$queryRawUnsafe(`SELECT $1::text AS "id", $2::jsonb AS "envelope", count(*) AS "count" FROM generate_series(1, 3)`, "a", JSON.stringify({ type: "X" }))).toEqual([
      { id: "a", envelope: { type: "X" }, count: "3" },
    ]);
    expect(await sql.$executeRawUnsafe(`SELECT * FROM unnest($1::int[])`, [1, 2])).toBe(2);
  });

  it("is what the kit gives a relay for a Prisma client it made, and anything else goes through the client itself", async () => {
    const client = (): SqlClient => ({ $queryRawUnsafe: async <T>() => [] as T, $executeRawUnsafe: async () => 0 });
    const [made, other] = [client(), client()];
    rememberPool(made, pool);
    const direct = sqlOutsideTransactions(made);
    expect(direct).toBeInstanceOf(PoolSql);
    expect((direct as PoolSql).pool).toBe(pool);
    expect(sqlOutsideTransactions(other)).toBe(other);
  });
});
