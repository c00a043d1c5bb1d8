import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCategories, demoProducts } from "@store/demo-data";
import { createInProcessBus, parseEvent, type AnyEventEnvelope } from "@store/events";
import { loadConfig, silentLogger, subgraphConfigSchema, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, eventually, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { seedCatalog } from "../src/seed.ts";
import { catalogService } from "../src/service.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "catalog" });
  prisma = catalogService.createPrisma({ url: db.url });
  await seedCatalog(prisma);
  // Its relay never started: every event a test causes stays in the outbox to be asserted.
  subgraph = catalogService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }).subgraph;
});

/** The outbox rows written while `action` ran, oldest first. */
async function outboxDuring(action: () => Promise<unknown>) {
  const { _max } = await prisma.outboxEvent.aggregate({ _max: { position: true } });
  await action();
  return prisma.outboxEvent.findMany({ where: { position: { gt: _max.position ?? 0n } }, orderBy: { position: "asc" } });
}

/** An outbox row's envelope, validated against the event catalogue exactly as a consumer would. */
function envelopeOf(row: { id: string; type: string; envelope: unknown; publishedAt: Date | null }): AnyEventEnvelope {
  const parsed = parseEvent(JSON.stringify(row.envelope));
  if (!parsed.ok) throw new Error(`outbox row ${row.id} holds an invalid event: ${parsed.reason}`);
  expect(parsed.event.id).toBe(row.id);
  expect(parsed.event.type).toBe(row.type);
  expect(row.publishedAt).toBeNull();
  return parsed.event;
}

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
    expect(await prisma.outboxEvent.count({ where: { type: "ProductCreated", envelope: { path: ["payload", "sku"], equals: existing.sku } } })).toBe(0);
  });

  it("changes a price, and answers NOT_FOUND for an unknown product", async () => {
    const product = demoProducts[5]!;
    const CHANGE = `mutation($id: ID!, $price: MoneyInput!) { changeProductPrice(productId: $id, price: $price) { id price { amount } } }`;
    const changed = await subgraph.execute<{ changeProductPrice: { price: { amount: number } } }>(CHANGE, { id: product.id, price: { amount: 1234, currency: "USD" } }, { identity: admin() });
    expect(changed.data?.changeProductPrice.price.amount).toBe(1234);
    expect(errorCodes(await subgraph.execute(CHANGE, { id: "00000000-0000-4000-8000-000000000000", price: { amount: 1, currency: "USD" } }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
  });
});

describe("domain events", () => {
  const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku name price { amount currency } } }`;
  const CHANGE = `mutation($id: ID!, $price: MoneyInput!) { changeProductPrice(productId: $id, price: $price) { id price { amount currency } updatedAt } }`;
  let skuCounter = 0;
  const input = (overrides: Record<string, unknown> = {}) => ({
    sku: `EVT-${process.pid % 10000}-${++skuCounter}`,
    name: "Milk frother",
    description: "Handheld, two speeds.",
    categoryId: demoCategories[1]!.id,
    price: { amount: 1999, currency: "USD" },
    ...overrides,
  });
  type Changed = { changeProductPrice: { id: string; price: { amount: number; currency: string }; updatedAt: string } };

  it("seeding writes no events, however often it runs", async () => {
    const rows = await outboxDuring(() => seedCatalog(prisma));
    expect(rows).toEqual([]);
    expect(await prisma.outboxEvent.count({ where: { envelope: { path: ["payload", "productId"], equals: demoProducts[0]!.id }, type: "ProductCreated" } })).toBe(0);
  });

  it("createProduct writes exactly one ProductCreated, in the product's own transaction", async () => {
    const data = input();
    let created: { id: string } | undefined;
    const rows = await outboxDuring(async () => {
      const result = await subgraph.execute<{ createProduct: { id: string } }>(CREATE, { input: data }, { identity: admin() });
      expect(result.errors).toBeUndefined();
      created = result.data!.createProduct;
    });
    expect(rows).toHaveLength(1);
    const event = envelopeOf(rows[0]!);
    expect(event).toMatchObject({ type: "ProductCreated", version: 1, source: "catalog", aggregateId: created!.id });
    // The first event of its flow: it is its own cause and names its own correlation.
    expect(event.correlationId).toBe(event.id);
    expect(event.causationId).toBe(event.id);
    expect(event.payload).toEqual({ productId: created!.id, sku: data.sku, name: data.name, categoryId: data.categoryId, priceCents: 1999, currency: "USD" });
    const product = await prisma.product.findUniqueOrThrow({ where: { id: created!.id } });
    expect(rows[0]!.occurredAt.getTime()).toBeGreaterThanOrEqual(product.createdAt.getTime() - 1000);
  });

  it("a createProduct that fails writes no event and no product", async () => {
    const products = await prisma.product.count();
    const rows = await outboxDuring(async () => {
      expect(errorCodes(await subgraph.execute(CREATE, { input: input({ sku: demoProducts[0]!.sku }) }, { identity: admin() }))).toEqual(["CONFLICT"]);
      expect(errorCodes(await subgraph.execute(CREATE, { input: input({ categoryId: "00000000-0000-4000-8000-000000000000" }) }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
      expect(errorCodes(await subgraph.execute(CREATE, { input: input({ price: { amount: 5, currency: "usd" } }) }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
      expect(errorCodes(await subgraph.execute(CREATE, { input: input() }, { identity: customer() }))).toEqual(["FORBIDDEN"]);
    });
    expect(rows).toEqual([]);
    expect(await prisma.product.count()).toBe(products);
  });

  it("changeProductPrice writes one ProductPriceChanged carrying the price it replaced", async () => {
    const product = demoProducts[10]!;
    const rows = await outboxDuring(async () => {
      const result = await subgraph.execute<Changed>(CHANGE, { id: product.id, price: { amount: product.priceCents + 250, currency: product.currency } }, { identity: admin() });
      expect(result.errors).toBeUndefined();
      expect(result.data!.changeProductPrice.price).toEqual({ amount: product.priceCents + 250, currency: product.currency });
    });
    expect(rows).toHaveLength(1);
    const event = envelopeOf(rows[0]!);
    expect(event).toMatchObject({ type: "ProductPriceChanged", version: 1, source: "catalog", aggregateId: product.id });
    expect(event.correlationId).toBe(event.id);
    expect(event.payload).toEqual({
      productId: product.id,
      name: product.name,
      priceCents: product.priceCents + 250,
      currency: product.currency,
      previousPriceCents: product.priceCents,
      previousCurrency: product.currency,
    });
  });

  it("a change of currency alone is a change; the same price and currency again is not, and writes nothing", async () => {
    const product = demoProducts[11]!;
    const before = await prisma.product.findUniqueOrThrow({ where: { id: product.id } });
    const otherCurrency = before.currency === "EUR" ? "USD" : "EUR";
    const currencyRows = await outboxDuring(() => subgraph.execute(CHANGE, { id: product.id, price: { amount: before.priceCents, currency: otherCurrency } }, { identity: admin() }));
    expect(currencyRows.map((r) => envelopeOf(r).payload)).toEqual([
      { productId: product.id, name: product.name, priceCents: before.priceCents, currency: otherCurrency, previousPriceCents: before.priceCents, previousCurrency: before.currency },
    ]);

    const changed = await prisma.product.findUniqueOrThrow({ where: { id: product.id } });
    let result: Awaited<ReturnType<typeof subgraph.execute<Changed>>> | undefined;
    const sameRows = await outboxDuring(async () => {
      result = await subgraph.execute<Changed>(CHANGE, { id: product.id, price: { amount: before.priceCents, currency: otherCurrency } }, { identity: admin() });
    });
    expect(result!.errors).toBeUndefined();
    expect(result!.data!.changeProductPrice).toEqual({ id: product.id, price: { amount: before.priceCents, currency: otherCurrency }, updatedAt: changed.updatedAt.toISOString() });
    expect(sameRows).toEqual([]);
    // Not even touched: updatedAt still says when the price last really changed.
    expect((await prisma.product.findUniqueOrThrow({ where: { id: product.id } })).updatedAt).toEqual(changed.updatedAt);
  });

  it("a changeProductPrice that fails writes no event and changes no price", async () => {
    const product = demoProducts[12]!;
    const before = await prisma.product.findUniqueOrThrow({ where: { id: product.id } });
    const rows = await outboxDuring(async () => {
      expect(errorCodes(await subgraph.execute(CHANGE, { id: "00000000-0000-4000-8000-000000000000", price: { amount: 100, currency: "USD" } }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
      expect(errorCodes(await subgraph.execute(CHANGE, { id: product.id, price: { amount: -1, currency: "USD" } }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
      expect(errorCodes(await subgraph.execute(CHANGE, { id: product.id, price: { amount: 100, currency: "US" } }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
      expect(errorCodes(await subgraph.execute(CHANGE, { id: product.id, price: { amount: 100, currency: "USD" } }, { identity: customer() }))).toEqual(["FORBIDDEN"]);
      expect(errorCodes(await subgraph.execute(CHANGE, { id: product.id, price: { amount: 100, currency: "USD" } }))).toEqual(["UNAUTHENTICATED"]);
    });
    expect(rows).toEqual([]);
    expect(await prisma.product.findUniqueOrThrow({ where: { id: product.id } })).toEqual(before);
  });

  it("concurrent price changes of one product form an unbroken chain of previous prices", async () => {
    const product = demoProducts[13]!;
    const start = (await prisma.product.findUniqueOrThrow({ where: { id: product.id } })).priceCents;
    const amounts = [101, 202, 303, 404, 505, 606].map((a) => a + start);
    const rows = await outboxDuring(async () => {
      const results = await Promise.all(amounts.map((amount) => subgraph.execute(CHANGE, { id: product.id, price: { amount, currency: product.currency } }, { identity: admin() })));
      for (const result of results) expect(result.errors).toBeUndefined();
    });
    const payloads = rows.map((r) => envelopeOf(r).payload as { priceCents: number; previousPriceCents: number });
    expect(payloads).toHaveLength(amounts.length);
    expect(new Set(payloads.map((p) => p.priceCents))).toEqual(new Set(amounts));
    // Outbox order is the order the row lock granted: each change replaced the one before it.
    expect(payloads[0]!.previousPriceCents).toBe(start);
    for (let i = 1; i < payloads.length; i++) expect(payloads[i]!.previousPriceCents).toBe(payloads[i - 1]!.priceCents);
    expect((await prisma.product.findUniqueOrThrow({ where: { id: product.id } })).priceCents).toBe(payloads.at(-1)!.priceCents);
  });
});

describe("catalogService", () => {
  // A database of its own: the service opens its own pool and relay, and a fresh
  // outbox shows that seeding plus one mutation publish exactly one event.
  // Made in a hook, whose time limit allows for `prisma migrate deploy`.
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase({ prismaDir, label: "catalog_service" });
  });
  afterAll(async () => {
    await own?.drop();
  });

  it("publishes what a mutation wrote once started, and counts it at /metrics", async () => {
    const bus = createInProcessBus({ logger: silentLogger });
    const registry = new Registry();
    const received: AnyEventEnvelope[] = [];
    await bus.consume({ name: "test-listener", types: ["ProductCreated", "ProductPriceChanged"], handler: async (event) => void received.push(event) });
    const config = loadConfig(subgraphConfigSchema(catalogService.defaultPort, {}), { DATABASE_URL: own.url, ROUTER_SIGNING_SECRET: "s".repeat(32) });
    const instance = await catalogService.create({ config, env: {}, logger: silentLogger, bus, registry });
    try {
      await instance.seed();
      instance.start();
      const created = await instance.subgraph.execute<{ createProduct: { id: string } }>(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
        { input: { sku: "SVC-SCALE", name: "Scale", description: "0.1 g steps.", categoryId: demoCategories[0]!.id, price: { amount: 2500, currency: "USD" } } },
        { identity: admin() },
      );
      expect(created.errors).toBeUndefined();
      const productId = created.data!.createProduct.id;
      // Only the product created through this instance: the seed announced nothing.
      await eventually(() => received.length > 0, { what: "ProductCreated to be published" });
      expect(received.map((e) => [e.type, e.aggregateId])).toEqual([["ProductCreated", productId]]);
      // The relay counts an event only after marking its row published, so this also proves the outbox is drained.
      await eventually(async () => (await registry.getSingleMetricAsString("events_published_total")).includes('events_published_total{type="ProductCreated"} 1'), { what: "events_published_total to count it" });
    } finally {
      await instance.subgraph.stop();
      await instance.dispose();
      await bus.close();
    }
  });
});
