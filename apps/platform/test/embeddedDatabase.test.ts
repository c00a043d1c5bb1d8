/**
 * The embedded databases of `npm start`: a template made by PGlite's initdb,
 * databases copied from it into their own folders, each served from a worker
 * thread, migrated over the wire by the in-process migrator, and kept across
 * a close and a reopen. Several databases share a few worker threads yet stay
 * separate, close one by one, and their workers end with the last of them; a
 * database may start from a template of its own; a copy cut short leaves no
 * half database, and a folder that is not a database is reported, never
 * overwritten.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrateDeploy } from "@store/kit";
import { eventually, queryOnce } from "@store/testing";
import { ensurePgliteTemplate, openEmbeddedDatabase, openEmbeddedDatabases, type EmbeddedDatabase } from "../src/embeddedDatabase.ts";

// The real Worker, counted: how the tests see how many threads run and that they end.
const threads = vi.hoisted(() => ({ started: 0, live: new Set<Worker>() }));
vi.mock("node:worker_threads", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:worker_threads")>();
  class CountedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      threads.started += 1;
      threads.live.add(this);
      this.once("exit", () => threads.live.delete(this));
    }
  }
  return { ...actual, Worker: CountedWorker };
});

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const scratch = mkdtempSync(join(tmpdir(), "embedded-db-"));
const open: EmbeddedDatabase[] = [];

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  rmSync(scratch, { recursive: true, force: true });
});

async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await queryOnce<{ found: string | null }>(url, `SELECT to_regclass('public.${table}')::text AS found`);
  return row!.found !== null;
}

async function refuses(url: string): Promise<boolean> {
  return queryOnce(url, "SELECT 1").then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === "ECONNREFUSED",
  );
}

describe("embedded databases", () => {
  it("makes the template once, in place only when whole", async () => {
    const dir = join(scratch, "template");
    const made = await ensurePgliteTemplate(dir);
    expect(made).toEqual({ dir, created: true });
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
    // No scratch folder is left beside it.
    expect(readdirSync(scratch)).toEqual(["template"]);
    expect(await ensurePgliteTemplate(dir)).toEqual({ dir, created: false });
  }, 180_000);

  it("serves a copy of the template from a worker, migrated over the wire, and keeps its data across a reopen", async () => {
    const template = join(scratch, "template");
    const dataDir = join(scratch, "orders");
    const first = await openEmbeddedDatabase(dataDir, template);
    open.push(first);
    expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    expect((await migrateDeploy(join(root, "subgraphs/orders"), first.url)).length).toBeGreaterThan(0);
    await queryOnce(first.url, `INSERT INTO "ProductPrice" ("productId", "name", "priceCents", "updatedAt") VALUES ('00000000-0000-4000-8000-000000000001', 'Kept', 1234, now())`);
    await first.close();
    await first.close(); // twice is harmless

    const again = await openEmbeddedDatabase(dataDir, template);
    open.push(again);
    // Reopened, not copied again: the row and the migrations are there, nothing is pending.
    expect(await queryOnce(again.url, `SELECT "priceCents" FROM "ProductPrice"`)).toEqual([{ priceCents: 1234 }]);
    expect(await migrateDeploy(join(root, "subgraphs/orders"), again.url)).toEqual([]);
    await again.close();
  }, 180_000);

  it("reports a database that cannot open instead of hanging", async () => {
    // A file where the data folder should be.
    await expect(openEmbeddedDatabase(join(scratch, "template", "PG_VERSION"), join(scratch, "template"))).rejects.toThrow();
  }, 60_000);
});

describe("several embedded databases", () => {
  const template = join(scratch, "template");
  beforeAll(() => ensurePgliteTemplate(template), 180_000);

  it("serves each on its own port from two threads, keeps them apart, closes them one by one, and ends the threads after the last", async () => {
    const before = threads.started;
    const names = ["alpha", "beta", "gamma"];
    const opening = openEmbeddedDatabases(
      names.map((name) => ({ name, dataDir: join(scratch, "several", name) })),
      template,
      { threads: 2 },
    );
    expect([...opening.keys()].sort()).toEqual(names);
    const [alpha, beta, gamma] = await Promise.all(names.map((name) => opening.get(name)!));
    open.push(alpha!, beta!, gamma!);
    expect(threads.started - before).toBe(2);
    expect(new Set([alpha, beta, gamma].map((db) => new URL(db!.url).port)).size).toBe(3);

    await queryOnce(alpha!.url, "CREATE TABLE only_in_alpha (id int)");
    expect(await tableExists(alpha!.url, "only_in_alpha")).toBe(true);
    expect(await tableExists(beta!.url, "only_in_alpha")).toBe(false);
    expect(await tableExists(gamma!.url, "only_in_alpha")).toBe(false);

    // Alpha shares its thread with gamma (and beta has one of its own): both keep answering.
    await alpha!.close();
    expect(await refuses(alpha!.url)).toBe(true);
    expect(await queryOnce(beta!.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    expect(await queryOnce(gamma!.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);

    await Promise.all([beta!.close(), gamma!.close()]);
    expect(await refuses(beta!.url)).toBe(true);
    expect(await refuses(gamma!.url)).toBe(true);
    await eventually(() => threads.live.size === 0, { what: "every database thread to exit", timeoutMs: 15_000 });
  }, 180_000);
});

describe("the templates and copies of embedded databases", () => {
  const template = join(scratch, "template");
  const marked = join(scratch, "marked-template");

  beforeAll(async () => {
    await ensurePgliteTemplate(template);
    const db = await openEmbeddedDatabase(marked, template);
    open.push(db);
    await queryOnce(db.url, "CREATE TABLE marker (id int)");
    await db.close();
  }, 180_000);

  it("starts a database from its own template when it has one, and the others from the common one", async () => {
    const opening = openEmbeddedDatabases(
      [
        { name: "own", dataDir: join(scratch, "own-template"), template: marked },
        { name: "common", dataDir: join(scratch, "common-template") },
      ],
      template,
    );
    const [own, common] = await Promise.all([opening.get("own")!, opening.get("common")!]);
    open.push(own!, common!);
    expect(await tableExists(own!.url, "marker")).toBe(true);
    expect(await tableExists(common!.url, "marker")).toBe(false);
    await Promise.all([own!.close(), common!.close()]);
  }, 180_000);

  it("throws away a copy that was cut short and copies the template whole", async () => {
    const dataDir = join(scratch, "interrupted");
    mkdirSync(`${dataDir}.copying`);
    writeFileSync(join(`${dataDir}.copying`, "half-copied"), "junk");

    const db = await openEmbeddedDatabase(dataDir, marked);
    open.push(db);
    expect(existsSync(`${dataDir}.copying`)).toBe(false);
    expect(existsSync(join(dataDir, "half-copied"))).toBe(false);
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(await tableExists(db.url, "marker")).toBe(true);
    await db.close();
  }, 180_000);

  it("reports a folder that holds something other than a database and leaves its files alone", async () => {
    const dataDir = join(scratch, "not-a-database");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "notes.txt"), "mine");

    await expect(openEmbeddedDatabase(dataDir, template)).rejects.toThrow();
    expect(readdirSync(dataDir)).toEqual(["notes.txt"]);
    expect(readFileSync(join(dataDir, "notes.txt"), "utf8")).toBe("mine");
  }, 180_000);
});
