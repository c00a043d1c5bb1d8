/**
 * The seeded template: PGlite's initdb template with every service's schema
 * migrated and its demo data seeded, made by the install (`npm start
 * --prepare`, the postinstall). A new `npm start` data folder copies it
 * instead of migrating and seeding seven schemas on its first start.
 *
 * It is named after what made it: a hash of each service's migrations and
 * sources, the shared packages its seed runs through, and the PGlite version.
 * When any of them changes, the template no longer matches and the first
 * start migrates and seeds the initdb copy itself, as it always did; the next
 * install (or `npm start -- --prepare`) makes a current template.
 *
 * Light on purpose, like embeddedDatabase.ts: nothing here loads a service.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openEmbeddedDatabase, pgliteTemplateDir, type EmbeddedDatabase } from "./embeddedDatabase.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** What a service's seeded database is made from, besides its own folder. */
const SHARED_SOURCES = ["packages/kit/src", "packages/events/src", "packages/demo-data/src"];

function filesUnder(dir: string, into: string[] = []): string[] {
  if (!existsSync(dir)) return into;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      // Generated clients follow from schema.prisma, which is hashed; tests seed nothing.
      if (entry.name !== "generated" && entry.name !== "test" && entry.name !== "node_modules") filesUnder(path, into);
    } else if (!entry.name.endsWith(".test.ts")) into.push(path);
  }
  return into;
}

export interface SeededTemplateOptions {
  /** The repository whose sources the key is made of. @default this one */
  root?: string;
  /** Where the templates are kept. @default beside PGlite's initdb template */
  dir?: string;
}

/** The hash a current seeded template of `service` is named by. */
export function seededTemplateKey(service: string, { root = ROOT }: SeededTemplateOptions = {}): string {
  const hash = createHash("sha256").update(basename(pgliteTemplateDir()));
  const files = [join(root, "subgraphs", service, "prisma"), join(root, "subgraphs", service, "src"), ...SHARED_SOURCES.map((dir) => join(root, dir))].flatMap((dir) =>
    filesUnder(dir).sort(),
  );
  for (const file of files) hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

/**
 * The hash the seeded template of a set of services is named by: their names
 * and each one's own key, so that a change to any of them makes it stale.
 */
export function storeTemplateKey(services: readonly string[], options: SeededTemplateOptions = {}): string {
  const hash = createHash("sha256");
  for (const service of [...services].sort()) hash.update(service).update("\0").update(seededTemplateKey(service, options)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

const TEMPLATE_NAME = /^store-[0-9a-f]{16}$/;
const seededRoot = (options: SeededTemplateOptions) => options.dir ?? join(dirname(pgliteTemplateDir()), "seeded");
const templateDir = (services: readonly string[], options: SeededTemplateOptions) => join(seededRoot(options), `store-${storeTemplateKey(services, options)}`);

/** The current seeded template of these services, if the install made one. */
export function findSeededTemplate(services: readonly string[], options: SeededTemplateOptions = {}): string | undefined {
  const dir = templateDir(services, options);
  return existsSync(join(dir, "PG_VERSION")) ? dir : undefined;
}

/**
 * Makes the current seeded template of these services unless it exists: a
 * copy of `initdbTemplate` opened in a scratch folder, given to `fill` (which
 * migrates and seeds each service's schema over `database.urlFor`), closed,
 * and renamed into place. Older seeded templates are removed, the
 * per-service ones of the earlier design too.
 */
export async function makeSeededTemplate(
  services: readonly string[],
  initdbTemplate: string,
  fill: (database: EmbeddedDatabase) => Promise<void>,
  options: SeededTemplateOptions = {},
): Promise<{ dir: string; created: boolean }> {
  const dir = templateDir(services, options);
  if (existsSync(join(dir, "PG_VERSION"))) return { dir, created: false };
  const seeded = seededRoot(options);
  mkdirSync(seeded, { recursive: true });
  const scratch = `${dir}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    const database = await openEmbeddedDatabase(scratch, initdbTemplate);
    try {
      await fill(database);
    } finally {
      await database.close();
    }
    if (!existsSync(join(dir, "PG_VERSION"))) renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // Earlier store templates go, and the per-service ones of the design before (`<service>-<key>`).
  const earlier = new Set(services);
  const stale = (name: string) => TEMPLATE_NAME.test(name) || (/-[0-9a-f]{16}$/.test(name) && earlier.has(name.slice(0, -17)));
  for (const other of readdirSync(seeded)) {
    const path = join(seeded, other);
    if (stale(other) && path !== dir && statSync(path).isDirectory()) rmSync(path, { recursive: true, force: true });
  }
  return { dir, created: true };
}
