import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCategories, demoProducts } from "@store/demo-data";
import { silentLogger } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import { createCatalogPrisma, type CatalogPrisma } from "../src/db.ts";
import { seedCatalog } from "../src/seed.ts";
import { createCatalogSubgraph } from "../src/server.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: CatalogPrisma;
let subgraph: ReturnType<typeof createCatalogSubgraph>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "catalog" });
  prisma = createCatalogPrisma({ url: db.url });
  await seedCatalog(prisma);
  subgraph = createCatalogSubgraph({ prisma, logger: silentLogger });
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const PRODUCTS = /* GraphQL */ `
  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {
    products(filter: $filter, sort: $sort, first: $first, after: $after) {
      totalCount
      edges { cursor node { id name price { amount currency } category { slug } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`;

type ProductsData = {
  products: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; name: string; price: { amount: number; currency: string }; category: { slug: string } } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
};

describe("products", () => {
  it("pages through every product exactly once, sorted by price", async () => {
    const seen: number[] = [];
    const ids = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const result: Awaited<ReturnType<typeof subgraph.execute<ProductsData>>> = await subgraph.execute<ProductsData>(PRODUCTS, { first: 25, after, sort: { field: "PRICE", direction: "ASC" } });
      expect(result.errors).toBeUndefined();
      const connection = result.data!.products;
      expect(connection.totalCount).toBe(demoProducts.length);
      for (const edge of connection.edges) {
        seen.push(edge.node.price.amount);
        ids.add(edge.node.id);
      }
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(ids.size).toBe(demoProducts.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("filters by category and searches names case-insensitively", async () => {
    const category = demoCategories[0]!;
    const inCategory = demoProducts.filter((p) => p.categoryId === category.id);
    const byCategory = await subgraph.execute<ProductsData>(PRODUCTS, { filter: { categorySlug: category.slug }, first: 100 });
    expect(byCategory.data!.products.totalCount).toBe(inCategory.length);
    expect(new Set(byCategory.data!.products.edges.map((e) => e.node.category.slug))).toEqual(new Set([category.slug]));

    const word = inCategory[0]!.name.split(" ")[0]!;
    const search = await subgraph.execute<ProductsData>(PRODUCTS, { filter: { search: word.toUpperCase() }, first: 100 });
    const expected = demoProducts.filter((p) => p.name.toLowerCase().includes(word.toLowerCase())).length;
    expect(search.data!.products.totalCount).toBe(expected);
  });

  it("sorts by name descending", async () => {
    const result = await subgraph.execute<ProductsData>(PRODUCTS, { first: 10, sort: { field: "NAME", direction: "DESC" } });
    const names = result.data!.products.edges.map((e) => e.node.name);
    expect(names).toEqual([...demoProducts.map((p) => p.name)].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, 10));
  });

  it("rejects bad paging input with BAD_USER_INPUT", async () => {
    expect(errorCodes(await subgraph.execute(PRODUCTS, { first: 0 }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(PRODUCTS, { first: 101 }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(PRODUCTS, { after: "not-a-cursor" }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(PRODUCTS, { filter: { categoryId: "nope" } }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("product by id", () => {
  it("returns a product, null for an unknown id, and BAD_USER_INPUT for a malformed one", async () => {
    const product = demoProducts[3]!;
    const query = `query($id: ID!) { product(id: $id) { id name sku } }`;
    const found = await subgraph.execute<{ product: { name: string } | null }>(query, { id: product.id });
    expect(found.data?.product?.name).toBe(product.name);
    const missing = await subgraph.execute<{ product: unknown }>(query, { id: "00000000-0000-4000-8000-000000000000" });
    expect(missing.errors).toBeUndefined();
    expect(missing.data?.product).toBeNull();
    expect(errorCodes(await subgraph.execute(query, { id: "42" }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("_entities", () => {
  it("resolves 50 products with one SQL query", async () => {
    const counter = countQueries(prisma);
    const representations = demoProducts.slice(0, 50).map((p) => ({ __typename: "Product", id: p.id }));
    const result = await subgraph.execute<{ _entities: { id: string; name: string; price: { amount: number } }[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name price { amount } } } }`,
      { representations },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((p) => p.id)).toEqual(representations.map((r) => r.id));
    expect(counter.count).toBe(1);
  });

  it("returns null for a representation that does not exist", async () => {
    const result = await subgraph.execute<{ _entities: unknown[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`,
      { r: [{ __typename: "Product", id: "00000000-0000-4000-8000-000000000000" }] },
    );
    expect(result.data!._entities).toEqual([null]);
  });
});

describe("admin mutations", () => {
  const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku name price { amount currency } category { slug } } }`;
  const input = () => ({ sku: `NEW-${Date.now() % 100000}`, name: "Pour-over kettle", description: "Gooseneck, 1 litre.", categoryId: demoCategories[0]!.id, price: { amount: 4599, currency: "USD" } });

  it("creates a product as admin", async () => {
    const data = input();
    const result = await subgraph.execute<{ createProduct: { sku: string; price: { amount: number } } }>(CREATE, { input: data }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createProduct).toMatchObject({ sku: data.sku, price: { amount: 4599 } });
  });

  it("refuses customers and anonymous callers", async () => {
    expect(errorCodes(await subgraph.execute(CREATE, { input: input() }, { identity: customer() }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(CREATE, { input: input() }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("rejects a duplicate sku, an unknown category, a negative price and an oversized name, writing nothing", async () => {
    const before = await prisma.product.count();
    const existing = demoProducts[0]!;
    expect(errorCodes(await subgraph.execute(CREATE, { input: { ...input(), sku: existing.sku } }, { identity: admin() }))).toEqual(["CONFLICT"]);
    expect(errorCodes(await subgraph.execute(CREATE, { input: { ...input(), categoryId: "00000000-0000-4000-8000-000000000000" } }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await subgraph.execute(CREATE, { input: { ...input(), price: { amount: -1, currency: "USD" } } }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(CREATE, { input: { ...input(), name: "x".repeat(201) } }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(await prisma.product.count()).toBe(before);
  });

  it("changes a price, and answers NOT_FOUND for an unknown product", async () => {
    const product = demoProducts[5]!;
    const CHANGE = `mutation($id: ID!, $price: MoneyInput!) { changeProductPrice(productId: $id, price: $price) { id price { amount } } }`;
    const changed = await subgraph.execute<{ changeProductPrice: { price: { amount: number } } }>(CHANGE, { id: product.id, price: { amount: 1234, currency: "USD" } }, { identity: admin() });
    expect(changed.data?.changeProductPrice.price.amount).toBe(1234);
    expect(errorCodes(await subgraph.execute(CHANGE, { id: "00000000-0000-4000-8000-000000000000", price: { amount: 1, currency: "USD" } }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
  });
});
