/**
 * The embedded databases of `npm start`: a template made by PGlite's initdb,
 * databases copied from it into their own folders, each served from a worker
 * thread, migrated over the wire by the in-process migrator, and kept across
 * a close and a reopen.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDeploy } from "@store/kit";
import { ensurePgliteTemplate, openEmbeddedDatabase, type EmbeddedDatabase } from "../src/embeddedDatabase.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const scratch = mkdtempSync(join(tmpdir(), "embedded-db-"));
const open: EmbeddedDatabase[] = [];

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  rmSync(scratch, { recursive: true, force: true });
});

async function query<R>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
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
    await query(first.url, `INSERT INTO "ProductPrice" ("productId", "name", "priceCents", "updatedAt") VALUES ('00000000-0000-4000-8000-000000000001', 'Kept', 1234, now())`);
    await first.close();
    await first.close(); // twice is harmless

    const again = await openEmbeddedDatabase(dataDir, template);
    open.push(again);
    // Reopened, not copied again: the row and the migrations are there, nothing is pending.
    expect(await query(again.url, `SELECT "priceCents" FROM "ProductPrice"`)).toEqual([{ priceCents: 1234 }]);
    expect(await migrateDeploy(join(root, "subgraphs/orders"), again.url)).toEqual([]);
    await again.close();
  }, 180_000);

  it("reports a database that cannot open instead of hanging", async () => {
    // A file where the data folder should be.
    await expect(openEmbeddedDatabase(join(scratch, "template", "PG_VERSION"), join(scratch, "template"))).rejects.toThrow();
  }, 60_000);
});
