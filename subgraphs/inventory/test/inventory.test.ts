import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { createInProcessBus, type EventEnvelope } from "@store/events";
import { silentLogger, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, eventually, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { seedInventory } from "../src/seed.ts";
import { inventoryService } from "../src/service.ts";
import { releaseStock, reserveStock, reserveStockInTx } from "../src/stock.ts";
import type { Db, Events } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let events: Events;
let subgraph: Subgraph<Context>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "inventory" });
  prisma = inventoryService.createPrisma({ url: db.url });
  await seedInventory(prisma);
  // Its relay never started: rows stay in the outbox for the tests to read.
  ({ subgraph, events } = inventoryService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }));
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const UNKNOWN = "00000000-0000-4000-8000-000000000000";

/** A product of its own per test, so tests can run in any order. */
async function stockedProduct(onHand: number, reserved = 0): Promise<string> {
  const productId = randomUUID();
  await prisma.stockItem.create({ data: { productId, onHand, reserved } });
  return productId;
}

const item = (productId: string) => prisma.stockItem.findUniqueOrThrow({ where: { productId } });

/** The outbox rows about one aggregate, oldest first. */
async function outboxFor(aggregateId: string): Promise<EventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ where: { envelope: { path: ["aggregateId"], equals: aggregateId } }, orderBy: { position: "asc" } });
  return rows.map((row) => row.envelope as unknown as EventEnvelope);
}

const ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id stock inStock } } }
`;
type EntitiesData = { _entities: ({ id: string; stock: number; inStock: boolean } | null)[] };

describe("seed", () => {
  it("stocks every demo product once, with a matching audit trail, and is idempotent", async () => {
    expect(await prisma.stockItem.count()).toBeGreaterThanOrEqual(demoProducts.length);
    const demoIds = demoProducts.map((p) => p.id);
    const items = await prisma.stockItem.findMany({ where: { productId: { in: demoIds } } });
    expect(items).toHaveLength(demoProducts.length);
    const movementsBefore = await prisma.stockMovement.count();
    await seedInventory(prisma);
    expect(await prisma.stockItem.count({ where: { productId: { in: demoIds } } })).toBe(demoProducts.length);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);
  });
});

describe("Product entity", () => {
  it("resolves 50 products' stock with one SQL query", async () => {
    // Reads the live rows, not demo numbers: other tests may move stock.
    const products = demoProducts.slice(0, 50);
    const rows = new Map((await prisma.stockItem.findMany({ where: { productId: { in: products.map((p) => p.id) } } })).map((i) => [i.productId, i]));
    const counter = countQueries(prisma);
    const representations = products.map((p) => ({ __typename: "Product", id: p.id }));
    const result = await subgraph.execute<EntitiesData>(ENTITIES, { representations });
    expect(result.errors).toBeUndefined();
    expect(counter.count).toBe(1);
    expect(result.data!._entities).toEqual(
      products.map((p) => {
        const row = rows.get(p.id)!;
        const stock = row.onHand - row.reserved;
        return { id: p.id, stock, inStock: stock > 0 };
      }),
    );
  });

  it("reports stock as onHand - reserved", async () => {
    const productId = await stockedProduct(10, 4);
    const soldOut = await stockedProduct(3, 3);
    const result = await subgraph.execute<EntitiesData>(ENTITIES, {
      representations: [
        { __typename: "Product", id: productId },
        { __typename: "Product", id: soldOut },
      ],
    });
    expect(result.data!._entities).toEqual([
      { id: productId, stock: 6, inStock: true },
      { id: soldOut, stock: 0, inStock: false },
    ]);
  });

  it("gives a product inventory has never heard of no stock instead of null", async () => {
    const zeroInDemo = demoProducts.find((p) => p.stock === 0)!;
    const result = await subgraph.execute<EntitiesData>(ENTITIES, {
      representations: [
        { __typename: "Product", id: UNKNOWN },
        { __typename: "Product", id: "not-a-uuid" },
        { __typename: "Product", id: zeroInDemo.id },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { id: UNKNOWN, stock: 0, inStock: false },
      { id: "not-a-uuid", stock: 0, inStock: false },
      { id: zeroInDemo.id, stock: 0, inStock: false },
    ]);
  });
});

describe("stockLevel", () => {
  const STOCK_LEVEL = `query($id: ID!) { stockLevel(productId: $id) { productId onHand reserved available updatedAt } }`;
  type StockLevelData = { stockLevel: { productId: string; onHand: number; reserved: number; available: number; updatedAt: string } | null };

  it("shows an admin the counters, and null for an unknown product", async () => {
    const productId = await stockedProduct(12, 5);
    const found = await subgraph.execute<StockLevelData>(STOCK_LEVEL, { id: productId }, { identity: admin() });
    expect(found.errors).toBeUndefined();
    expect(found.data!.stockLevel).toMatchObject({ productId, onHand: 12, reserved: 5, available: 7 });
    expect(new Date(found.data!.stockLevel!.updatedAt).toISOString()).toBe(found.data!.stockLevel!.updatedAt);

    const missing = await subgraph.execute<StockLevelData>(STOCK_LEVEL, { id: UNKNOWN }, { identity: admin() });
    expect(missing.errors).toBeUndefined();
    expect(missing.data!.stockLevel).toBeNull();
  });

  it("is for admins only, and rejects a malformed id", async () => {
    const productId = demoProducts[0]!.id;
    expect(errorCodes(await subgraph.execute(STOCK_LEVEL, { id: productId }, { identity: customer() }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(STOCK_LEVEL, { id: productId }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(STOCK_LEVEL, { id: "42" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("restock", () => {
  const RESTOCK = `mutation($id: ID!, $quantity: Int!) { restock(productId: $id, quantity: $quantity) { id stock inStock } }`;
  type RestockData = { restock: { id: string; stock: number; inStock: boolean } };

  it("adds units on hand and records a RESTOCK movement", async () => {
    const productId = await stockedProduct(0);
    const result = await subgraph.execute<RestockData>(RESTOCK, { id: productId, quantity: 25 }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!.restock).toEqual({ id: productId, stock: 25, inStock: true });
    expect(await item(productId)).toMatchObject({ onHand: 25, reserved: 0 });
    const movements = await prisma.stockMovement.findMany({ where: { productId } });
    expect(movements).toMatchObject([{ delta: 25, onHandDelta: 25, reason: "RESTOCK", orderId: null }]);
  });

  it("writes one StockChanged to the outbox, in the restock's transaction", async () => {
    const productId = await stockedProduct(4, 3);
    const result = await subgraph.execute<RestockData>(RESTOCK, { id: productId, quantity: 6 }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    const outbox = await outboxFor(productId);
    expect(outbox).toHaveLength(1);
    const [event] = outbox;
    expect(event).toMatchObject({
      type: "StockChanged",
      source: "inventory",
      version: 1,
      aggregateId: productId,
      payload: { productId, onHand: 10, reserved: 3, available: 7 },
    });
    // A mutation starts a flow of its own.
    expect(event!.correlationId).toBe(event!.id);
    expect(event!.causationId).toBe(event!.id);
    expect(await prisma.outboxEvent.findUniqueOrThrow({ where: { id: event!.id } })).toMatchObject({ type: "StockChanged", publishedAt: null });
  });

  it("counts every one of many concurrent restocks", async () => {
    const productId = await stockedProduct(3);
    const results = await Promise.all(Array.from({ length: 20 }, () => subgraph.execute(RESTOCK, { id: productId, quantity: 5 }, { identity: admin() })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect((await item(productId)).onHand).toBe(103);
    expect(await prisma.stockMovement.count({ where: { productId, reason: "RESTOCK" } })).toBe(20);
    // Each event reports the counters its own transaction left: every step from 8 to 103, once.
    const reported = (await outboxFor(productId)).map((e) => (e.payload as { onHand: number }).onHand).sort((a, b) => a - b);
    expect(reported).toEqual(Array.from({ length: 20 }, (_, i) => 8 + 5 * i));
  });

  it("refuses bad input, unknown products and non-admins, changing nothing", async () => {
    const productId = await stockedProduct(7);
    const movementsBefore = await prisma.stockMovement.count();
    const itemsBefore = await prisma.stockItem.count();
    const outboxBefore = await prisma.outboxEvent.count();
    const cases: [Record<string, unknown>, ReturnType<typeof admin> | null, string][] = [
      [{ id: productId, quantity: 0 }, admin(), "BAD_USER_INPUT"],
      [{ id: productId, quantity: -5 }, admin(), "BAD_USER_INPUT"],
      [{ id: productId, quantity: 100_001 }, admin(), "BAD_USER_INPUT"],
      [{ id: "not-a-uuid", quantity: 5 }, admin(), "BAD_USER_INPUT"],
      [{ id: UNKNOWN, quantity: 5 }, admin(), "NOT_FOUND"],
      [{ id: productId, quantity: 5 }, customer(), "FORBIDDEN"],
      [{ id: productId, quantity: 5 }, null, "UNAUTHENTICATED"],
    ];
    for (const [variables, identity, code] of cases) {
      expect(errorCodes(await subgraph.execute(RESTOCK, variables, { identity })), JSON.stringify(variables)).toEqual([code]);
    }
    expect((await item(productId)).onHand).toBe(7);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);
    expect(await prisma.stockItem.count()).toBe(itemsBefore);
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
  });

  it("accepts the largest allowed quantity", async () => {
    const productId = await stockedProduct(0);
    const result = await subgraph.execute<RestockData>(RESTOCK, { id: productId, quantity: 100_000 }, { identity: admin() });
    expect(result.data?.restock.stock).toBe(100_000);
  });
});

describe("database invariants", () => {
  it("refuses negative counts and reserving more than is on hand", async () => {
    const productId = await stockedProduct(5, 2);
    await expect(prisma.stockItem.update({ where: { productId }, data: { reserved: 6 } })).rejects.toThrow();
    await expect(prisma.stockItem.update({ where: { productId }, data: { onHand: -1 } })).rejects.toThrow();
    await expect(prisma.stockItem.update({ where: { productId }, data: { reserved: -1 } })).rejects.toThrow();
    await expect(prisma.stockReservation.create({ data: { orderId: randomUUID(), productId, quantity: 0 } })).rejects.toThrow();
    await expect(prisma.stockMovement.create({ data: { productId, delta: 1, reason: "LOST" } })).rejects.toThrow();
    expect(await item(productId)).toMatchObject({ onHand: 5, reserved: 2 });
  });

  it("holds every movement to its reason's shape on both ledgers", async () => {
    const productId = await stockedProduct(5);
    const before = await prisma.stockMovement.count({ where: { productId } });
    const bad = [
      { delta: 3, onHandDelta: 0, reason: "RESTOCK" },
      { delta: 3, onHandDelta: 2, reason: "RESTOCK" },
      { delta: -3, onHandDelta: -3, reason: "RESERVE" },
      { delta: 0, onHandDelta: 0, reason: "RESERVE" },
      { delta: -3, onHandDelta: 0, reason: "RELEASE" },
      { delta: -3, onHandDelta: -3, reason: "COMMIT" },
      { delta: 0, onHandDelta: 0, reason: "COMMIT" },
      { delta: 0, onHandDelta: 3, reason: "COMMIT" },
    ];
    for (const data of bad) await expect(prisma.stockMovement.create({ data: { productId, ...data } }), JSON.stringify(data)).rejects.toThrow();
    expect(await prisma.stockMovement.count({ where: { productId } })).toBe(before);

    const good = [
      { delta: 3, onHandDelta: 3, reason: "RESTOCK" },
      { delta: -3, onHandDelta: 0, reason: "RESERVE" },
      { delta: 3, onHandDelta: 0, reason: "RELEASE" },
      { delta: 0, onHandDelta: -3, reason: "COMMIT" },
    ];
    for (const data of good) await prisma.stockMovement.create({ data: { productId, ...data } });
    expect(await prisma.stockMovement.count({ where: { productId } })).toBe(before + good.length);
  });
});

describe("reserveStock", () => {
  it("reserves every line, records RESERVE movements, and lowers stock", async () => {
    const a = await stockedProduct(10);
    const b = await stockedProduct(4, 1);
    const orderId = randomUUID();
    const result = await reserveStock(prisma, orderId, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.reservations.map(({ productId, quantity, status, orderId: o }) => ({ productId, quantity, status, orderId: o })).sort((x, y) => x.productId.localeCompare(y.productId))).toEqual(
      [
        { productId: a, quantity: 2, status: "RESERVED", orderId },
        { productId: b, quantity: 3, status: "RESERVED", orderId },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
    expect(await item(a)).toMatchObject({ onHand: 10, reserved: 2 });
    expect(await item(b)).toMatchObject({ onHand: 4, reserved: 4 });
    const movements = await prisma.stockMovement.findMany({ where: { orderId } });
    expect(movements.map((m) => [m.productId, m.delta, m.reason]).sort()).toEqual(
      [
        [a, -2, "RESERVE"],
        [b, -3, "RESERVE"],
      ].sort(),
    );
    const entities = await subgraph.execute<EntitiesData>(ENTITIES, { representations: [a, b].map((id) => ({ __typename: "Product", id })) });
    expect(entities.data!._entities).toEqual([
      { id: a, stock: 8, inStock: true },
      { id: b, stock: 0, inStock: false },
    ]);
  });

  it("merges repeated lines for the same product", async () => {
    const a = await stockedProduct(10);
    const result = await reserveStock(prisma, randomUUID(), [
      { productId: a, quantity: 2 },
      { productId: a, quantity: 3 },
    ]);
    expect(result.ok && result.reservations.map((r) => r.quantity)).toEqual([5]);
    expect((await item(a)).reserved).toBe(5);
  });

  it("is idempotent for an order: a repeat returns the same reservations and reserves nothing more", async () => {
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    const first = await reserveStock(prisma, orderId, [{ productId: a, quantity: 3 }]);
    const again = await reserveStock(prisma, orderId, [{ productId: a, quantity: 3 }]);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.reservations.map((r) => r.id)).toEqual(first.reservations.map((r) => r.id));
    expect((await item(a)).reserved).toBe(3);
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(1);
  });

  it("reserves once when the same order arrives concurrently", async () => {
    const a = await stockedProduct(100);
    const b = await stockedProduct(100);
    const orderId = randomUUID();
    const lines = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ];
    const results = await Promise.all(Array.from({ length: 8 }, () => reserveStock(prisma, orderId, lines)));
    expect(results.every((r) => r.ok)).toBe(true);
    const ids = new Set(results.flatMap((r) => (r.ok ? r.reservations.map((x) => x.id) : [])));
    expect(ids.size).toBe(2);
    expect(await item(a)).toMatchObject({ reserved: 2 });
    expect(await item(b)).toMatchObject({ reserved: 1 });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(2);
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(2);
  });

  it("undoes its own increments when the same order commits first while it waits", async (ctx) => {
    // Needs two connections; embedded PGlite has one.
    if (db.kind === "pglite") ctx.skip();
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    let commitFirst!: () => void;
    const holdFirst = new Promise<void>((resolve) => (commitFirst = resolve));
    let firstReserved!: () => void;
    const firstHasReserved = new Promise<void>((resolve) => (firstReserved = resolve));
    const first = prisma.$transaction(async (tx) => {
      const result = await reserveStockInTx(tx, orderId, [{ productId: a, quantity: 3 }]);
      firstReserved();
      await holdFirst;
      return result;
    });
    await firstHasReserved;
    // The second finds no reservation yet (uncommitted), then queues on the stock row's lock.
    const second = reserveStock(prisma, orderId, [{ productId: a, quantity: 3 }]);
    await eventually(
      async () => {
        const [row] = await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
        return row!.n > 0;
      },
      { what: "the second reservation to wait for the first one's lock" },
    );
    commitFirst();
    const [one, two] = await Promise.all([first, second]);
    expect(one.ok && two.ok).toBe(true);
    if (!one.ok || !two.ok) return;
    expect(two.reservations.map((r) => r.id)).toEqual(one.reservations.map((r) => r.id));
    expect(two.changed).toEqual([]);
    expect(await item(a)).toMatchObject({ onHand: 10, reserved: 3 });
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(1);
  });

  it("reserves nothing when any line is short, and names every shortage", async () => {
    const plenty = await stockedProduct(50);
    const scarce = await stockedProduct(5, 3);
    const orderId = randomUUID();
    const movementsBefore = await prisma.stockMovement.count();
    const result = await reserveStock(prisma, orderId, [
      { productId: plenty, quantity: 10 },
      { productId: scarce, quantity: 3 },
      { productId: UNKNOWN, quantity: 1 },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.shortages.sort((x, y) => x.productId.localeCompare(y.productId))).toEqual(
      [
        { productId: scarce, requested: 3, available: 2 },
        { productId: UNKNOWN, requested: 1, available: 0 },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
    expect(await item(plenty)).toMatchObject({ onHand: 50, reserved: 0 });
    expect(await item(scarce)).toMatchObject({ onHand: 5, reserved: 3 });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(0);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);

    // Nothing was recorded for the order, so once stock arrives it can try again.
    await prisma.stockItem.update({ where: { productId: scarce }, data: { onHand: { increment: 1 } } });
    const retry = await reserveStock(prisma, orderId, [
      { productId: plenty, quantity: 10 },
      { productId: scarce, quantity: 3 },
    ]);
    expect(retry.ok).toBe(true);
    expect(await item(scarce)).toMatchObject({ onHand: 6, reserved: 6 });
  });

  it("lets exactly 10 of 50 concurrent single-unit orders through when 10 are available", async () => {
    const productId = await stockedProduct(10);
    const results = await Promise.all(Array.from({ length: 50 }, () => reserveStock(prisma, randomUUID(), [{ productId, quantity: 1 }])));
    const succeeded = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    expect(succeeded).toHaveLength(10);
    expect(failed).toHaveLength(40);
    for (const r of failed) if (!r.ok) expect(r.shortages).toEqual([{ productId, requested: 1, available: 0 }]);
    expect(await item(productId)).toMatchObject({ onHand: 10, reserved: 10 });
    expect(await prisma.stockReservation.count({ where: { productId, status: "RESERVED" } })).toBe(10);
    const movements = await prisma.stockMovement.aggregate({ where: { productId, reason: "RESERVE" }, _sum: { delta: true }, _count: true });
    expect(movements).toMatchObject({ _sum: { delta: -10 }, _count: 10 });
  });

  it("rejects malformed input without writing", async () => {
    const productId = await stockedProduct(10);
    const movementsBefore = await prisma.stockMovement.count();
    await expect(reserveStock(prisma, "nope", [{ productId, quantity: 1 }])).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    await expect(reserveStock(prisma, randomUUID(), [])).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    await expect(reserveStock(prisma, randomUUID(), [{ productId, quantity: 0 }])).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    await expect(reserveStock(prisma, randomUUID(), [{ productId: "x", quantity: 1 }])).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect((await item(productId)).reserved).toBe(0);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);
  });
});

describe("releaseStock", () => {
  it("returns an order's reserved units to available stock, once", async () => {
    const a = await stockedProduct(10);
    const b = await stockedProduct(5);
    const orderId = randomUUID();
    await reserveStock(prisma, orderId, [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 5 },
    ]);
    const released = await releaseStock(prisma, orderId);
    expect(released.released.sort((x, y) => x.productId.localeCompare(y.productId))).toEqual(
      [
        { productId: a, quantity: 4 },
        { productId: b, quantity: 5 },
      ].sort((x, y) => x.productId.localeCompare(y.productId)),
    );
    expect(await item(a)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await item(b)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(new Set((await prisma.stockReservation.findMany({ where: { orderId } })).map((r) => r.status))).toEqual(new Set(["RELEASED"]));
    const movements = await prisma.stockMovement.findMany({ where: { orderId, reason: "RELEASE" } });
    expect(movements.map((m) => [m.productId, m.delta]).sort()).toEqual(
      [
        [a, 4],
        [b, 5],
      ].sort(),
    );

    expect(await releaseStock(prisma, orderId)).toEqual({ released: [] });
    expect(await item(a)).toMatchObject({ reserved: 0 });
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(4);
  });

  it("releases once under concurrent calls", async () => {
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    await reserveStock(prisma, orderId, [{ productId: a, quantity: 6 }]);
    const results = await Promise.all(Array.from({ length: 6 }, () => releaseStock(prisma, orderId)));
    expect(results.filter((r) => r.released.length > 0)).toHaveLength(1);
    expect(await item(a)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await prisma.stockMovement.count({ where: { orderId, reason: "RELEASE" } })).toBe(1);
  });

  it("does not re-reserve a released order, and ignores an order it never saw", async () => {
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    await reserveStock(prisma, orderId, [{ productId: a, quantity: 2 }]);
    await releaseStock(prisma, orderId);
    const replay = await reserveStock(prisma, orderId, [{ productId: a, quantity: 2 }]);
    expect(replay.ok && replay.reservations.map((r) => r.status)).toEqual(["RELEASED"]);
    expect((await item(a)).reserved).toBe(0);

    expect(await releaseStock(prisma, randomUUID())).toEqual({ released: [] });
    await expect(releaseStock(prisma, "nope")).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
  });

  it("leaves committed reservations alone", async () => {
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    await reserveStock(prisma, orderId, [{ productId: a, quantity: 3 }]);
    await prisma.stockReservation.updateMany({ where: { orderId }, data: { status: "COMMITTED" } });
    expect(await releaseStock(prisma, orderId)).toEqual({ released: [] });
    expect((await item(a)).reserved).toBe(3);
  });
});
