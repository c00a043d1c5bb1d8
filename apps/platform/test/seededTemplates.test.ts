/**
 * Seeded templates: the key names exactly what a service's seeded database is
 * made of (its migrations and sources, and the shared packages its seed runs
 * through, never its tests or generated code); a template is made once, by
 * `fill` over the wire, in a scratch folder renamed into place; a database
 * copied from it has its data; a source change makes it stale, and the next
 * one replaces it; a failing `fill` leaves nothing behind. Every repository
 * here is a small fixture in a temporary folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { queryOnce } from "@store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePgliteTemplate, openEmbeddedDatabase, type EmbeddedDatabase } from "../src/embeddedDatabase.ts";
import { findSeededTemplate, makeSeededTemplate, seededTemplateKey } from "../src/seededTemplates.ts";

const scratch = mkdtempSync(join(tmpdir(), "seeded-templates-"));
const initdb = join(scratch, "initdb");
const open: EmbeddedDatabase[] = [];

beforeAll(() => ensurePgliteTemplate(initdb), 180_000);

afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
  rmSync(scratch, { recursive: true, force: true });
});

function write(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
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

const seedOneRow = async (url: string) => {
  await queryOnce(url, "CREATE TABLE seeded (name text)");
  await queryOnce(url, "INSERT INTO seeded VALUES ('first')");
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
    for (const path of unrelated) {
      write(root, path, "// changed");
      expect(seededTemplateKey("demo", { root }), path).toBe(key);
    }
  });
});

describe("making a seeded template", () => {
  it("fills a copy of the initdb template once, puts it in place under its key, and a database copied from it has the data", async () => {
    const { root, dir } = fixtureRoot();
    let fills = 0;
    const fill = async (url: string) => {
      fills += 1;
      await seedOneRow(url);
    };
    const expected = join(dir, `demo-${seededTemplateKey("demo", { root })}`);
    expect(findSeededTemplate("demo", { root, dir })).toBeUndefined();

    expect(await makeSeededTemplate("demo", initdb, fill, { root, dir })).toEqual({ dir: expected, created: true });
    expect(readdirSync(dir)).toEqual([`demo-${seededTemplateKey("demo", { root })}`]);
    expect(existsSync(join(expected, "PG_VERSION"))).toBe(true);
    expect(findSeededTemplate("demo", { root, dir })).toBe(expected);

    expect(await makeSeededTemplate("demo", initdb, fill, { root, dir })).toEqual({ dir: expected, created: false });
    expect(fills).toBe(1);

    const db = await openEmbeddedDatabase(join(scratch, "from-seeded"), findSeededTemplate("demo", { root, dir }));
    open.push(db);
    expect(await queryOnce(db.url, "SELECT name FROM seeded")).toEqual([{ name: "first" }]);
    await db.close();
  }, 180_000);

  it("no longer finds a template once a source changes, and making the new one removes the old one but not other services'", async () => {
    const { root, dir } = fixtureRoot();
    const old = (await makeSeededTemplate("demo", initdb, seedOneRow, { root, dir })).dir;
    mkdirSync(join(dir, "other-0123456789abcdef"));
    write(root, "subgraphs/demo/src/index.ts", "export const demo = 2;");

    expect(findSeededTemplate("demo", { root, dir })).toBeUndefined();
    const made = await makeSeededTemplate("demo", initdb, seedOneRow, { root, dir });
    expect(made).toEqual({ dir: join(dir, `demo-${seededTemplateKey("demo", { root })}`), created: true });
    expect(made.dir).not.toBe(old);
    expect(existsSync(old)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([`demo-${seededTemplateKey("demo", { root })}`, "other-0123456789abcdef"]);
    expect(findSeededTemplate("demo", { root, dir })).toBe(made.dir);
  }, 180_000);

  it("passes on the error of a fill that fails, closes its database and leaves no template or scratch folder", async () => {
    const { root, dir } = fixtureRoot();
    let url = "";
    const failing = async (given: string) => {
      url = given;
      await queryOnce(given, "CREATE TABLE half (id int)");
      throw new Error("the seed failed");
    };

    await expect(makeSeededTemplate("demo", initdb, failing, { root, dir })).rejects.toThrow("the seed failed");
    expect(readdirSync(dir)).toEqual([]);
    expect(findSeededTemplate("demo", { root, dir })).toBeUndefined();
    await expect(queryOnce(url, "SELECT 1")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  }, 180_000);
});
