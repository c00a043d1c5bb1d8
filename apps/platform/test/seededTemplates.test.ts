/**
 * The store's seeded template: one database with a schema per service,
 * migrated and seeded. A service's key names exactly what its schema is made
 * of (its migrations and sources, and the shared packages its seed runs
 * through, never its tests or generated code), and the template's key is made
 * of its services' keys; the template is made once, by `fill` over the wire,
 * in a scratch folder renamed into place as `store-<key>`; a database copied
 * from it has what `fill` wrote in each schema; a change to any service's
 * sources makes it stale, and the next one replaces it (other folders stay);
 * a failing `fill` leaves nothing behind and its database closed. Every
 * repository here is a small fixture in a temporary folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { migrateDeploy } from "@store/kit";
import { queryOnce } from "@store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePgliteTemplate, openEmbeddedDatabase, type EmbeddedDatabase } from "../src/embeddedDatabase.ts";
import { findSeededTemplate, makeSeededTemplate, seededTemplateKey, storeTemplateKey } from "../src/seededTemplates.ts";

const scratch = mkdtempSync(join(tmpdir(), "seeded-templates-"));
const initdb = join(scratch, "initdb");
const open: EmbeddedDatabase[] = [];
/** The fixture's services: the store's template is of all of them. */
const services = ["demo", "other"];

beforeAll(() => ensurePgliteTemplate(initdb), 180_000);

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  rmSync(scratch, { recursive: true, force: true });
});

function write(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

/** Changes each file in turn, expecting the key to stay `key` after every change. */
function expectUnchangedBy(root: string, paths: readonly string[], key: string, keyOf: () => string): void {
  for (const path of paths) {
    write(root, path, "// changed");
    expect(keyOf(), path).toBe(key);
  }
}

let fixtures = 0;
/** A repository with a "demo" service, another service, and the shared packages. */
function fixtureRoot(): { root: string; dir: string } {
  const root = join(scratch, `repo-${(fixtures += 1)}`);
  const files: Record<string, string> = {
    "subgraphs/demo/prisma/schema.prisma": "model Thing { id Int @id }",
    "subgraphs/demo/prisma/migrations/0001_init/migration.sql": "CREATE TABLE thing (id int);",
    "subgraphs/demo/prisma/generated/client.ts": "export {};",
    "subgraphs/demo/src/index.ts": "export const demo = 1;",
    "subgraphs/demo/src/index.test.ts": "test;",
    "subgraphs/demo/test/seed.test.ts": "test;",
    "subgraphs/demo/test/helpers.ts": "export {};",
    "subgraphs/other/prisma/schema.prisma": "model Other { id Int @id }",
    "subgraphs/other/src/index.ts": "export const other = 1;",
    "packages/kit/src/a.ts": "export const a = 1;",
    "packages/events/src/b.ts": "export const b = 1;",
    "packages/demo-data/src/c.ts": "export const c = 1;",
    "packages/testing/src/d.ts": "export const d = 1;",
  };
  for (const [path, content] of Object.entries(files)) write(root, path, content);
  return { root, dir: join(root, "seeded") };
}

/** What `npm start --prepare` does, in small: migrates the demo service's schema and seeds it, and writes a row in `public`. */
const fillFrom = (root: string) => async (database: EmbeddedDatabase) => {
  const demo = database.urlFor("demo");
  await migrateDeploy(join(root, "subgraphs/demo"), demo);
  await queryOnce(demo, "INSERT INTO thing VALUES (7)");
  await queryOnce(database.url, "CREATE TABLE seeded (name text)");
  await queryOnce(database.url, "INSERT INTO seeded VALUES ('first')");
};

describe("the key of a seeded template", () => {
  it("stays the same while the files it is made of do not change", () => {
    const { root } = fixtureRoot();
    const key = seededTemplateKey("demo", { root });
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(seededTemplateKey("demo", { root })).toBe(key);
    expect(seededTemplateKey("other", { root })).not.toBe(key);
  });

  it("changes with the service's migrations and sources and with the shared packages its seed runs through", () => {
    const { root } = fixtureRoot();
    const changes = [
      "subgraphs/demo/prisma/schema.prisma",
      "subgraphs/demo/prisma/migrations/0001_init/migration.sql",
      "subgraphs/demo/prisma/migrations/0002_more/migration.sql",
      "subgraphs/demo/src/index.ts",
      "packages/kit/src/a.ts",
      "packages/events/src/b.ts",
      "packages/demo-data/src/c.ts",
    ];
    for (const path of changes) {
      const before = seededTemplateKey("demo", { root });
      write(root, path, "-- changed");
      expect(seededTemplateKey("demo", { root }), path).not.toBe(before);
    }
  });

  it("does not change with tests, generated code, another service or another package", () => {
    const { root } = fixtureRoot();
    const key = seededTemplateKey("demo", { root });
    const unrelated = [
      "subgraphs/demo/test/seed.test.ts",
      "subgraphs/demo/test/helpers.ts",
      "subgraphs/demo/src/index.test.ts",
      "subgraphs/demo/src/orders.test.ts",
      "subgraphs/demo/src/test/fixtures.ts",
      "packages/kit/src/test/fixtures.ts",
      "packages/kit/src/kit.test.ts",
      "subgraphs/demo/prisma/generated/client.ts",
      "subgraphs/demo/src/generated/types.ts",
      "subgraphs/other/src/index.ts",
      "subgraphs/other/prisma/schema.prisma",
      "packages/testing/src/d.ts",
    ];
    expectUnchangedBy(root, unrelated, key, () => seededTemplateKey("demo", { root }));
  });
});

describe("the key of the store's template", () => {
  it("stays the same while its services' files do not change, whatever their order, and differs for another set of services", () => {
    const { root } = fixtureRoot();
    const key = storeTemplateKey(services, { root });
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(storeTemplateKey(services, { root })).toBe(key);
    expect(storeTemplateKey([...services].reverse(), { root })).toBe(key);
    expect(storeTemplateKey(["demo"], { root })).not.toBe(key);
  });

  it("changes when the sources of any of its services or the shared packages change", () => {
    const { root } = fixtureRoot();
    const changes = [
      "subgraphs/demo/prisma/migrations/0001_init/migration.sql",
      "subgraphs/demo/src/index.ts",
      "subgraphs/other/prisma/schema.prisma",
      "subgraphs/other/prisma/migrations/0001_init/migration.sql",
      "subgraphs/other/src/index.ts",
      "packages/kit/src/a.ts",
    ];
    for (const path of changes) {
      const before = storeTemplateKey(services, { root });
      write(root, path, "-- changed");
      expect(storeTemplateKey(services, { root }), path).not.toBe(before);
    }
  });

  it("does not change with tests, generated code or a service that is not one of them", () => {
    const { root } = fixtureRoot();
    const key = storeTemplateKey(services, { root });
    const unrelated = [
      "subgraphs/demo/test/seed.test.ts",
      "subgraphs/demo/src/index.test.ts",
      "subgraphs/other/src/other.test.ts",
      "subgraphs/other/test/helpers.ts",
      "subgraphs/demo/prisma/generated/client.ts",
      "subgraphs/other/src/generated/types.ts",
      "subgraphs/third/src/index.ts",
      "packages/testing/src/d.ts",
    ];
    expectUnchangedBy(root, unrelated, key, () => storeTemplateKey(services, { root }));
  });
});

describe("making the store's seeded template", () => {
  it("fills a copy of the initdb template once, puts it in place under its key, and a database copied from it has the data of each schema", async () => {
    const { root, dir } = fixtureRoot();
    let fills = 0;
    const fill = async (database: EmbeddedDatabase) => {
      fills += 1;
      await fillFrom(root)(database);
    };
    const name = `store-${storeTemplateKey(services, { root })}`;
    const expected = join(dir, name);
    expect(findSeededTemplate(services, { root, dir })).toBeUndefined();

    expect(await makeSeededTemplate(services, initdb, fill, { root, dir })).toEqual({ dir: expected, created: true });
    // No scratch folder is left beside it.
    expect(readdirSync(dir)).toEqual([name]);
    expect(existsSync(join(expected, "PG_VERSION"))).toBe(true);
    expect(findSeededTemplate(services, { root, dir })).toBe(expected);
    expect(findSeededTemplate(["demo"], { root, dir })).toBeUndefined();

    expect(await makeSeededTemplate(services, initdb, fill, { root, dir })).toEqual({ dir: expected, created: false });
    expect(fills).toBe(1);

    const db = await openEmbeddedDatabase(join(scratch, "from-seeded"), findSeededTemplate(services, { root, dir }));
    open.push(db);
    expect(await queryOnce(db.url, "SELECT name FROM seeded")).toEqual([{ name: "first" }]);
    expect(await queryOnce(db.urlFor("demo"), "SELECT id FROM thing")).toEqual([{ id: 7 }]);
    // Migrated already: a start finds nothing to apply.
    expect(await migrateDeploy(join(root, "subgraphs/demo"), db.urlFor("demo"))).toEqual([]);
    await db.close();
  }, 180_000);

  it("no longer finds a template once a service's source changes, and making the new one removes the old ones but no other folder", async () => {
    const { root, dir } = fixtureRoot();
    const old = (await makeSeededTemplate(services, initdb, fillFrom(root), { root, dir })).dir;
    // One of an earlier store, one of the per-service templates before them (both go), and others (they stay).
    mkdirSync(join(dir, "store-0123456789abcdef"));
    mkdirSync(join(dir, "demo-0123456789abcdef"));
    mkdirSync(join(dir, "third-0123456789abcdef"));
    mkdirSync(join(dir, "mine"));
    write(root, "subgraphs/other/src/index.ts", "export const other = 2;");

    expect(findSeededTemplate(services, { root, dir })).toBeUndefined();
    const made = await makeSeededTemplate(services, initdb, fillFrom(root), { root, dir });
    const name = `store-${storeTemplateKey(services, { root })}`;
    expect(made).toEqual({ dir: join(dir, name), created: true });
    expect(made.dir).not.toBe(old);
    expect(existsSync(old)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["mine", name, "third-0123456789abcdef"].sort());
    expect(findSeededTemplate(services, { root, dir })).toBe(made.dir);
  }, 180_000);

  it("passes on the error of a fill that fails, closes its database and leaves no template or scratch folder", async () => {
    const { root, dir } = fixtureRoot();
    let url = "";
    const failing = async (database: EmbeddedDatabase) => {
      url = database.url;
      await queryOnce(database.urlFor("demo"), "CREATE SCHEMA demo; CREATE TABLE half (id int)");
      throw new Error("the seed failed");
    };

    await expect(makeSeededTemplate(services, initdb, failing, { root, dir })).rejects.toThrow("the seed failed");
    expect(readdirSync(dir)).toEqual([]);
    expect(findSeededTemplate(services, { root, dir })).toBeUndefined();
    await expect(queryOnce(url, "SELECT 1")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  }, 180_000);
});
