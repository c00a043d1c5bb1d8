import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCategories, demoProducts, demoUsers } from "@store/demo-data";
import { connectTestClient, DEFAULT_ADMIN_URL } from "@store/testing";
import { npmRun } from "./lib/npmRun.ts";
import { serviceNames } from "./lib/services.ts";

/**
 * `npm run db:create`, `migrate -- all` and `seed -- all` on databases of this
 * test's own (a DATABASE_NAME_PREFIX), as an operator runs them: seeding twice
 * leaves exactly the same rows, and rows that were there first (real ones that
 * clash with the demo data) are never overwritten.
 */

// test_<run>_ lets the global teardown find (and refuse) databases this run leaves behind.
const prefix = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_seed${randomBytes(3).toString("hex")}_`;
const env = { DATABASE_SERVER_URL: "postgresql://postgres@127.0.0.1:5432", DATABASE_NAME_PREFIX: prefix };
const urlOf = (service: string) => `${env.DATABASE_SERVER_URL}/${prefix}${service}`;

async function query<T extends Record<string, unknown>>(service: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = await connectTestClient(urlOf(service));
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Every row of every table of the seven databases, as a digest per table. */
async function snapshot(): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const service of serviceNames) {
    const tables = await query<{ tablename: string }>(service, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename`);
    for (const { tablename } of tables) {
      const [row] = await query<{ rows: string; digest: string | null }>(service, `SELECT count(*)::text AS rows, md5(string_agg(t::text, ',' ORDER BY t::text)) AS digest FROM "${tablename}" t`);
      digests[`${service}.${tablename}`] = `${row!.rows} ${row!.digest ?? ""}`;
    }
  }
  return digests;
}

const realCategoryId = randomUUID();
const realProductId = randomUUID();
const realUserId = randomUUID();
const ada = demoUsers.find((u) => u.email === "ada@example.com")!;
const clashingCategory = demoCategories[0]!;
const clashingSku = demoProducts.find((p) => p.categoryId !== clashingCategory.id)!.sku;
const stockedProduct = demoProducts[1]!;

let dbCreate: { code: number | null; stdout: string; stderr: string };
let firstSeed: Record<string, string>;

beforeAll(async () => {
  dbCreate = await npmRun("db:create", [], { env });
  expect(dbCreate.code, dbCreate.stderr).toBe(0);
  const migrated = await npmRun("migrate", ["all"], { env });
  expect(migrated.code, migrated.stderr).toBe(0);
  // Real rows first, each clashing with the demo data on a unique column.
  await query("catalog", `INSERT INTO "Category" (id, slug, name, description) VALUES ($1, $2, 'Our own', 'made before seeding')`, [realCategoryId, clashingCategory.slug]);
  await query("catalog", `INSERT INTO "Product" (id, sku, name, description, "categoryId", "priceCents", currency, "updatedAt") VALUES ($1, $2, 'Our product', '', $3, 100, 'USD', now())`, [realProductId, clashingSku, realCategoryId]);
  await query("accounts", `INSERT INTO "User" (id, email, name, "passwordHash", "updatedAt") VALUES ($1, $2, 'The real Ada', 'scrypt$1$1$1$x$y', now())`, [realUserId, ada.email]);
  await query("inventory", `INSERT INTO "StockItem" ("productId", "onHand", "updatedAt") VALUES ($1, 3, now())`, [stockedProduct.id]);
  const seeded = await npmRun("seed", ["all"], { env });
  expect(seeded.code, seeded.stderr).toBe(0);
  firstSeed = await snapshot();
}, 900_000);

afterAll(async () => {
  const admin = await connectTestClient(DEFAULT_ADMIN_URL);
  try {
    for (const service of serviceNames) await admin.query(`DROP DATABASE IF EXISTS "${prefix}${service}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}, 120_000);

describe("creating, migrating and seeding the seven databases", { timeout: 300_000 }, () => {
  it("creates <prefix><name> for each service, and leaves them alone the second time", async () => {
    for (const service of serviceNames) expect(dbCreate.stdout).toContain(`${prefix}${service}: created`);
    const again = await npmRun("db:create", [], { env });
    expect(again.code, again.stderr).toBe(0);
    for (const service of serviceNames) expect(again.stdout).toContain(`${prefix}${service}: exists already, left alone`);
  });

  it("seeds the demo data: every service's share of it", () => {
    const rows = (table: string) => Number(firstSeed[table]?.split(" ")[0]);
    expect(rows("inventory.StockItem")).toBe(demoProducts.length);
    expect(rows("cart.Cart")).toBe(1);
    for (const table of ["orders.Order", "payments.Payment", "shipping.Shipment"]) expect(rows(table)).toBe(3);
  });

  it("leaves exactly the same rows when run again", async () => {
    const again = await npmRun("seed", ["all"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(await snapshot()).toEqual(firstSeed);
  });

  it("never overwrites the rows that were there: a clashing demo row, and what hangs on it, is left out", async () => {
    expect(await query("catalog", `SELECT id, name FROM "Category" WHERE slug = $1`, [clashingCategory.slug])).toEqual([{ id: realCategoryId, name: "Our own" }]);
    // The demo category's products would point at a category that is not there.
    expect(await query("catalog", `SELECT id FROM "Product" WHERE "categoryId" = $1`, [clashingCategory.id])).toEqual([]);
    expect(await query("catalog", `SELECT id, name FROM "Product" WHERE sku = $1`, [clashingSku])).toEqual([{ id: realProductId, name: "Our product" }]);
    expect(await query("catalog", `SELECT count(*)::int AS n FROM "Product"`)).toEqual([{ n: demoProducts.filter((p) => p.categoryId !== clashingCategory.id).length }]);
    expect(await query("accounts", `SELECT id, name FROM "User" WHERE email = $1`, [ada.email])).toEqual([{ id: realUserId, name: "The real Ada" }]);
    expect(await query("accounts", `SELECT count(*)::int AS n FROM "Address" WHERE "userId" = $1`, [ada.id])).toEqual([{ n: 0 }]);
    expect(await query("inventory", `SELECT "onHand" FROM "StockItem" WHERE "productId" = $1`, [stockedProduct.id])).toEqual([{ onHand: 3 }]);
    expect(await query("inventory", `SELECT count(*)::int AS n FROM "StockMovement" WHERE "productId" = $1`, [stockedProduct.id])).toEqual([{ n: 0 }]);
  });
});
