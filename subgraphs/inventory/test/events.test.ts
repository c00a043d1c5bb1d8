import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { createEvent, createInProcessBus, handleOnce, type AnyEventEnvelope, type EventBus, type EventEnvelope, type EventType } from "@store/events";
import { silentLogger } from "@store/kit";
import { admin, createTestDatabase, type TestDatabase } from "@store/testing";
import { handleOrderCancelled } from "../src/handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "../src/handlers/OrderPlaced.ts";
import { handleProductCreated } from "../src/handlers/ProductCreated.ts";
import { handleShipmentDispatched } from "../src/handlers/ShipmentDispatched.ts";
import { seedInventory } from "../src/seed.ts";
import { inventoryService } from "../src/service.ts";
import type { Db, Events, HandlerDeps, Tx } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const CONSUMER = "inventory-saga";
let db: TestDatabase;
let prisma: Db;
let bus: EventBus;
let events: Events;
let deps: HandlerDeps;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "inventory_events" });
  prisma = inventoryService.createPrisma({ url: db.url });
  await seedInventory(prisma);
  // Never started: what handlers emit stays in the outbox for the tests to read.
  bus = createInProcessBus({ logger: silentLogger });
  events = inventoryService.build({ prisma, bus, logger: silentLogger }).events;
  deps = { events, logger: silentLogger };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const UNKNOWN = "00000000-0000-4000-8000-000000000000";

async function stockedProduct(onHand: number, reserved = 0): Promise<string> {
  const productId = randomUUID();
  await prisma.stockItem.create({ data: { productId, onHand, reserved } });
  return productId;
}

const item = (productId: string) => prisma.stockItem.findUniqueOrThrow({ where: { productId } });
const counters = async (productId: string) => {
  const { onHand, reserved } = await item(productId);
  return { onHand, reserved, available: onHand - reserved };
};

type Handler<T extends EventType> = (event: EventEnvelope<T>, tx: Tx, deps: HandlerDeps) => Promise<void>;

/** Delivers an event as the saga consumer does: once per event id, in one transaction with its inbox row. */
function deliver<T extends EventType>(handler: Handler<T>, event: EventEnvelope<T>) {
  return handleOnce(prisma, CONSUMER, event as AnyEventEnvelope, (tx) => handler(event, tx, deps));
}

/** Everything inventory emitted in one saga, oldest first. */
async function outboxOf(correlationId: string): Promise<EventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ where: { envelope: { path: ["correlationId"], equals: correlationId } }, orderBy: { position: "asc" } });
  return rows.map((row) => row.envelope as unknown as EventEnvelope);
}

/**
 * An event from earlier in the saga, so correlation (the saga's) and
 * causation (this event) differ and the tests can tell them apart.
 */
const sagaStart = () => createEvent("UserRegistered", { userId: randomUUID(), email: "ada@example.com", name: "Ada" }, { aggregateId: randomUUID() });

function orderPlaced(orderId: string, lines: { productId: string; quantity: number }[], causedBy = sagaStart()) {
  return createEvent(
    "OrderPlaced",
    {
      orderId,
      customerId: randomUUID(),
      cartId: null,
      lines: lines.map((l) => ({ ...l, unitPriceCents: 500 })),
      totalCents: lines.reduce((sum, l) => sum + 500 * l.quantity, 0),
      currency: "USD",
      paymentToken: "tok_visa",
    },
    { aggregateId: orderId, causedBy },
  );
}

const orderCancelled = (orderId: string, causedBy?: EventEnvelope) =>
  createEvent("OrderCancelled", { orderId, customerId: randomUUID(), reason: "customer cancelled", previousStatus: "AWAITING_PAYMENT" }, { aggregateId: orderId, causedBy });

const shipmentDispatched = (orderId: string, causedBy?: EventEnvelope) =>
  createEvent(
    "ShipmentDispatched",
    { shipmentId: randomUUID(), orderId, customerId: randomUUID(), carrier: "DHL", trackingNumber: "JD0001" },
    { aggregateId: orderId, causedBy },
  );

const productCreated = (productId: string) =>
  createEvent("ProductCreated", { productId, sku: `SKU-${productId.slice(0, 8)}`, name: "New thing", categoryId: randomUUID(), priceCents: 999, currency: "USD" }, { aggregateId: productId });

const byProduct = <T extends { productId: string }>(list: T[]) => [...list].sort((a, b) => a.productId.localeCompare(b.productId));

describe("OrderPlaced", () => {
  it("reserves every line and emits StockReserved plus one StockChanged per product, in the cause's saga", async () => {
    const a = await stockedProduct(10);
    const b = await stockedProduct(4, 1);
    const orderId = randomUUID();
    const event = orderPlaced(orderId, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    expect(await deliver(handleOrderPlaced, event)).toBe("handled");

    expect(await counters(a)).toEqual({ onHand: 10, reserved: 2, available: 8 });
    expect(await counters(b)).toEqual({ onHand: 4, reserved: 4, available: 0 });
    expect(byProduct(await prisma.stockReservation.findMany({ where: { orderId } })).map((r) => [r.productId, r.quantity, r.status])).toEqual(
      byProduct([
        { productId: a, quantity: 2 },
        { productId: b, quantity: 3 },
      ]).map((l) => [l.productId, l.quantity, "RESERVED"]),
    );

    const emitted = await outboxOf(event.correlationId);
    expect(emitted.map((e) => e.type).sort()).toEqual(["StockChanged", "StockChanged", "StockReserved"]);
    for (const e of emitted) {
      expect(e).toMatchObject({ source: "inventory", version: 1, correlationId: event.correlationId, causationId: event.id });
    }
    expect(event.correlationId).not.toBe(event.id);
    const reserved = emitted.find((e) => e.type === "StockReserved")!;
    expect(reserved.aggregateId).toBe(orderId);
    expect(reserved.payload).toEqual({
      orderId,
      lines: byProduct([
        { productId: a, quantity: 2 },
        { productId: b, quantity: 3 },
      ]),
    });
    const changed = emitted.filter((e) => e.type === "StockChanged");
    expect(byProduct(changed.map((e) => ({ aggregateId: e.aggregateId, ...(e.payload as { productId: string }) })))).toEqual(
      byProduct([
        { aggregateId: a, productId: a, onHand: 10, reserved: 2, available: 8 },
        { aggregateId: b, productId: b, onHand: 4, reserved: 4, available: 0 },
      ]),
    );
  });

  it("has no second effect when the same event arrives again, or another OrderPlaced for the same order", async () => {
    const a = await stockedProduct(10);
    const orderId = randomUUID();
    const event = orderPlaced(orderId, [{ productId: a, quantity: 3 }]);
    expect(await deliver(handleOrderPlaced, event)).toBe("handled");
    const outboxAfterFirst = await prisma.outboxEvent.count();

    expect(await deliver(handleOrderPlaced, event)).toBe("duplicate");
    // A different event id passes the inbox; the order's existing reservations stop it.
    const again = orderPlaced(orderId, [{ productId: a, quantity: 3 }]);
    expect(await deliver(handleOrderPlaced, again)).toBe("handled");

    expect(await counters(a)).toEqual({ onHand: 10, reserved: 3, available: 7 });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(1);
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(1);
    expect(await prisma.outboxEvent.count()).toBe(outboxAfterFirst);
    expect(await outboxOf(again.correlationId)).toEqual([]);
  });

  it("on any shortage emits StockRejected only, naming every short line, and reserves nothing", async () => {
    const plenty = await stockedProduct(50);
    const scarce = await stockedProduct(5, 3);
    const orderId = randomUUID();
    const movementsBefore = await prisma.stockMovement.count();
    const event = orderPlaced(orderId, [
      { productId: plenty, quantity: 10 },
      { productId: scarce, quantity: 3 },
      { productId: UNKNOWN, quantity: 1 },
    ]);
    expect(await deliver(handleOrderPlaced, event)).toBe("handled");

    expect(await counters(plenty)).toEqual({ onHand: 50, reserved: 0, available: 50 });
    expect(await counters(scarce)).toEqual({ onHand: 5, reserved: 3, available: 2 });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(0);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);

    const emitted = await outboxOf(event.correlationId);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ type: "StockRejected", aggregateId: orderId, correlationId: event.correlationId, causationId: event.id });
    expect(emitted[0]!.payload).toEqual({
      orderId,
      shortages: byProduct([
        { productId: scarce, requested: 3, available: 2 },
        { productId: UNKNOWN, requested: 1, available: 0 },
      ]),
    });
    // The inbox row committed with the answer: a redelivery is not answered twice.
    expect(await deliver(handleOrderPlaced, event)).toBe("duplicate");
    expect(await outboxOf(event.correlationId)).toHaveLength(1);
  });

  it("lets exactly 10 of 50 concurrent single-unit orders through when 10 are available", async () => {
    const productId = await stockedProduct(10);
    const placed = Array.from({ length: 50 }, () => orderPlaced(randomUUID(), [{ productId, quantity: 1 }]));
    const outcomes = await Promise.all(placed.map((event) => deliver(handleOrderPlaced, event)));
    expect(outcomes.every((o) => o === "handled")).toBe(true);

    const orderIds = placed.map((e) => e.payload.orderId);
    const answers = await prisma.outboxEvent.findMany({ where: { type: { in: ["StockReserved", "StockRejected"] } } });
    const mine = answers.map((row) => row.envelope as unknown as EventEnvelope).filter((e) => orderIds.includes(e.aggregateId));
    expect(mine.filter((e) => e.type === "StockReserved")).toHaveLength(10);
    const rejected = mine.filter((e) => e.type === "StockRejected");
    expect(rejected).toHaveLength(40);
    for (const e of rejected) expect((e.payload as { shortages: unknown }).shortages).toEqual([{ productId, requested: 1, available: 0 }]);
    // Every order got exactly one answer.
    expect(new Set(mine.map((e) => e.aggregateId)).size).toBe(50);

    expect(await counters(productId)).toEqual({ onHand: 10, reserved: 10, available: 0 });
    expect(await prisma.stockReservation.count({ where: { productId, status: "RESERVED" } })).toBe(10);
    const changed = await prisma.outboxEvent.findMany({ where: { type: "StockChanged", envelope: { path: ["aggregateId"], equals: productId } } });
    expect(changed.map((row) => (row.envelope as unknown as EventEnvelope<"StockChanged">).payload.reserved).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it("ignores an order outside inventory's limits instead of failing the consumer", async () => {
    const a = await stockedProduct(10_000);
    const orderId = randomUUID();
    // The catalogue allows it; inventory's per-line limit (1000) does not.
    const event = orderPlaced(orderId, [{ productId: a, quantity: 5000 }]);
    expect(await deliver(handleOrderPlaced, event)).toBe("handled");
    expect(await counters(a)).toEqual({ onHand: 10_000, reserved: 0, available: 10_000 });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(0);
    expect(await outboxOf(event.correlationId)).toEqual([]);
  });
});

describe("OrderCancelled", () => {
  it("returns a reserved order's stock to what it was, emitting StockChanged per product, once", async () => {
    const a = await stockedProduct(10, 1);
    const b = await stockedProduct(6);
    const orderId = randomUUID();
    const before = [await counters(a), await counters(b)];
    const placed = orderPlaced(orderId, [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 6 },
    ]);
    await deliver(handleOrderPlaced, placed);
    expect(await counters(b)).toEqual({ onHand: 6, reserved: 6, available: 0 });

    const cancelled = orderCancelled(orderId, placed);
    expect(await deliver(handleOrderCancelled, cancelled)).toBe("handled");
    expect([await counters(a), await counters(b)]).toEqual(before);
    expect(new Set((await prisma.stockReservation.findMany({ where: { orderId } })).map((r) => r.status))).toEqual(new Set(["RELEASED"]));
    expect((await prisma.stockMovement.findMany({ where: { orderId, reason: "RELEASE" } })).map((m) => [m.productId, m.delta, m.onHandDelta]).sort()).toEqual(
      [
        [a, 4, 0],
        [b, 6, 0],
      ].sort(),
    );

    const released = (await outboxOf(placed.correlationId)).filter((e) => e.causationId === cancelled.id);
    expect(released.map((e) => e.type)).toEqual(["StockChanged", "StockChanged"]);
    expect(byProduct(released.map((e) => e.payload as { productId: string }))).toEqual(
      byProduct([
        { productId: a, ...before[0] },
        { productId: b, ...before[1] },
      ]),
    );
    for (const e of released) expect(e.correlationId).toBe(placed.correlationId);

    // Redelivered, or cancelled again by another event: nothing more comes back.
    const outboxBefore = await prisma.outboxEvent.count();
    expect(await deliver(handleOrderCancelled, cancelled)).toBe("duplicate");
    expect(await deliver(handleOrderCancelled, orderCancelled(orderId, placed))).toBe("handled");
    expect([await counters(a), await counters(b)]).toEqual(before);
    expect(await prisma.stockMovement.count({ where: { orderId, reason: "RELEASE" } })).toBe(2);
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
  });

  it("is a no-op for an order inventory never reserved or rejected", async () => {
    const scarce = await stockedProduct(1);
    const rejectedOrder = randomUUID();
    await deliver(handleOrderPlaced, orderPlaced(rejectedOrder, [{ productId: scarce, quantity: 2 }]));
    const outboxBefore = await prisma.outboxEvent.count();
    const movementsBefore = await prisma.stockMovement.count();
    expect(await deliver(handleOrderCancelled, orderCancelled(rejectedOrder))).toBe("handled");
    expect(await deliver(handleOrderCancelled, orderCancelled(randomUUID()))).toBe("handled");
    expect(await counters(scarce)).toEqual({ onHand: 1, reserved: 0, available: 1 });
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);
  });
});

describe("ShipmentDispatched", () => {
  it("commits the order's reservations: onHand and reserved drop, available does not", async () => {
    const a = await stockedProduct(10, 2);
    const b = await stockedProduct(5);
    const orderId = randomUUID();
    const placed = orderPlaced(orderId, [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 5 },
    ]);
    await deliver(handleOrderPlaced, placed);
    const reservedA = await counters(a);
    const reservedB = await counters(b);
    expect(reservedA).toEqual({ onHand: 10, reserved: 5, available: 5 });

    const dispatched = shipmentDispatched(orderId, placed);
    expect(await deliver(handleShipmentDispatched, dispatched)).toBe("handled");
    expect(await counters(a)).toEqual({ onHand: 7, reserved: 2, available: reservedA.available });
    expect(await counters(b)).toEqual({ onHand: 0, reserved: 0, available: reservedB.available });
    expect(new Set((await prisma.stockReservation.findMany({ where: { orderId } })).map((r) => r.status))).toEqual(new Set(["COMMITTED"]));
    expect((await prisma.stockMovement.findMany({ where: { orderId, reason: "COMMIT" } })).map((m) => [m.productId, m.delta, m.onHandDelta]).sort()).toEqual(
      [
        [a, 0, -3],
        [b, 0, -5],
      ].sort(),
    );

    const committed = (await outboxOf(placed.correlationId)).filter((e) => e.causationId === dispatched.id);
    expect(byProduct(committed.map((e) => ({ type: e.type, aggregateId: e.aggregateId, ...(e.payload as { productId: string }) })))).toEqual(
      byProduct([
        { type: "StockChanged", aggregateId: a, productId: a, onHand: 7, reserved: 2, available: 5 },
        { type: "StockChanged", aggregateId: b, productId: b, onHand: 0, reserved: 0, available: 0 },
      ]),
    );

    // Redelivered, dispatched again, or cancelled after shipping: shipped units stay shipped.
    const outboxBefore = await prisma.outboxEvent.count();
    expect(await deliver(handleShipmentDispatched, dispatched)).toBe("duplicate");
    expect(await deliver(handleShipmentDispatched, shipmentDispatched(orderId, placed))).toBe("handled");
    expect(await deliver(handleOrderCancelled, orderCancelled(orderId, placed))).toBe("handled");
    expect(await counters(a)).toEqual({ onHand: 7, reserved: 2, available: 5 });
    expect(await counters(b)).toEqual({ onHand: 0, reserved: 0, available: 0 });
    expect(await prisma.stockMovement.count({ where: { orderId } })).toBe(4);
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
  });

  it("keeps both ledgers adding up to the counters", async () => {
    // Restock, reserve, release part, ship the rest: sum(delta) = available, sum(onHandDelta) = onHand.
    const productId = randomUUID();
    await deliver(handleProductCreated, productCreated(productId));
    const { subgraph } = inventoryService.build({ prisma, bus, logger: silentLogger });
    const restocked = await subgraph.execute(`mutation($id: ID!) { restock(productId: $id, quantity: 20) { id } }`, { id: productId }, { identity: admin() });
    expect(restocked.errors).toBeUndefined();
    await subgraph.stop();
    const [kept, cancelled] = [randomUUID(), randomUUID()];
    await deliver(handleOrderPlaced, orderPlaced(kept, [{ productId, quantity: 6 }]));
    await deliver(handleOrderPlaced, orderPlaced(cancelled, [{ productId, quantity: 4 }]));
    await deliver(handleOrderCancelled, orderCancelled(cancelled));
    await deliver(handleShipmentDispatched, shipmentDispatched(kept));

    expect(await counters(productId)).toEqual({ onHand: 14, reserved: 0, available: 14 });
    const sums = await prisma.stockMovement.aggregate({ where: { productId }, _sum: { delta: true, onHandDelta: true } });
    expect(sums._sum).toEqual({ delta: 14, onHandDelta: 14 });
  });

  it("is a no-op for an order with nothing reserved", async () => {
    const outboxBefore = await prisma.outboxEvent.count();
    const movementsBefore = await prisma.stockMovement.count();
    expect(await deliver(handleShipmentDispatched, shipmentDispatched(randomUUID()))).toBe("handled");
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
    expect(await prisma.stockMovement.count()).toBe(movementsBefore);
  });
});

describe("ProductCreated", () => {
  it("creates an empty stock row and announces it, so the product can be restocked", async () => {
    const productId = randomUUID();
    const event = productCreated(productId);
    expect(await deliver(handleProductCreated, event)).toBe("handled");
    expect(await counters(productId)).toEqual({ onHand: 0, reserved: 0, available: 0 });
    const emitted = await outboxOf(event.correlationId);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({
      type: "StockChanged",
      aggregateId: productId,
      causationId: event.id,
      payload: { productId, onHand: 0, reserved: 0, available: 0 },
    });
    expect(await deliver(handleProductCreated, event)).toBe("duplicate");
    expect(await prisma.stockItem.count({ where: { productId } })).toBe(1);
  });

  it("leaves a product inventory already stocks as it is", async () => {
    const demo = demoProducts.find((p) => p.stock > 0)!;
    const before = await item(demo.id);
    const event = productCreated(demo.id);
    expect(await deliver(handleProductCreated, event)).toBe("handled");
    expect(await item(demo.id)).toEqual(before);
    expect(await outboxOf(event.correlationId)).toEqual([]);
  });
});

describe("the inventory-saga consumer", () => {
  it("consumes the saga's events from the bus and publishes its answers through the relay", async () => {
    // A bus and events of their own, started, as a running service has them.
    const bus = createInProcessBus({ logger: silentLogger });
    const { events: live, subscribe } = inventoryService.build({ prisma, bus, logger: silentLogger });
    const consumers = await subscribe();
    expect(consumers.map((c) => c.name)).toEqual([CONSUMER]);
    const heard: AnyEventEnvelope[] = [];
    await bus.consume({ name: "listener", types: ["StockReserved", "StockChanged"], handler: async (e) => void heard.push(e) });
    live.start();
    try {
      const productId = await stockedProduct(3);
      const placed = orderPlaced(randomUUID(), [{ productId, quantity: 2 }]);
      await bus.publish(placed);
      await live.relay.drain();
      expect(await counters(productId)).toEqual({ onHand: 3, reserved: 2, available: 1 });
      const answers = heard.filter((e) => e.correlationId === placed.correlationId);
      expect(answers.map((e) => e.type).sort()).toEqual(["StockChanged", "StockReserved"]);
      expect(await prisma.inboxEvent.count({ where: { consumer: "inventory-saga", eventId: placed.id } })).toBe(1);
    } finally {
      await live.stop();
      await bus.close();
    }
  });
});
