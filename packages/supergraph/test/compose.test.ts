import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SupergraphConfigError, composeSupergraph, readSupergraphConfig } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "compose-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function workspace(files: Record<string, string>, config: string): string {
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const path = join(dir, "supergraph.yaml");
  writeFileSync(path, config);
  return path;
}

const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])`;
const config = `federation_version: =2.7.0
subgraphs:
  products:
    routing_url: http://127.0.0.1:5001/graphql
    schema: { file: ./products.graphql }
  stock:
    routing_url: http://127.0.0.1:5002/graphql
    schema: { file: ./stock.graphql }
`;

describe("composeSupergraph", () => {
  it("composes subgraphs read from a rover-style config", () => {
    const path = workspace(
      {
        "products.graphql": `${link}\ntype Product @key(fields: "id") { id: ID! name: String! }\ntype Query { products: [Product!]! }`,
        "stock.graphql": `${link}\ntype Product @key(fields: "id") { id: ID! stock: Int! }`,
      },
      config,
    );
    const result = composeSupergraph(readSupergraphConfig(path));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.supergraphSdl).toMatch(/join__graph\(name: "stock", url: "http:\/\/127.0.0.1:5002\/graphql"\)/);
  });

  it("names the subgraph and the file location of a composition error", () => {
    const path = workspace(
      {
        "products.graphql": `${link}\ntype Product @key(fields: "id") { id: ID! name: String! }\ntype Query { products: [Product!]! }`,
        // No @key here: stock's Product is a second, unrelated definition of the same type.
        "stock.graphql": `${link}\ntype Product { id: ID! stock: Int! }\ntype Query { inStock: [Product!]! }`,
      },
      config,
    );
    const result = composeSupergraph(readSupergraphConfig(path), dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.subgraphs.includes("stock"));
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem!.locations.some((l) => /^stock\.graphql:\d+:\d+$/.test(l))).toBe(true);
  });

  it("reports invalid SDL with its file and line", () => {
    const path = workspace({ "products.graphql": `${link}\ntype Product {`, "stock.graphql": `${link}\ntype Query { x: Int }` }, config);
    const result = composeSupergraph(readSupergraphConfig(path), dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ code: "INVALID_GRAPHQL", subgraphs: ["products"], locations: ["products.graphql:2:15"] });
  });

  it("rejects a malformed config with a stable error", () => {
    const path = workspace({}, "subgraphs:\n  Bad Name:\n    routing_url: nope\n");
    expect(() => readSupergraphConfig(path)).toThrow(SupergraphConfigError);
  });
});
