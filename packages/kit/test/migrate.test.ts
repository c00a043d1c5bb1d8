/**
 * The in-process migrator against real PostgreSQL: it applies what
 * `prisma migrate deploy` would, records it so that the Prisma CLI agrees,
 * takes over from the CLI, keeps concurrent migrators apart, and leaves
 * nothing of a failed migration behind.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { connectTestClient, DEFAULT_ADMIN_URL } from "@store/testing";
import { applyMigrations, migrateDeploy, MigrationError, readMigrations } from "../src/migrate.ts";
import { NO_PHONE_HOME_ENV } from "../src/telemetry.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ordersDir = join(root, "subgraphs/orders");
const adminUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
const created: string[] = [];
const folders: string[] = [];

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // Waits for a slot while another test run beside this one holds every connection.
  const client = await connectTestClient(url);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function emptyDatabase(label: string): Promise<string> {
  const name = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_migrate_${label}_${randomBytes(3).toString("hex")}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const rowsOf = (url: string) =>
  withClient(url, async (client) => (await client.query(`SELECT migration_name, checksum, applied_steps_count, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY migration_name`)).rows);

/** The Prisma CLI (a devDependency) on the same folder and database. */
async function prisma(args: string[], prismaDir: string, url: string): Promise<string> {
  const { stdout } = await run(process.execPath, [require.resolve("prisma/build/index.js"), ...args, "--config", join(root, "packages/kit/src/prisma.config.ts")], {
    cwd: prismaDir,
    env: { ...process.env, ...NO_PHONE_HOME_ENV, DATABASE_URL: url },
    timeout: 120_000,
  });
  return stdout;
}

afterAll(async () => {
  await withClient(adminUrl, async (client) => {
    for (const name of created) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe("migrateDeploy", () => {
  it("applies every committed migration once, recorded as Prisma records it", async () => {
    const url = await emptyDatabase("fresh");
    const migrations = readMigrations(ordersDir);
    expect(migrations.length).toBeGreaterThan(1);
    expect(await migrateDeploy(ordersDir, url)).toEqual(migrations.map((m) => m.name));
    expect(await migrateDeploy(ordersDir, url)).toEqual([]);
    expect(await rowsOf(url)).toEqual(migrations.map((m) => ({ migration_name: m.name, checksum: m.checksum, applied_steps_count: 1, finished: true })));
    // The schema is there: the tables the orders service writes to.
    const tables = await withClient(url, async (client) => (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).rows.map((r) => r.table_name as string));
    expect(tables).toEqual(expect.arrayContaining(["Order", "OutboxEvent", "_prisma_migrations"]));
    // And the Prisma CLI agrees there is nothing left to do.
    expect(await prisma(["migrate", "status"], ordersDir, url)).toMatch(/Database schema is up to date/);
  }, 240_000);

  it("migrates into the schema a `schema` URL parameter names, as the Prisma CLI does, and the CLI agrees", async () => {
    const base = await emptyDatabase("schema");
    const url = `${base}?schema=shop`;
    const migrations = readMigrations(ordersDir);
    expect(await migrateDeploy(ordersDir, url)).toEqual(migrations.map((m) => m.name));
    const tablesIn = (schema: string) =>
      withClient(base, async (client) => (await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema])).rows.map((r) => r.table_name as string));
    expect(await tablesIn("shop")).toEqual(expect.arrayContaining(["Order", "OutboxEvent", "_prisma_migrations"]));
    expect(await tablesIn("public")).toEqual([]);
    // A second service in a schema of its own beside it, and each schema's record is its own.
    expect(await migrateDeploy(ordersDir, `${base}?schema=other`)).toEqual(migrations.map((m) => m.name));
    expect(await migrateDeploy(ordersDir, url)).toEqual([]);
    expect(await prisma(["migrate", "status"], ordersDir, url)).toMatch(/Database schema is up to date/);
  }, 240_000);

  it("takes over a database the Prisma CLI migrated, and the CLI takes over from it", async () => {
    const url = await emptyDatabase("takeover");
    const migrations = readMigrations(ordersDir);
    // A copy of the folder with only the first migration: the CLI applies it, ours the rest.
    const partial = mkdtempSync(join(tmpdir(), "migrate-"));
    folders.push(partial);
    cpSync(join(ordersDir, "prisma/schema.prisma"), join(partial, "prisma/schema.prisma"));
    cpSync(join(ordersDir, "prisma/migrations/migration_lock.toml"), join(partial, "prisma/migrations/migration_lock.toml"));
    cpSync(join(ordersDir, "prisma/migrations", migrations[0]!.name), join(partial, "prisma/migrations", migrations[0]!.name), { recursive: true });
    await prisma(["migrate", "deploy"], partial, url);
    expect(await migrateDeploy(ordersDir, url)).toEqual(migrations.slice(1).map((m) => m.name));
    expect(await prisma(["migrate", "deploy"], ordersDir, url)).toMatch(/No pending migrations/);
  }, 240_000);

  it("lets one of several concurrent migrators apply each migration", async () => {
    const url = await emptyDatabase("concurrent");
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateDeploy(ordersDir, url)));
    const names = readMigrations(ordersDir).map((m) => m.name);
    expect(results.flat().sort()).toEqual(names);
    expect((await rowsOf(url)).map((r) => r.migration_name)).toEqual(names);
  });

  it("leaves nothing of a failed migration and says which one failed", async () => {
    const url = await emptyDatabase("failing");
    const dir = mkdtempSync(join(tmpdir(), "migrate-"));
    folders.push(dir);
    const write = (name: string, sql: string) => {
      mkdirSync(join(dir, "prisma/migrations", name), { recursive: true });
      writeFileSync(join(dir, "prisma/migrations", name, "migration.sql"), sql);
    };
    write("1_first", `CREATE TABLE "A" (id INT PRIMARY KEY);`);
    write("2_broken", `CREATE TABLE "B" (id INT PRIMARY KEY);\nINSERT INTO "A" VALUES (1);\nALTER TABLE "Missing" ADD COLUMN x INT;`);
    const failure = await migrateDeploy(dir, url).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toMatch(/migration 2_broken failed \(nothing of it was applied\): .*"Missing"/);
    await withClient(url, async (client) => {
      expect((await client.query(`SELECT to_regclass('"B"') AS b`)).rows[0].b).toBeNull();
      expect((await client.query(`SELECT count(*)::int AS n FROM "A"`)).rows[0].n).toBe(0);
    });
    expect((await rowsOf(url)).map((r) => r.migration_name)).toEqual(["1_first"]);
    // Fixed, it applies on the next run.
    write("2_broken", `CREATE TABLE "B" (id INT PRIMARY KEY);`);
    expect(await migrateDeploy(dir, url)).toEqual(["2_broken"]);
  });

  it("refuses to go on past a migration Prisma left failed", async () => {
    const url = await emptyDatabase("prismafailed");
    await migrateDeploy(ordersDir, url);
    await withClient(url, (client) => client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'y', '30000101000000_half')`));
    await expect(migrateDeploy(ordersDir, url)).rejects.toThrow(/30000101000000_half failed earlier and was never resolved/);
  });

  it("says so when there is no migrations folder", () => {
    expect(() => readMigrations(tmpdir())).toThrow(MigrationError);
    expect(applyMigrations).toBeTypeOf("function");
  });
});
