import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, TEST_SIGNING_SECRET } from "@store/testing";
import { createBatchLoader, createSubgraph, encodeIdentity, gql, signRouterRequest, silentLogger, type RequestContextBase, type RunningSubgraph } from "../src/index.ts";

/**
 * A subgraph whose products load slowly (held until the test releases them)
 * and whose categories load through a second batch: what runs after the
 * router has given up on a request shows in the batch counts.
 */
const products = new Map([
  ["p1", { id: "p1", categoryId: "c1" }],
  ["p2", { id: "p2", categoryId: "c2" }],
]);
let release: () => void = () => {};
let productBatches = 0;
let categoryBatches = 0;

interface Context extends RequestContextBase {
  loaders: { product: ReturnType<typeof createBatchLoader<string, { id: string; categoryId: string }>>; category: ReturnType<typeof createBatchLoader<string, { id: string; name: string }>> };
}

const subgraph = createSubgraph<Context>({
  name: "shop",
  logger: silentLogger,
  typeDefs: gql`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Product @key(fields: "id") { id: ID! category: Category! }
    type Category { id: ID! name: String! }
    type Query { ping: String }
  `,
  createContext: (base) => ({
    ...base,
    loaders: {
      product: createBatchLoader(async (ids) => {
        productBatches++;
        await new Promise<void>((resolve) => (release = resolve));
        return ids.map((id) => products.get(id)!).filter(Boolean);
      }, (row) => row.id),
      category: createBatchLoader(async (ids) => {
        categoryBatches++;
        return ids.map((id) => ({ id, name: `Category ${id}` }));
      }, (row) => row.id),
    },
  }),
  resolvers: {
    Query: { ping: () => "pong" },
    Product: {
      __resolveReference: (ref: { id: string }, ctx: Context) => ctx.loaders.product.load(ref.id),
      category: (product: { categoryId: string }, _: unknown, ctx: Context) => ctx.loaders.category.load(product.categoryId),
    },
  } as never,
});

let running: RunningSubgraph;
/** Requests the subgraph saw closed before it answered. */
let closedEarly = 0;

beforeAll(async () => {
  running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  running.server.prependListener("request", (_req, res) => res.once("close", () => (closedEarly += res.writableFinished ? 0 : 1)));
});
afterAll(async () => {
  release();
  await subgraph.stop();
});

const ENTITIES = JSON.stringify({
  query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id category { name } } } }",
  variables: { r: [{ __typename: "Product", id: "p1" }, { __typename: "Product", id: "p2" }] },
});

/** Sends the entities request signed, as the router does; resolves with the client request (to abort it) and its answer. */
function send() {
  const headers = signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "shop", body: ENTITIES, identity: encodeIdentity(null) });
  const url = new URL(running.url);
  let client!: ReturnType<typeof httpRequest>;
  const answer = new Promise<string>((resolve, reject) => {
    client = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { ...headers, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(text));
    });
    client.on("error", reject);
    client.end(ENTITIES);
  });
  return { client, answer };
}

describe("a request the router gives up on", () => {
  it("resolves every entity when the router waits for the answer", async () => {
    const before = { productBatches, categoryBatches };
    const { answer } = send();
    await eventually(() => productBatches > before.productBatches, { what: "the product batch" });
    release();
    expect(JSON.parse(await answer).data._entities).toEqual([
      { id: "p1", category: { name: "Category c1" } },
      { id: "p2", category: { name: "Category c2" } },
    ]);
    expect(categoryBatches).toBe(before.categoryBatches + 1);
  });

  it("runs no further batch once the router has closed the request", async () => {
    const before = { productBatches, categoryBatches, closedEarly };
    const { client, answer } = send();
    answer.catch(() => {});
    await eventually(() => productBatches > before.productBatches, { what: "the product batch" });
    client.destroy();
    await eventually(() => closedEarly > before.closedEarly, { what: "the subgraph to see the request closed" });
    release();
    // Whatever the subgraph does next, the category batch never runs; a control request proves it would have.
    const control = send();
    await eventually(() => productBatches > before.productBatches + 1, { what: "the control's product batch" });
    release();
    await control.answer;
    expect(categoryBatches).toBe(before.categoryBatches + 1);
  });
});
