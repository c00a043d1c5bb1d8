import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { formatReport, runSchemaCheck, type SchemaCheckReport } from "../src/index.ts";

/**
 * Real changes to this repo's subgraphs, proposed the way a subgraph team
 * would (`--subgraph x --schema file`), checked against the committed
 * supergraph and the registered operations in operations/.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "schema-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function propose(subgraph: string, edit: (sdl: string) => string): Promise<SchemaCheckReport> {
  const original = readFileSync(join(root, "subgraphs", subgraph, "schema.graphql"), "utf8");
  const edited = edit(original);
  expect(edited, "the fixture edit must change the schema").not.toBe(original);
  const file = join(dir, `${subgraph}-${Math.random().toString(36).slice(2)}.graphql`);
  writeFileSync(file, edited);
  return runSchemaCheck({ root, proposal: { subgraph, schemaFile: file } });
}

const breaking = (report: SchemaCheckReport) => report.changes.filter((c) => c.level === "breaking");

describe("schema check", () => {
  it("fails a removed field that an operation uses, naming the field and the operations", async () => {
    const report = await propose("catalog", (sdl) => sdl.replace(/(type Product @key[^{]*\{[\s\S]*?)\n\s*description: String!\n/, "$1\n"));
    expect(report.ok).toBe(false);
    const [removed] = breaking(report);
    expect(removed).toMatchObject({ type: "FIELD_REMOVED", path: "Product.description" });
    expect(removed!.affectedOperations).toContain("ProductDetails");
    expect(report.invalidOperations.map((o) => o.name)).toContain("ProductDetails");
    expect(formatReport(report)).toMatch(/BREAKING\s+Field 'description' was removed from object type 'Product' — breaks .*ProductDetails/);
  });

  it("fails a required argument added to a field an operation uses", async () => {
    const report = await propose("catalog", (sdl) => sdl.replace("products(filter: ProductFilter,", "products(region: String!, filter: ProductFilter,"));
    expect(report.ok).toBe(false);
    const [added] = breaking(report);
    expect(added).toMatchObject({ type: "FIELD_ARGUMENT_ADDED", path: "Query.products.region" });
    expect(added!.affectedOperations).toEqual(["BrowseProducts"]);
  });

  it("fails a nullable input field made non-null", async () => {
    const report = await propose("catalog", (sdl) => sdl.replace(/(input ProductFilter \{[\s\S]*?)search: String\n/, "$1search: String!\n"));
    expect(report.ok).toBe(false);
    expect(breaking(report)).toEqual([expect.objectContaining({ path: "ProductFilter.search", affectedOperations: ["BrowseProducts"] })]);
  });

  it("passes a new optional field as safe", async () => {
    const report = await propose("catalog", (sdl) => sdl.replace("  sku: String!\n", "  sku: String!\n  weightGrams: Int\n"));
    expect(report.ok).toBe(true);
    expect(report.changes.find((c) => c.path === "Product.weightGrams")).toMatchObject({ level: "safe" });
  });

  it("passes an added enum value as dangerous", async () => {
    const report = await propose("catalog", (sdl) => sdl.replace(/(enum ProductSortField \{\n)/, "$1  RATING\n"));
    expect(report.ok).toBe(true);
    expect(report.changes.find((c) => c.path === "ProductSortField.RATING")).toMatchObject({ level: "dangerous" });
  });

  it("fails composition when an @key is removed, naming the subgraph", async () => {
    const report = await propose("inventory", (sdl) => sdl.replace('type Product @key(fields: "id")', "type Product"));
    expect(report.ok).toBe(false);
    expect(report.composition.ok).toBe(false);
    expect(report.composition.problems.some((p) => p.subgraphs.includes("inventory"))).toBe(true);
  });

  it("lets a breaking change that no operation uses through only with the explicit flag", async () => {
    const edit = (sdl: string) => sdl.replace(/\n\s*"Only products in this category \(by id\)\."\n\s*categoryId: ID\n/, "\n");
    const strict = await propose("catalog", edit);
    expect(breaking(strict)).toEqual([expect.objectContaining({ path: "ProductFilter.categoryId" })]);
    // BrowseProducts passes a ProductFilter, so removing one of its fields could break it.
    expect(breaking(strict)[0]!.affectedOperations).toEqual(["BrowseProducts"]);

    const unused = (sdl: string) => sdl.replace(/\n\s*"A category by slug[^"]*"\n/, "\n").replace(/\n\s*category\(slug: String!\): Category\n/, "\n");
    const report = await runSchemaCheck({ root, proposal: { subgraph: "catalog", schemaFile: write("catalog", unused) }, allowUnusedBreaking: true });
    expect(breaking(report)).toEqual([expect.objectContaining({ path: "Query.category", affectedOperations: [] })]);
    expect(report.ok).toBe(true);
    const without = await runSchemaCheck({ root, proposal: { subgraph: "catalog", schemaFile: write("catalog", unused) } });
    expect(without.ok).toBe(false);
  });

  it("fails when the committed supergraph is stale", async () => {
    const stale = join(dir, "stale-supergraph.graphql");
    writeFileSync(stale, readFileSync(join(root, "supergraph.graphql"), "utf8").replace("type Query", "type Query\n  @join__type(graph: CATALOG)"));
    const report = await runSchemaCheck({ root, supergraph: stale });
    expect(report.supergraphUpToDate).toBe(false);
    expect(report.ok).toBe(false);
    expect(report.failures.join()).toMatch(/stale/);
  });
});

function write(subgraph: string, edit: (sdl: string) => string): string {
  const original = readFileSync(join(root, "subgraphs", subgraph, "schema.graphql"), "utf8");
  const edited = edit(original);
  expect(edited).not.toBe(original);
  const file = join(dir, `${subgraph}-${Math.random().toString(36).slice(2)}.graphql`);
  writeFileSync(file, edited);
  return file;
}

describe("schema check against a git ref", () => {
  it("composes the subgraphs as they were at the ref and diffs against that", async () => {
    const report = await runSchemaCheck({ root, baseRef: "HEAD" });
    expect(report.base).toBe("git ref HEAD");
    expect(report.composition.ok).toBe(true);
    expect(breaking(report)).toEqual([]);
  });
});

describe("npm run schema:check (the CLI)", () => {
  const cli = (args: string[]) => {
    return spawnSync(process.execPath, ["--import", "tsx", "scripts/schema-check.ts", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  };

  it("exits 1 on a breaking change and names the field and the operations in its report and in --json", () => {
    const file = write("catalog", (sdl) => sdl.replace(/(type Product @key[^{]*\{[\s\S]*?)\n\s*description: String!\n/, "$1\n"));
    const text = cli(["--subgraph", "catalog", "--schema", file]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/BREAKING\s+Field 'description' was removed from object type 'Product' — breaks .*ProductDetails/);
    const json = cli(["--subgraph", "catalog", "--schema", file, "--json"]);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as SchemaCheckReport;
    expect(report.changes.find((c) => c.path === "Product.description")?.affectedOperations).toContain("ProductDetails");
  });

  it("exits 0 for a safe change and 2 for a misuse", () => {
    const file = write("catalog", (sdl) => sdl.replace("  sku: String!\n", "  sku: String!\n  weightGrams: Int\n"));
    expect(cli(["--subgraph", "catalog", "--schema", file]).status).toBe(0);
    expect(cli(["--subgraph", "catalog"]).status).toBe(2);
  });
});
