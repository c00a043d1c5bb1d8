/**
 * The services' pool on real PostgreSQL when the server has no slot left: a
 * role limited to one connection stands in for a full server (PostgreSQL
 * refuses it with the same SQLSTATE, 53300, as at max_connections).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestClient, DEFAULT_ADMIN_URL } from "@store/testing";
import { connectPatiently, PatientPgPool } from "../src/patientPgPool.ts";

const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const role = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_one_slot_${randomBytes(3).toString("hex")}`;
let roleUrl: string;
let admin: pg.Client;

beforeAll(async () => {
  admin = await connectTestClient(adminUrl);
  await admin.query(`CREATE ROLE "${role}" LOGIN CONNECTION LIMIT 1`);
  const url = new URL(adminUrl);
  url.username = role;
  roleUrl = url.toString();
});

afterAll(async () => {
  await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
  await admin.query(`DROP ROLE IF EXISTS "${role}"`);
  await admin.end();
});

/** Holds the role's one slot until `release()` is called. */
async function takeTheOnlySlot() {
  const holder = new pg.Client({ connectionString: roleUrl });
  await holder.connect();
  return { release: () => holder.end() };
}

describe("PatientPgPool", () => {
  it("waits for the server to free a slot instead of failing, within the pool's timeout", async () => {
    const slot = await takeTheOnlySlot();
    const pool = new PatientPgPool({ connectionString: roleUrl, max: 1, connectionTimeoutMillis: 60_000 });
    try {
      const answered = pool.query("SELECT 1 AS one");
      // The refusal is real: a plain pool fails at once with it.
      const plain = new pg.Pool({ connectionString: roleUrl, max: 1, connectionTimeoutMillis: 60_000 });
      await expect(plain.query("SELECT 1")).rejects.toMatchObject({ code: "53300" });
      await plain.end();
      await slot.release();
      await expect(answered).resolves.toMatchObject({ rows: [{ one: 1 }] });
      // connect() awaited by hand waits the same way, and its client is released as usual.
      const client = await pool.connect();
      client.release();
    } finally {
      await pool.end();
    }
  });

  it("passes the refusal on once the pool's timeout has passed", async () => {
    const slot = await takeTheOnlySlot();
    const pool = new PatientPgPool({ connectionString: roleUrl, max: 1, connectionTimeoutMillis: 300 });
    try {
      await expect(pool.query("SELECT 1")).rejects.toMatchObject({ code: "53300" });
    } finally {
      await pool.end();
      await slot.release();
    }
  });

  it("connects a lone client (a migration's, a test's) once the slot is free", async () => {
    const slot = await takeTheOnlySlot();
    const connected = connectPatiently({ connectionString: roleUrl }, 60_000);
    await expect(connectPatiently({ connectionString: roleUrl }, 200)).rejects.toMatchObject({ code: "53300" });
    await slot.release();
    const client = await connected;
    try {
      expect((await client.query("SELECT current_user AS who")).rows).toEqual([{ who: role }]);
    } finally {
      await client.end();
    }
  });

  it("does not wait on any other error", async () => {
    const url = new URL(adminUrl);
    url.pathname = `/no_such_database_${randomBytes(3).toString("hex")}`;
    const pool = new PatientPgPool({ connectionString: url.toString(), max: 1, connectionTimeoutMillis: 60_000 });
    const started = performance.now();
    try {
      await expect(pool.query("SELECT 1")).rejects.toMatchObject({ code: "3D000" });
      // Far below the 60 s it would have waited for a slot: it never retried.
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      await pool.end();
    }
  });
});
