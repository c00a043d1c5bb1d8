/**
 * The embedded database of `npm start`: a template made by PGlite's initdb,
 * a copy of it in a folder of its own, served from one worker thread that
 * listens before PostgreSQL has started (a query made meanwhile waits, and
 * `opened` says when it serves), migrated over the wire by the in-process
 * migrator, and kept across a close and a reopen; the worker ends with the
 * close. Services share it, each in its own schema: their migrations, tables
 * and bookkeeping stay apart. A worker the launcher started early for a
 * folder is the one that folder's database takes, and no other's. A copy cut
 * short leaves no half database, and a folder that is not a database is
 * reported, never overwritten.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrateDeploy } from "@store/kit";
import { queryOnce } from "@store/testing";
import { startEarly, takeEarly } from "../src/databaseWorker.mjs";
import { ensurePgliteTemplate, openEmbeddedDatabase, type EmbeddedDatabase } from "../src/embeddedDatabase.ts";

// The real Worker, counted: how the tests see which thread a database runs in and that it ends.
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
const template = join(scratch, "template");
const open: EmbeddedDatabase[] = [];

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  // A worker started early that a failed test left untaken.
  await Promise.all([...threads.live].map((worker) => worker.terminate()));
  rmSync(scratch, { recursive: true, force: true });
});

/** Opens a database that the tests close, and afterAll too if a test failed first. */
async function openDatabase(dataDir: string, from = template): Promise<EmbeddedDatabase> {
  const db = await openEmbeddedDatabase(dataDir, from);
  open.push(db);
  return db;
}

/** The worker thread started last and still running. */
const newestWorker = (): Worker => [...threads.live].at(-1)!;

/** Whether `table` is found where the URL's connections look for an unqualified name (its schema). */
async function sees(url: string, table: string): Promise<boolean> {
  const [row] = await queryOnce<{ found: string | null }>(url, `SELECT to_regclass('"${table}"')::text AS found`);
  return row!.found !== null;
}

async function refuses(url: string): Promise<boolean> {
  return queryOnce(url, "SELECT 1").then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === "ECONNREFUSED",
  );
}

describe("the embedded database", () => {
  it("makes the template once, in place only when whole", async () => {
    const made = await ensurePgliteTemplate(template);
    expect(made).toEqual({ dir: template, created: true });
    expect(existsSync(join(template, "PG_VERSION"))).toBe(true);
    // No scratch folder is left beside it.
    expect(readdirSync(scratch)).toEqual(["template"]);
    expect(await ensurePgliteTemplate(template)).toEqual({ dir: template, created: false });
  }, 180_000);

  it("serves a copy of the template from a worker, migrated over the wire, keeps its data across a reopen, and ends the worker on close", async () => {
    const dataDir = join(scratch, "store");
    const before = threads.started;
    const first = await openDatabase(dataDir);
    expect(threads.started - before).toBe(1);
    const worker = newestWorker();
    expect(first.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    const orders = first.urlFor("orders");
    expect(new URL(orders).searchParams.get("schema")).toBe("orders");
    expect((await migrateDeploy(join(root, "subgraphs/orders"), orders)).length).toBeGreaterThan(0);
    await queryOnce(orders, `INSERT INTO "ProductPrice" ("productId", "name", "priceCents", "updatedAt") VALUES ('00000000-0000-4000-8000-000000000001', 'Kept', 1234, now())`);
    await first.close();
    await first.close(); // twice is harmless
    expect(threads.live.has(worker)).toBe(false);
    expect(await refuses(first.url)).toBe(true);

    const again = await openDatabase(dataDir);
    const reopened = newestWorker();
    // Reopened, not copied again: the row and the migrations are there, nothing is pending.
    expect(await queryOnce(again.urlFor("orders"), `SELECT "priceCents" FROM "ProductPrice"`)).toEqual([{ priceCents: 1234 }]);
    expect(await migrateDeploy(join(root, "subgraphs/orders"), again.urlFor("orders"))).toEqual([]);
    await again.close();
    expect(threads.live.has(reopened)).toBe(false);
  }, 180_000);

  it("answers a query made before PostgreSQL has started once it has, and says how long opening took", async () => {
    const db = await openDatabase(join(scratch, "early-query"));
    let opened = false;
    void db.opened.then(() => (opened = true));
    // It listens first: PGlite is still being loaded and the template copied (a settled `opened` would win the race).
    expect(await Promise.race([db.opened.then(() => "opened"), new Promise((resolve) => setImmediate(() => resolve("opening")))])).toBe("opening");
    const answer = queryOnce<{ one: number }>(db.url, "SELECT 1 AS one").then((rows) => ({ rows, opened }));
    expect(await answer).toEqual({ rows: [{ one: 1 }], opened: true });
    const openMs = await db.opened;
    expect(typeof openMs).toBe("number");
    expect(openMs).toBeGreaterThan(0);
    await db.close();
  }, 180_000);

  it("keeps the schemas of two services apart: their migrations, tables and bookkeeping", async () => {
    const db = await openDatabase(join(scratch, "two-services"));
    const orders = db.urlFor("orders");
    const payments = db.urlFor("payments");
    // At once, as `npm start` migrates its services. Their migrations have the same names, so a
    // shared `_prisma_migrations` would have the second find nothing to do.
    const [forOrders, forPayments] = await Promise.all([migrateDeploy(join(root, "subgraphs/orders"), orders), migrateDeploy(join(root, "subgraphs/payments"), payments)]);
    expect(forOrders.length).toBeGreaterThan(0);
    expect(forPayments).toEqual(forOrders);

    expect(await sees(orders, "Order")).toBe(true);
    expect(await sees(payments, "Order")).toBe(false);
    expect(await sees(payments, "Payment")).toBe(true);
    expect(await sees(orders, "Payment")).toBe(false);
    expect(await sees(db.url, "Order")).toBe(false);

    await queryOnce(orders, "CREATE TABLE only_in_orders (id int)");
    expect(await sees(orders, "only_in_orders")).toBe(true);
    expect(await sees(payments, "only_in_orders")).toBe(false);
    // Both have an OutboxEvent table, each its own.
    await queryOnce(orders, `INSERT INTO "OutboxEvent" (id, type, envelope, "occurredAt") VALUES ('00000000-0000-4000-8000-000000000002', 'order.placed', '{}', now())`);
    expect(await queryOnce(payments, `SELECT count(*)::int AS n FROM "OutboxEvent"`)).toEqual([{ n: 0 }]);

    const bookkeeping = await queryOnce<{ schema: string }>(db.url, "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = '_prisma_migrations' ORDER BY 1");
    expect(bookkeeping).toEqual([{ schema: "orders" }, { schema: "payments" }]);
    await db.close();
  }, 180_000);

  it("reports a database that cannot open instead of hanging", async () => {
    // A file where the data folder should be.
    const dataDir = join(scratch, "a-file");
    writeFileSync(dataDir, "not a folder");
    const db = await openDatabase(dataDir);
    const worker = newestWorker();
    await expect(db.opened).rejects.toThrow(/ENOTDIR/);
    // A connection gets the error too, rather than waiting for ever.
    await expect(queryOnce(db.url, "SELECT 1")).rejects.toThrow(/ENOTDIR/);
    await db.close();
    expect(threads.live.has(worker)).toBe(false);
    expect(readFileSync(dataDir, "utf8")).toBe("not a folder");
    expect(existsSync(`${dataDir}.copying`)).toBe(false);
  }, 60_000);
});

describe("a database worker started early", () => {
  const ready = join(scratch, "ready");
  const another = join(scratch, "another");

  beforeAll(async () => {
    await ensurePgliteTemplate(template);
    // The launcher starts one early only for a folder that holds a database already.
    for (const dataDir of [ready, another]) {
      const db = await openDatabase(dataDir);
      await db.opened;
      await db.close();
    }
  }, 180_000);

  it("is the one the database of its folder runs in, taken once", async () => {
    const before = threads.started;
    startEarly(ready);
    expect(threads.started - before).toBe(1);
    const early = newestWorker();

    const db = await openDatabase(ready);
    expect(threads.started - before).toBe(1);
    expect(takeEarly(ready)).toBeUndefined();
    expect(await queryOnce(db.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    expect(typeof (await db.opened)).toBe("number");
    await db.close();
    expect(threads.live.has(early)).toBe(false);
  }, 180_000);

  it("is not taken by the database of another folder", async () => {
    const before = threads.started;
    startEarly(another);
    const early = newestWorker();
    const db = await openDatabase(ready);
    expect(threads.started - before).toBe(2);
    // Still there for its own folder: opening that starts no thread.
    const its = await openDatabase(another);
    expect(threads.started - before).toBe(2);
    expect(await queryOnce(db.url, "SELECT 'ready' AS folder")).toEqual([{ folder: "ready" }]);
    expect(await queryOnce(its.url, "SELECT 'another' AS folder")).toEqual([{ folder: "another" }]);
    await its.close();
    expect(threads.live.has(early)).toBe(false);
    await db.close();
  }, 180_000);
});

describe("copies of the template", () => {
  const marked = join(scratch, "marked-template");

  beforeAll(async () => {
    await ensurePgliteTemplate(template);
    const db = await openDatabase(marked);
    await queryOnce(db.url, "CREATE TABLE marker (id int)");
    await db.close();
  }, 180_000);

  it("throws away a copy that was cut short and copies the template whole", async () => {
    const dataDir = join(scratch, "interrupted");
    mkdirSync(`${dataDir}.copying`);
    writeFileSync(join(`${dataDir}.copying`, "half-copied"), "junk");

    const db = await openDatabase(dataDir, marked);
    await db.opened;
    expect(existsSync(`${dataDir}.copying`)).toBe(false);
    expect(existsSync(join(dataDir, "half-copied"))).toBe(false);
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(await sees(db.url, "marker")).toBe(true);
    await db.close();
  }, 180_000);

  it("reports a folder that holds something other than a database and leaves its files alone", async () => {
    const dataDir = join(scratch, "not-a-database");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "notes.txt"), "mine");

    const db = await openDatabase(dataDir);
    await expect(db.opened).rejects.toThrow();
    await db.close();
    expect(readdirSync(dataDir)).toEqual(["notes.txt"]);
    expect(readFileSync(join(dataDir, "notes.txt"), "utf8")).toBe("mine");
    expect(existsSync(`${dataDir}.copying`)).toBe(false);
  }, 180_000);
});
