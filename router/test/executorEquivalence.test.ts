import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type RunningSubgraph } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeMediashop, createMediashop } from "./fixtures/mediashop.ts";

/**
 * The router's own query executor against @apollo/gateway's, over the same
 * subgraphs: every operation below must get the same response from both
 * (data byte for byte, in the same key order; errors with the same messages,
 * paths and extensions).
 */
const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
let shop: ReturnType<typeof createMediashop>;
const running: RunningSubgraph[] = [];
const routers: Router[] = [];
let ours: string;
let reference: string;

async function post(url: string, body: object): Promise<{ status: number; text: string; json: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[]; extensions?: Record<string, unknown> } }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) };
}

/** Errors compared field by field, independent of the order of keys inside `extensions`. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  return value;
}

async function expectSameResponse(body: { query: string; variables?: Record<string, unknown>; operationName?: string }) {
  const [a, b] = [await post(ours, body), await post(reference, body)];
  expect(a.status).toBe(b.status);
  // Data: same values in the same key order.
  expect(JSON.stringify(a.json.data)).toBe(JSON.stringify(b.json.data));
  expect(canonical(a.json.errors)).toEqual(canonical(b.json.errors));
  expect(canonical(a.json.extensions)).toEqual(canonical(b.json.extensions));
  return a.json;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "executor-equivalence-"));
  shop = createMediashop();
  const [catalog, reviews, stock] = await Promise.all([shop.catalog, shop.reviews, shop.stock].map((s) => s.listen({ port: 0, routerSigningSecret: SIGNING })));
  running.push(catalog!, reviews!, stock!);
  const supergraphPath = join(dir, "supergraph.graphql");
  writeFileSync(supergraphPath, composeMediashop({ catalog: catalog!.url, reviews: reviews!.url, stock: stock!.url }));
  for (const executor of ["router", "gateway"]) {
    const router = createRouter({
      config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: supergraphPath, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, SUBGRAPH_TIMEOUT_MS: "2000", QUERY_EXECUTOR: executor }),
      logger: silentLogger,
    });
    routers.push(router);
    const { url } = await router.listen();
    if (executor === "router") ours = url;
    else reference = url;
  }
});

afterAll(async () => {
  await Promise.all(routers.map((r) => r.stop()));
  await Promise.all([shop?.catalog.stop(), shop?.reviews.stop(), shop?.stock.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const OPERATIONS: Record<string, { query: string; variables?: Record<string, unknown>; operationName?: string }> = {
  "one subgraph": { query: "{ books { id title format } }" },
  "entities across three subgraphs": { query: "{ books(first: 4) { id title inStock reviews { stars body author { name } } } }" },
  "@requires (weight from catalog for stock)": { query: "{ books(first: 4) { title shippingCost } }" },
  "entities repeated at several depths": {
    query: `{ authors { name reviews { stars subject { title author { name reviews { body subject { title inStock shippingCost } } } } } } }`,
  },
  "aliases, the same field twice with different arguments": {
    query: `{ first: books(first: 1) { t: title id } two: books(first: 2) { id name: title again: title } book(id: "b4") { id label: title } }`,
  },
  "aliases that Object.prototype also has": {
    query: `{ books(first: 2) { constructor: title __proto__: id toString: format hasOwnProperty: __typename reviews { valueOf: stars } } }`,
  },
  "named and inline fragments, __typename at every level": {
    query: `query Frag { __typename media { __typename ...M ... on Book { kind: __typename format author { __typename ...A } } ... on Film { minutes } } }
      fragment M on Media { id title }
      fragment A on Author { name }`,
  },
  "interface across subgraphs: fields from another subgraph on a concrete type": {
    query: "{ media { title ... on Book { reviews { stars } inStock } ... on Film { reviews { body } } } }",
  },
  "union with duplicates in one list": {
    query: `{ search(term: "*") { __typename ... on Book { id title topReview { stars } } ... on Film { id minutes } ... on Author { id name } } }`,
  },
  "variables, defaults, @skip and @include": {
    query: `query Vars($id: ID!, $withReviews: Boolean = true, $noStock: Boolean!, $first: Int) {
      book(id: $id) { title reviews @include(if: $withReviews) { stars } inStock @skip(if: $noStock) }
      books(first: $first) @skip(if: $noStock) { id }
      more: books(first: $first) @include(if: $noStock) { title }
    }`,
    variables: { id: "b1", noStock: true, first: 2 },
  },
  "variables with the default of @include used": {
    query: `query Defaults($withReviews: Boolean = false) { book(id: "b2") { title reviews @include(if: $withReviews) { stars } } }`,
  },
  "a field error inside an entity fetch keeps the rest (path into the list)": { query: "{ books(first: 3) { id flaky } }" },
  "a non-null field returned null nulls its parent": { query: "{ books(first: 4) { id mandatory } }" },
  "null propagation up to a nullable field": { query: `{ book(id: "b3") { id mandatory } }` },
  "nullable entity missing: book(id) not found": { query: `{ book(id: "nope") { id title inStock } }` },
  "custom scalar and enum values": { query: "{ books(first: 4) { id format meta } }" },
  "introspection mixed with data": { query: `{ __type(name: "Book") { name fields { name } } books(first: 1) { title } __schema { queryType { name } } }` },
  "only __typename": { query: "{ __typename }" },
  "operation chosen by name among several": {
    query: "query A { books(first: 1) { id } } query B { authors { name reviews { stars } } }",
    operationName: "B",
  },
  "mutation, then entity fields on its result": {
    query: `mutation Add { addReview(bookId: "b2", stars: 3, body: "Added") { stars body author { name } subject { title inStock shippingCost } } }`,
  },
  "mutation failing with a coded error": { query: `mutation { addReview(bookId: "zzz", stars: 1, body: "x") { stars } }` },
};

/** Requests the router's fast path declines: Apollo Server answers them, on both routers. */
const DECLINED: Record<string, Record<string, unknown>> = {
  "a syntax error": { query: "{ books { id " },
  "a field the schema does not have": { query: "{ books { isbn } }" },
  "an operation name the document does not have": { query: "query A { books { id } }", operationName: "B" },
  "several operations and no name": { query: "query A { books { id } } query B { authors { id } }" },
  "a persisted query the router does not know": { extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } },
  "variables that are not an object": { query: "{ books { id } }", variables: [1, 2] },
};

describe("the router's executor answers as @apollo/gateway does", () => {
  for (const [name, body] of Object.entries(DECLINED)) {
    it(`declined by the fast path, answered alike: ${name}`, async () => {
      const [a, b] = [await post(ours, body), await post(reference, body)];
      expect(a.status).toBe(b.status);
      expect(a.json.errors?.length).toBeGreaterThan(0);
      expect(canonical(a.json)).toEqual(canonical(b.json));
    });
  }

  for (const [name, operation] of Object.entries(OPERATIONS)) {
    it(name, async () => {
      const response = await expectSameResponse(operation);
      expect(response.data).toBeDefined();
    });
  }

  it("reports a field error at every place the entity stands, at the right index of a mixed list", async () => {
    // b2 stands at search[1] and search[11], among films and authors. The
    // gateway reports both errors too, but maps the second to index 5 (a film):
    // it counts every list item when only the books were sent as representations.
    const body = { query: `{ search(term: "*") { ... on Book { id flaky } } }` };
    const [a, b] = [await post(ours, body), await post(reference, body)];
    expect(JSON.stringify(a.json.data)).toBe(JSON.stringify(b.json.data));
    expect(a.json.errors?.map((e) => (e as { path?: unknown }).path)).toEqual([
      ["search", 1, "flaky"],
      ["search", 11, "flaky"],
    ]);
    expect(b.json.errors?.map((e) => (e as { path?: unknown }).path)).toEqual([
      ["search", 1, "flaky"],
      ["search", 5, "flaky"],
    ]);
    const items = (a.json.data as { search: { id?: string }[] }).search;
    expect([items[1]?.id, items[11]?.id]).toEqual(["b2", "b2"]);
  });

  it("answers a deep query with data, not errors (the comparison is not vacuous)", async () => {
    const { json } = await post(ours, OPERATIONS["entities repeated at several depths"]!);
    expect(json.errors).toBeUndefined();
    expect(JSON.stringify(json.data)).toContain("Ursula K. Le Guin");
    expect(JSON.stringify(json.data)).toContain("shippingCost");
  });

  it("a subgraph down: same partial data, same code and serviceName", async () => {
    await shop.stock.stop();
    const response = await expectSameResponse({ query: "{ books(first: 2) { title inStock } media { title } }" });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "SUBGRAPH_UNAVAILABLE", serviceName: "stock" });
  });
});
