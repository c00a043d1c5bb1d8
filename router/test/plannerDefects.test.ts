import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entityKeysSubgraphs } from "./fixtures/plannerDefects/entityKeys.ts";
import { interfaceObjectSubgraphs } from "./fixtures/plannerDefects/interfaceObject.ts";
import { requiresArgumentsSubgraphs } from "./fixtures/plannerDefects/requiresArguments.ts";
import { startRouters, type RouterPair } from "./fixtures/plannerDefects/startRouters.ts";

/**
 * Three defects of `@apollo/query-planner` (issue 17) that give clients
 * wrong or silently missing data, answered correctly by the router's own
 * executor; each describe also records what stock `@apollo/gateway`
 * (QUERY_EXECUTOR=gateway) answers over the same subgraphs.
 */

const ENTITY_KEY_MISSING = {
  message: 'A Product cannot be resolved by subgraph pricing: it lacks the fields of every key pricing resolves Product by ("sku pkg { code }")',
  extensions: { code: "ENTITY_KEY_MISSING", serviceName: "pricing" },
};

function unresolvable(field: string, path: (string | number)[]) {
  return { message: `No subgraph resolves field ${field} as selected: the query plan fetches it from none`, path, extensions: { code: "QUERY_PLANNING_FAILED" } };
}

describe("a field the client selects with one argument and @requires with another", () => {
  let routers: RouterPair;
  beforeAll(async () => {
    routers = await startRouters(requiresArgumentsSubgraphs());
  });
  afterAll(() => routers?.stop());

  it("gives the client exactly the reviews it asked for, and the rating its five", async () => {
    const { body } = await routers.ours("{ products { id rating reviews(first: 1) { id } } }");
    expect(body).toEqual({
      data: {
        products: [
          { id: "p1", rating: 3, reviews: [{ id: "p1-r1" }] },
          { id: "p2", rating: 3, reviews: [{ id: "p2-r1" }] },
        ],
      },
    });
  });

  it("with a variable and its default", async () => {
    const { body } = await routers.ours("query Two($n: Int! = 2) { products { rating reviews(first: $n) { id score } } }");
    expect(body).toEqual({
      data: {
        products: [
          { rating: 3, reviews: [{ id: "p1-r1", score: 5 }, { id: "p1-r2", score: 4 }] },
          { rating: 3, reviews: [{ id: "p2-r1", score: 4 }, { id: "p2-r2", score: 2 }] },
        ],
      },
    });
  });

  it("with the field in two fragments", async () => {
    const query = "query One($n: Int!) { products { ...A ...B } } fragment A on Product { reviews(first: $n) { id } } fragment B on Product { rating reviews(first: $n) { score } }";
    const { body } = await routers.ours(query, { n: 1 });
    expect(JSON.stringify(body)).toBe(JSON.stringify({ data: { products: [{ reviews: [{ id: "p1-r1", score: 5 }], rating: 3 }, { reviews: [{ id: "p2-r1", score: 4 }], rating: 3 }] } }));
  });

  it("nested in a list of related products", async () => {
    const { body } = await routers.ours("{ products { related { name rating reviews(first: 2) { id } } } }");
    expect(body).toEqual({
      data: {
        products: [{ related: [{ name: "Teapot", rating: 3, reviews: [{ id: "p2-r1" }, { id: "p2-r2" }] }] }, { related: [{ name: "Kettle", rating: 3, reviews: [{ id: "p1-r1" }, { id: "p1-r2" }] }] }],
      },
    });
  });

  it("through a union, and with the client's alias equal to the field's name", async () => {
    const union = await routers.ours("{ search { __typename ... on Product { rating reviews(first: 1) { id } } ... on Shop { name } } }");
    expect(union.body).toEqual({ data: { search: [{ __typename: "Product", rating: 3, reviews: [{ id: "p1-r1" }] }, { __typename: "Shop", name: "Corner shop" }] } });
    const aliased = await routers.ours("{ products { rating reviews: reviews(first: 1) { id } } }");
    expect(aliased.body).toEqual({ data: { products: [{ rating: 3, reviews: [{ id: "p1-r1" }] }, { rating: 3, reviews: [{ id: "p2-r1" }] }] } });
  });

  it("the required arguments themselves: one selection, five reviews", async () => {
    const { body } = await routers.ours("{ products { rating reviews(first: 5) { id } } }");
    expect(body).toEqual({
      data: {
        products: [
          { rating: 3, reviews: ["p1-r1", "p1-r2", "p1-r3", "p1-r4", "p1-r5"].map((id) => ({ id })) },
          { rating: 3, reviews: ["p2-r1", "p2-r2"].map((id) => ({ id })) },
        ],
      },
    });
  });

  it("reports a subgraph's error inside the client's field at the client's path", async () => {
    const { body } = await routers.ours("{ products { id rating reviews(first: 1) { id body } } }");
    expect(body).toEqual({
      errors: [{ message: "This review is being edited", path: ["products", 1, "reviews", 0, "body"], extensions: { code: "CONFLICT", serviceName: "products" } }],
      data: null,
    });
  });

  it("documents QUERY_EXECUTOR=gateway: the required arguments win (five reviews), or the client's (a rating of one review)", async () => {
    const merged = await routers.gateway("{ products { id rating reviews(first: 1) { id } } }");
    expect(merged.body).toEqual({
      data: {
        products: [
          { id: "p1", rating: 3, reviews: ["p1-r1", "p1-r2", "p1-r3", "p1-r4", "p1-r5"].map((id) => ({ id })) },
          { id: "p2", rating: 3, reviews: ["p2-r1", "p2-r2"].map((id) => ({ id })) },
        ],
      },
    });
    const fragments = await routers.gateway("query One($n: Int!) { products { ...A ...B } } fragment A on Product { reviews(first: $n) { id } } fragment B on Product { rating reviews(first: $n) { score } }", { n: 1 });
    expect(fragments.body).toEqual({ data: { products: [{ reviews: [{ id: "p1-r1", score: 5 }], rating: 5 }, { reviews: [{ id: "p2-r1", score: 4 }], rating: 4 }] } });
  });
});

describe("an entity fetch whose representation lacks every key of the target subgraph", () => {
  let routers: RouterPair;
  beforeAll(async () => {
    routers = await startRouters(entityKeysSubgraphs());
  });
  afterAll(() => routers?.stop());

  it("resolves an entity that carries the nested key", async () => {
    const { body } = await routers.ours('{ product(id: "p1") { name price } }');
    expect(body).toEqual({ data: { product: { name: "Kettle", price: 30 } } });
  });

  it("reports ENTITY_KEY_MISSING where the entity stands, never a silent null", async () => {
    const { body } = await routers.ours('{ product(id: "p2") { name price } }');
    expect(body).toEqual({ errors: [{ ...ENTITY_KEY_MISSING, path: ["product"] }], data: { product: null } });
  });

  it("in lists: a non-null list nulls the data, a nullable item only itself", async () => {
    const strict = await routers.ours("{ products { id price } }");
    expect(strict.body).toEqual({ errors: [{ ...ENTITY_KEY_MISSING, path: ["products", 1] }], data: null });
    const lenient = await routers.ours("{ catalogue { id price } }");
    expect(lenient.body).toEqual({ errors: [{ ...ENTITY_KEY_MISSING, path: ["catalogue", 1] }], data: { catalogue: [{ id: "p1", price: 30 }, null, { id: "p3", price: 12 }] } });
  });

  it("through a union and a named fragment, and nested below another entity", async () => {
    const shelf = await routers.ours("{ shelf { __typename ... on Poster { title } ...Priced } } fragment Priced on Product { name price }");
    expect(shelf.body).toEqual({
      errors: [{ ...ENTITY_KEY_MISSING, path: ["shelf", 0] }],
      data: { shelf: [null, { __typename: "Poster", title: "Tea map" }, { __typename: "Product", name: "Kettle", price: 30 }] },
    });
    const nested = await routers.ours('{ product(id: "p3") { name bundledWith { name price } } }');
    expect(nested.body).toEqual({ errors: [{ ...ENTITY_KEY_MISSING, path: ["product", "bundledWith"] }], data: { product: { name: "Tea tin", bundledWith: null } } });
  });

  it("documents QUERY_EXECUTOR=gateway: the same nulls, no error (only extensions.valueCompletion)", async () => {
    const { body } = await routers.gateway('{ product(id: "p2") { name price } }');
    expect(body).toEqual({
      data: { product: null },
      extensions: { valueCompletion: [{ message: "Cannot return null for non-nullable field Product.price.", path: ["product", "price"], extensions: { code: "INVALID_GRAPHQL" } }] },
    });
  });
});

describe("a field no subgraph can resolve (@interfaceObject behind a non-resolvable key)", () => {
  let routers: RouterPair;
  beforeAll(async () => {
    routers = await startRouters(interfaceObjectSubgraphs());
  });
  afterAll(() => routers?.stop());

  it("an empty plan: an error, and data null for the non-null field", async () => {
    const { body } = await routers.ours('{ node(id: "n1") { label } }');
    expect(body).toEqual({ errors: [unresolvable("Query.node", ["node"])], data: null });
  });

  it("a nullable field: null with its error, the rest of the data kept", async () => {
    const { body } = await routers.ours('{ maybeNode(id: "n1") { label } version }');
    expect(body).toEqual({ errors: [unresolvable("Query.maybeNode", ["maybeNode"])], data: { maybeNode: null, version: "1" } });
  });

  it("in a list beside a root field", async () => {
    const { body } = await routers.ours("{ nodes { label } version }");
    expect(body).toEqual({ errors: [unresolvable("Query.nodes", ["nodes"])], data: null });
  });

  it("no error where the unresolvable field has no place (its parent is null, its list empty), through a fragment", async () => {
    const single = await routers.ours('{ version maybeNode(id: "n1") { ...L } } fragment L on Node { id label }');
    expect(single.body).toEqual({ data: { version: "1", maybeNode: null } });
    const list = await routers.ours("{ nodes { id label } }");
    expect(list.body).toEqual({ data: { nodes: [] } });
  });

  it("documents QUERY_EXECUTOR=gateway: null without an error", async () => {
    const nullable = await routers.gateway('{ maybeNode(id: "n1") { label } version }');
    expect(nullable.body).toEqual({ data: { maybeNode: null, version: "1" } });
    const nonNull = await routers.gateway('{ node(id: "n1") { label } }');
    expect(nonNull.body).toEqual({
      data: null,
      extensions: { valueCompletion: [{ message: "Cannot return null for non-nullable field Query.node.", path: ["node"], extensions: { code: "INVALID_GRAPHQL" } }] },
    });
  });
});
