/**
 * Applies a subgraph's committed migrations (`prisma/migrations/<name>/migration.sql`)
 * in this process, the way `prisma migrate deploy` does and in its own
 * bookkeeping: the same `_prisma_migrations` table, rows and checksums, under
 * the same advisory lock, so either tool can take over from the other.
 *
 * Why not the CLI: it is a devDependency (the runtime image has none), each
 * run costs a Node process and seconds, and against an embedded PGlite under
 * load its fixed 10 s lock wait ran out (P1002). Here each migration runs in
 * one transaction with its bookkeeping row, so a failed one leaves nothing
 * half-written behind (PostgreSQL's DDL is transactional); Prisma would leave
 * a failed row to be resolved by hand.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { pgConnection } from "./databaseUrl.ts";
import { connectPatiently } from "./patientPgPool.ts";

/** The key `prisma migrate deploy` locks on PostgreSQL: one migrator at a time per database, whichever tool it is. */
const PRISMA_ADVISORY_LOCK = 72707369;

/** What applying migrations needs of a connection: one session, simple-protocol scripts, parameterised reads. */
export interface MigrationSession {
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
}

export interface Migration {
  /** The folder's name, e.g. `20261122000000_init`: applied in this order. */
  name: string;
  sql: string;
  /** SHA-256 of the script, hex: what Prisma records. */
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** The committed migrations under `<prismaDir>/prisma/migrations`, oldest first. */
export function readMigrations(prismaDir: string): Migration[] {
  const dir = join(prismaDir, "prisma", "migrations");
  if (!existsSync(dir)) throw new MigrationError(`no migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"));
      return { name, sql: sql.toString("utf8"), checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

// Prisma's own definition of its table, so that `prisma migrate status` reads ours.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

/**
 * Applies, in order, each migration this database has not finished; returns
 * the names applied. The caller holds whatever lock keeps other migrators out.
 */
export async function applyMigrations(session: MigrationSession, migrations: readonly Migration[]): Promise<string[]> {
  await session.exec(CREATE_MIGRATIONS_TABLE);
  const rows = await session.query<AppliedRow>(`SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`);
  // A row Prisma left unfinished (and nobody rolled back) blocks it too: P3009.
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(`migration ${failed.migration_name} failed earlier and was never resolved; fix the database, then mark it with \`prisma migrate resolve\``);
  }
  const finished = new Set(rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => row.migration_name));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (finished.has(migration.name)) continue;
    await session.exec("BEGIN");
    try {
      const id = randomUUID();
      await session.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)`, [id, migration.checksum, migration.name]);
      await session.exec(migration.sql);
      await session.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
      await session.exec("COMMIT");
    } catch (error) {
      await session.exec("ROLLBACK").catch(() => {});
      throw new MigrationError(`migration ${migration.name} failed (nothing of it was applied): ${(error as Error).message}`, { cause: error });
    }
    applied.push(migration.name);
  }
  return applied;
}

/** A `pg` client as a migration session. */
function pgSession(client: pg.Client): MigrationSession {
  return {
    query: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[],
    exec: async (script) => {
      await client.query(script);
    },
  };
}

export interface MigrateDeployOptions {
  /** How long to wait for another migrator's lock, and for the whole run. @default 120000 */
  timeoutMs?: number;
}

/**
 * `prisma migrate deploy`, in process: connects to `databaseUrl`, takes
 * Prisma's advisory lock, applies what is pending and returns its names.
 */
export async function migrateDeploy(prismaDir: string, databaseUrl: string, { timeoutMs = 120_000 }: MigrateDeployOptions = {}): Promise<string[]> {
  const migrations = readMigrations(prismaDir);
  // Without Prisma's URL parameters; a `schema` is made if missing and is the connection's search_path (databaseUrl.ts).
  const { client: connectTo, schema } = pgConnection(databaseUrl);
  // A full server (another client holding every slot for a moment) is waited for, within the same bound.
  const client = await connectPatiently({ ...connectTo, statement_timeout: timeoutMs, connectionTimeoutMillis: timeoutMs }, timeoutMs);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    try {
      // As `prisma migrate deploy` does for a URL with a schema; a plain identifier (pgConnection checked).
      if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      return await applyMigrations(pgSession(client), migrations);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
