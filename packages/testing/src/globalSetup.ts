import { randomBytes } from "node:crypto";
import pg from "pg";
import { connectPatiently, isServerBusy } from "@store/kit";
import { DEFAULT_ADMIN_URL } from "./database.ts";

/**
 * Vitest global setup: tags this run's databases, and at the end refuses
 * leftovers. A test that forgets to drop its database fails the run (after
 * the leftover is dropped, so the machine stays clean).
 */
export default function setup(): () => Promise<void> {
  const runId = randomBytes(3).toString("hex");
  process.env.TEST_RUN_ID = runId;
  return async () => {
    let client: pg.Client;
    try {
      // A full server (another run beside this one) is waited for; leftovers must not go unchecked.
      client = await connectPatiently({ connectionString: process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL, connectionTimeoutMillis: 2000 }, 60_000);
    } catch (error) {
      if (isServerBusy(error)) throw error;
      return; // no PostgreSQL: the tests ran on PGlite, which leaves nothing behind
    }
    try {
      const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`test\\_${runId}\\_%`]);
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      if (rows.length > 0) {
        // Vitest logs an error thrown here but still exits 0; the exit code is what CI reads.
        process.stderr.write(`\n✗ tests left ${rows.length} database(s) behind: ${rows.map((r) => r.datname).join(", ")}\n`);
        process.exitCode = 1;
      }
    } finally {
      await client.end();
    }
  };
}
