import { randomBytes } from "node:crypto";
import pg from "pg";
import { connectPatiently, freePort, isServerBusy, migrateDeploy, pgConnection } from "@store/kit";


/** The machine's PostgreSQL; CI provides one at this address. */
export const DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  /** Connection URL of the fresh, migrated database. */
  url: string;
  kind: "postgres" | "pglite";
  /** Drops the database (or stops the embedded server). Safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Folder holding `prisma.config.ts` and `prisma/migrations`. */
  prismaDir: string;
  /** Short label that appears in the database name, e.g. "catalog". */
  label: string;
  /**
   * Server to create the database on.
   * @default process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL
   */
  adminUrl?: string;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    // A PostgreSQL with every connection taken (another test run beside this one) is there: wait for it, never fall back to PGlite.
    return isServerBusy(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database with every migration applied, dropped by `drop()`.
 * Uses the machine's PostgreSQL when it answers; otherwise embedded PGlite.
 * Under CI=true a missing PostgreSQL is an error, never a silent fallback:
 * CI promises real PostgreSQL and the tests must prove they ran on it.
 */
export async function createTestDatabase({ prismaDir, label, adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL }: CreateTestDatabaseOptions): Promise<TestDatabase> {
  if (await reachable(adminUrl)) return createOnPostgres(prismaDir, label, adminUrl);
  if (process.env.CI === "true") throw new Error(`PostgreSQL is not reachable at ${adminUrl}, and CI must test on real PostgreSQL`);
  return createOnPglite(prismaDir);
}

async function createOnPostgres(prismaDir: string, label: string, adminUrl: string): Promise<TestDatabase> {
  // The run id lets the global teardown find databases this run leaked.
  const run = process.env.TEST_RUN_ID ?? "adhoc";
  const name = `test_${run}_${label.replace(/\W/g, "_")}_${randomBytes(4).toString("hex")}`.slice(0, 63);
  const admin = await connectTestClient(adminUrl);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const client = await connectTestClient(adminUrl);
    try {
      // FORCE: a pool that a failed test left open must not keep the database alive.
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  try {
    await migrateDeploy(prismaDir, url);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, kind: "postgres", drop };
}

async function createOnPglite(prismaDir: string): Promise<TestDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 20 });
  await server.start();
  // PGlite is one session behind a socket: concurrent connections interleave
  // protocol messages and fail ("portal does not exist"), so one connection.
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable&connection_limit=1`;
  let stopped = false;
  const drop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await db.close();
  };
  try {
    await migrateDeploy(prismaDir, url);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, kind: "pglite", drop };
}

/**
 * A connected pg client for a test's own look into a database (and for
 * creating and dropping test databases). Beside another test run on one
 * PostgreSQL (max_connections 100) every slot can be taken for a moment:
 * waits for one, up to `timeoutMs`, instead of failing; any other error
 * fails at once.
 */
export function connectTestClient(databaseUrl: string, timeoutMs = 60_000): Promise<pg.Client> {
  // A URL's `?schema=` is the connection's search_path, as for a service (pg alone would drop it).
  return connectPatiently(pgConnection(databaseUrl).client, timeoutMs);
}

/**
 * Runs one query on a connection of its own, closed after: for a test that looks into a database now and then.
 * A URL's Prisma parameters count as they do for a service: `?schema=` is the connection's search_path.
 */
export async function queryOnce<R>(databaseUrl: string, text: string): Promise<R[]> {
  // pg alone would drop `schema` silently and look in `public`.
  const client = new pg.Client(pgConnection(databaseUrl).client);
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}
