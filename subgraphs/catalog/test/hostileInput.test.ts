import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCategories, demoProducts } from "@store/demo-data";
import { createInProcessBus } from "@store/events";
import { encodeCursor, encodeIdentity, signRouterRequest, silentLogger, type DatabaseOptions, type Identity, type RunningSubgraph, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, errorCodes, TEST_SIGNING_SECRET, type QueryCounter, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { seedCatalog } from "../src/seed.ts";
import { catalogService } from "../src/service.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const COFFEE = demoCategories.find((c) => c.slug === "coffee-tea")!;
const EMPTY_CATEGORY = "0f0f0f0f-0000-4000-8000-000000000001";
/** Names whose LIKE wildcards must match literally; "Glass Cold Brew Pitcher" (demo) is what `d_b` would match as a wildcard. */
const LITERAL_NAMES = ["100% Arabica Blend", "Cold_brew Concentrate", "Back\\slash Mug"];

let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;
/** One counter for the file: Prisma keeps every query listener for the client's life. */
let sql: QueryCounter;

/** A catalog on `client`; its relay never starts, so what it emits stays in the outbox. */
const catalogOn = (client: Db) => catalogService.build({ prisma: client, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }).subgraph;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "catalog_hostile" });
  prisma = catalogService.createPrisma({ url: db.url });
  await seedCatalog(prisma);
  await prisma.category.create({ data: { id: EMPTY_CATEGORY, slug: "empty-shelf", name: "Empty shelf", description: "Nothing here yet." } });
  await prisma.product.createMany({
    data: LITERAL_NAMES.map((name, i) => ({ sku: `LIT-${i}`, name, description: "For the wildcard tests.", categoryId: COFFEE.id, priceCents: 1000 + i, currency: "USD" })),
  });
  subgraph = catalogOn(prisma);
  sql = countQueries(prisma);
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
      edges { cursor node { id name } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;
type Page = {
  totalCount: number;
  edges: { cursor: string; node: { id: string; name: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};

/** Runs an operation that must be refused with BAD_USER_INPUT before any SQL. */
async function refusedBeforeSql(query: string, variables?: Record<string, unknown>, identity?: Identity) {
  sql.reset();
  const result = await subgraph.execute(query, variables, { identity: identity ?? null });
  expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  expect(sql.count).toBe(0);
  return result as { errors: { message: string; extensions: { issues?: { field: string }[] } }[] };
}

describe("strings no database can hold", () => {
  it("refuses a NUL in a search, a product id, a slug and an entity representation", async () => {
    const search = await refusedBeforeSql(PRODUCTS, { filter: { search: "mug\u0000" } });
    expect(search.errors[0]!.extensions.issues).toEqual([{ field: "$filter.search", message: "must not contain a NUL character" }]);
    await refusedBeforeSql(`query($id: ID!) { product(id: $id) { id } }`, { id: `${demoProducts[0]!.id}\u0000` });
    await refusedBeforeSql(`query($slug: String!) { category(slug: $slug) { id } }`, { slug: "audio\ud800" });
    await refusedBeforeSql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, { r: [{ __typename: "Product", id: "\u0000" }] });
    await refusedBeforeSql(`{ products(filter: { search: "a\\u0000" }) { totalCount } }`);
  });

  it("refuses them in a mutation's nested input, writing nothing", async () => {
    const before = await prisma.product.count();
    const input = { sku: "NUL-0001", name: "Nul\u0000 mug", description: "Fine.", categoryId: COFFEE.id, price: { amount: 100, currency: "USD" } };
    const result = await refusedBeforeSql(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`, { input }, admin());
    expect(result.errors[0]!.extensions.issues?.map((i) => i.field)).toEqual(["$input.name"]);
    await refusedBeforeSql(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }`, { input: { ...input, name: "Mug", description: "half an emoji \ud83d" } }, admin());
    expect(await prisma.product.count()).toBe(before);
  });
});

describe("cursors", () => {
  const id = demoProducts[0]!.id;
  const cursor = (v: unknown, cursorId: unknown = id) => encodeCursor({ v, id: cursorId });
  const price = { field: "PRICE", direction: "ASC" };
  const created = { field: "CREATED_AT", direction: "DESC" };
  const name = { field: "NAME", direction: "ASC" };

  it("refuses a value that does not fit the sort column, before any SQL", async () => {
    await refusedBeforeSql(PRODUCTS, { sort: price, after: cursor("cheap") });
    await refusedBeforeSql(PRODUCTS, { sort: price, after: cursor(12.5) });
    await refusedBeforeSql(PRODUCTS, { sort: price, after: cursor(2 ** 31) });
    await refusedBeforeSql(PRODUCTS, { sort: name, after: cursor(1999) });
    await refusedBeforeSql(PRODUCTS, { sort: created, after: cursor("yesterday") });
    await refusedBeforeSql(PRODUCTS, { sort: created, after: cursor("2026-02-30T00:00:00.000Z") });
    await refusedBeforeSql(PRODUCTS, { sort: created, after: cursor("0000-01-01T00:00:00.000Z") });
    await refusedBeforeSql(PRODUCTS, { sort: created, after: cursor(1_700_000_000_000) });
    await refusedBeforeSql(PRODUCTS, { sort: name, after: cursor("Mug\u0000") });
    await refusedBeforeSql(PRODUCTS, { sort: name, after: cursor("Mug", "not-a-uuid") });
    await refusedBeforeSql(PRODUCTS, { sort: name, after: cursor("Mug", { $gt: "" }) });
    // Category.products too: only the category's own lookup ran.
    sql.reset();
    expect(errorCodes(await subgraph.execute(`{ category(slug: "audio") { products(after: "${cursor("x")}", sort: { field: PRICE }) { totalCount } } }`))).toEqual(["BAD_USER_INPUT"]);
    expect(sql.statements.map((statement) => statement.includes(`"Product"`))).toEqual([false]);
  });

  it("refuses a cursor taken from another sort", async () => {
    const byName = await subgraph.execute<{ products: Page }>(PRODUCTS, { first: 2, sort: name });
    await refusedBeforeSql(PRODUCTS, { first: 2, sort: price, after: byName.data!.products.pageInfo.endCursor });
  });

  it("pages through every product once by each sort, the date sort included", async () => {
    const total = await prisma.product.count();
    for (const sort of [created, { field: "CREATED_AT", direction: "ASC" }, name, { field: "PRICE", direction: "DESC" }]) {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const result: { data?: { products: Page } | null; errors?: unknown } = await subgraph.execute<{ products: Page }>(PRODUCTS, { first: 17, sort, after });
        expect(result.errors).toBeUndefined();
        ids.push(...result.data!.products.edges.map((e) => e.node.id));
        if (!result.data!.products.pageInfo.hasNextPage) break;
        after = result.data!.products.pageInfo.endCursor;
      }
      expect(new Set(ids).size).toBe(total);
      expect(ids).toHaveLength(total);
    }
  });
});

describe("search", () => {
  const names = async (search: string) => {
    const result = await subgraph.execute<{ products: Page }>(PRODUCTS, { filter: { search }, first: 100 });
    expect(result.errors).toBeUndefined();
    return result.data!.products.edges.map((e) => e.node.name).sort();
  };

  it("matches %, _ and \\ literally, not as LIKE wildcards", async () => {
    expect(await names("%")).toEqual(["100% Arabica Blend"]);
    expect(await names("_")).toEqual(["Cold_brew Concentrate"]);
    expect(await names("d_b")).toEqual(["Cold_brew Concentrate"]);
    expect(await names("\\")).toEqual(["Back\\slash Mug"]);
    expect(await names("%%")).toEqual([]);
  });

  it("stays a case-insensitive substring match", async () => {
    expect(await names("0% ARAB")).toEqual(["100% Arabica Blend"]);
    expect(await names("cold")).toEqual(["Cold_brew Concentrate", "Glass Cold Brew Pitcher 1.5L"]);
  });
});

describe("Category.products", () => {
  const CATEGORY_PAGES = /* GraphQL */ `
    query($first: Int, $after: String, $sort: ProductSort) {
      categories { id products(first: $first, after: $after, sort: $sort) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
    }
  `;
  type Categories = { categories: { id: string; products: Page }[] };

  /** What the unbatched path answers for one category: Query.products, filtered to it. */
  async function alone(categoryId: string, args: Record<string, unknown>) {
    const result = await subgraph.execute<{ products: Page }>(PRODUCTS, { ...args, filter: { categoryId } });
    expect(result.errors).toBeUndefined();
    return result.data!.products;
  }

  it("reads every category's page with one SQL query, and the same pages as one category at a time", async () => {
    const cases: Record<string, unknown>[] = [
      {},
      { first: 3, sort: { field: "PRICE", direction: "ASC" } },
      { first: 4, sort: { field: "PRICE", direction: "DESC" } },
      { first: 2, sort: { field: "CREATED_AT", direction: "DESC" } },
      { first: 5, sort: { field: "NAME", direction: "DESC" } },
      { first: 100 },
    ];
    for (const args of cases) {
      sql.reset();
      const first = await subgraph.execute<Categories>(CATEGORY_PAGES, args);
      expect(first.errors).toBeUndefined();
      // One for the categories, one for all their products.
      expect(sql.count).toBe(2);
      const categories = first.data!.categories;
      expect(categories).toHaveLength(demoCategories.length + 1);
      for (const category of categories) expect(category.products).toEqual(await alone(category.id, args));

      // The next page, after the first category's last product: the same cursor for every category, as one request sends it.
      const after = categories.find((c) => c.id === COFFEE.id)!.products.pageInfo.endCursor;
      sql.reset();
      const next = await subgraph.execute<Categories>(CATEGORY_PAGES, { ...args, after });
      expect(next.errors).toBeUndefined();
      expect(sql.count).toBe(2);
      for (const category of next.data!.categories) expect(category.products).toEqual(await alone(category.id, { ...args, after }));
    }
  });

  it("answers an empty category with an empty page", async () => {
    const result = await subgraph.execute<{ category: { products: Page } }>(`{ category(slug: "empty-shelf") { products { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`);
    expect(result.data!.category.products).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it("runs one query per distinct page when aliases ask for different ones", async () => {
    sql.reset();
    const result = await subgraph.execute<{ categories: { cheap: Page; firstNames: Page; again: Page }[] }>(`{
      categories {
        cheap: products(first: 2, sort: { field: PRICE }) { totalCount edges { node { id } } }
        firstNames: products(first: 3) { totalCount edges { node { id } } }
        again: products(first: 2, sort: { field: PRICE, direction: ASC }) { totalCount edges { node { id } } }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(sql.count).toBe(3);
    const coffee = result.data!.categories[0]!;
    expect(coffee.cheap.edges).toHaveLength(2);
    expect(coffee.again).toEqual(coffee.cheap);
  });
});

describe("overload", () => {
  const CHANGE = `mutation($id: ID!, $price: MoneyInput!) { changeProductPrice(productId: $id, price: $price) { id price { amount } } }`;

  /** A catalog on its own small pool, listening like a real one: what the router would reach. */
  async function tightCatalog(options: DatabaseOptions) {
    const client = catalogService.createPrisma({ url: db.url, ...options });
    const tight = catalogOn(client);
    const running: RunningSubgraph = await tight.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
    const post = async (query: string, variables: Record<string, unknown>, identity: Identity | null) => {
      const body = JSON.stringify({ query, variables });
      const headers = signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "catalog", body, identity: encodeIdentity(identity) });
      const response = await fetch(running.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
      return { status: response.status, retryAfter: response.headers.get("retry-after"), result: (await response.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] } };
    };
    /** Holds the pool's only connection in an open transaction until release() (or Prisma's own timeout). */
    const hold = async (timeout: number) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const isHolding = new Promise<void>((resolve) => (holding = resolve));
      const transaction = client
        .$transaction(
          async (tx) => {
            await tx.$queryRaw`SELECT 1`;
            holding();
            await released;
          },
          { timeout },
        )
        // A transaction Prisma timed out fails its commit: that is the point of the test, not its failure.
        .catch(() => undefined);
      await isHolding;
      return async () => {
        release();
        await transaction;
      };
    };
    return {
      post,
      hold,
      async close() {
        await tight.stop();
        await client.$disconnect();
      },
    };
  }

  it("answers 503 SERVICE_OVERLOADED with Retry-After when the pool has no connection to lend in time", async () => {
    const catalog = await tightCatalog({ poolSize: 1, poolTimeoutMs: 300 });
    try {
      const release = await catalog.hold(30_000);
      try {
        const mutation = await catalog.post(CHANGE, { id: demoProducts[20]!.id, price: { amount: 4321, currency: "USD" } }, admin());
        expect(mutation).toMatchObject({ status: 503, retryAfter: "1" });
        expect(mutation.result.errors?.map((e) => e.extensions.code)).toEqual(["SERVICE_OVERLOADED"]);
        const query = await catalog.post(PRODUCTS, { first: 1 }, null);
        expect(query).toMatchObject({ status: 503, retryAfter: "1" });
        expect(query.result.errors?.map((e) => e.extensions.code)).toContain("SERVICE_OVERLOADED");
      } finally {
        await release();
      }
      // Once the connection is back, the same mutation goes through.
      const retried = await catalog.post(CHANGE, { id: demoProducts[20]!.id, price: { amount: 4321, currency: "USD" } }, admin());
      expect(retried.status).toBe(200);
      expect(retried.result.errors).toBeUndefined();
    } finally {
      await catalog.close();
    }
  });

  it("answers 503 SERVICE_OVERLOADED when a transaction gets its connection later than DATABASE_TRANSACTION_WAIT_MS (P2028)", async () => {
    // The pool would wait long; Prisma's maxWait is short. The held transaction ends by its own timeout
    // (3 s), handing its connection to the mutation's transaction, which has waited past maxWait by then
    // (as long as the request reaches the subgraph within 2.9 s, however loaded the machine).
    const catalog = await tightCatalog({ poolSize: 1, poolTimeoutMs: 20_000, transactionWaitMs: 100 });
    try {
      const release = await catalog.hold(3_000);
      try {
        const mutation = await catalog.post(CHANGE, { id: demoProducts[21]!.id, price: { amount: 1234, currency: "USD" } }, admin());
        expect(mutation).toMatchObject({ status: 503, retryAfter: "1" });
        expect(mutation.result.errors?.map((e) => e.extensions.code)).toEqual(["SERVICE_OVERLOADED"]);
      } finally {
        await release();
      }
      expect((await prisma.product.findUniqueOrThrow({ where: { id: demoProducts[21]!.id } })).priceCents).toBe(demoProducts[21]!.priceCents);
    } finally {
      await catalog.close();
    }
    // On a loaded machine the answer may come from the pool's 20 s wait instead (the same 503): room for it.
  }, 120_000);
});
