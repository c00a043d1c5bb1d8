import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { demoOrders, demoProducts } from "@store/demo-data";
import { createEvent, createInProcessBus, handleOnce, type AnyEventEnvelope, type EventEnvelope } from "@store/events";
import { silentLogger, type Identity } from "@store/kit";
import { admin, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import { handlePaymentCaptured } from "../src/handlers/PaymentCaptured.ts";
import { handlePaymentFailed } from "../src/handlers/PaymentFailed.ts";
import { handleProductCreated } from "../src/handlers/ProductCreated.ts";
import { handleProductPriceChanged } from "../src/handlers/ProductPriceChanged.ts";
import { handleShipmentDelivered } from "../src/handlers/ShipmentDelivered.ts";
import { handleShipmentDispatched } from "../src/handlers/ShipmentDispatched.ts";
import { handleStockRejected } from "../src/handlers/StockRejected.ts";
import { handleStockReserved } from "../src/handlers/StockReserved.ts";
import { seedOrders } from "../src/seed.ts";
import { ordersService } from "../src/service.ts";
import type { Db, Events, HandlerDeps, Tx } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const CONSUMER = "orders-saga";
let db: TestDatabase;
let prisma: Db;
let events: Events;
let deps: HandlerDeps;
let subgraph: ReturnType<typeof ordersService.build>["subgraph"];

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "orders_events" });
  prisma = ordersService.createPrisma({ url: db.url });
  await seedOrders(prisma);
  // Never started: what handlers and mutations emit stays in the outbox to be asserted.
  const bus = createInProcessBus({ logger: silentLogger });
  ({ subgraph, events } = ordersService.build({ prisma, bus, logger: silentLogger }));
  deps = { events, logger: silentLogger.child({}) };
});

afterAll(async () => {
  await subgraph?.stop();
  await events?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const product = (i: number) => demoProducts[i]!;

type Handler = (event: never, tx: Tx, deps: HandlerDeps) => Promise<void>;
const handlers: Partial<Record<AnyEventEnvelope["type"], Handler>> = {
  StockReserved: handleStockReserved,
  StockRejected: handleStockRejected,
  PaymentCaptured: handlePaymentCaptured,
  PaymentFailed: handlePaymentFailed,
  ShipmentDispatched: handleShipmentDispatched,
  ShipmentDelivered: handleShipmentDelivered,
  ProductCreated: handleProductCreated,
  ProductPriceChanged: handleProductPriceChanged,
};

/** Delivers an event as the orders-saga consumer does: once per event id, in one transaction with its inbox row. */
function deliver(event: AnyEventEnvelope) {
  const handler = handlers[event.type];
  if (!handler) throw new Error(`orders does not consume ${event.type}`);
  return handleOnce(prisma, CONSUMER, event, (tx) => handler(event as never, tx, deps));
}

type OrderData = {
  id: string;
  status: string;
  cancelReason: string | null;
  total: { amount: number; currency: string };
  lines: { productName: string; unitPrice: { amount: number }; quantity: number }[];
  statusHistory: { from: string | null; to: string; reason: string }[];
};
const ORDER_FIELDS = `id status cancelReason total { amount currency } lines { productName unitPrice { amount } quantity } statusHistory { from to reason }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const CANCEL = `mutation($orderId: ID!) { cancelOrder(orderId: $orderId) { ${ORDER_FIELDS} } }`;

async function place(identity: Identity, lines = [{ productId: product(0).id, quantity: 2 }, { productId: product(1).id, quantity: 1 }]): Promise<OrderData> {
  const result = await subgraph.execute<{ placeOrder: OrderData }>(PLACE, { input: { lines, paymentToken: "tok_visa" } }, { identity });
  expect(result.errors).toBeUndefined();
  return result.data!.placeOrder;
}

async function read(id: string): Promise<OrderData> {
  const result = await subgraph.execute<{ order: OrderData }>(ORDER, { id }, { identity: admin() });
  expect(result.errors).toBeUndefined();
  return result.data!.order;
}

/** The events written for one order, oldest first. */
async function outboxOf(orderId: string): Promise<AnyEventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ where: { envelope: { path: ["aggregateId"], equals: orderId } }, orderBy: { position: "asc" } });
  return rows.map((row) => row.envelope as unknown as AnyEventEnvelope);
}

async function placedEventOf(orderId: string): Promise<EventEnvelope<"OrderPlaced">> {
  const placed = (await outboxOf(orderId)).find((e) => e.type === "OrderPlaced");
  expect(placed).toBeDefined();
  return placed as EventEnvelope<"OrderPlaced">;
}

/** What inventory, payments and shipping would send back for an order, each caused by the one before. */
function sagaEvents(placed: EventEnvelope<"OrderPlaced">) {
  const { orderId, customerId, lines, totalCents, currency } = placed.payload;
  const aggregateId = orderId;
  const paymentId = randomUUID();
  const shipmentId = randomUUID();
  const stockReserved = createEvent("StockReserved", { orderId, lines: lines.map(({ productId, quantity }) => ({ productId, quantity })) }, { aggregateId, causedBy: placed });
  const stockRejected = createEvent(
    "StockRejected",
    { orderId, shortages: [{ productId: lines[0]!.productId, requested: lines[0]!.quantity, available: 0 }] },
    { aggregateId, causedBy: placed },
  );
  const paymentCaptured = createEvent("PaymentCaptured", { orderId, paymentId, customerId, amountCents: totalCents, currency }, { aggregateId: paymentId, causedBy: stockReserved });
  const paymentFailed = createEvent("PaymentFailed", { orderId, paymentId, customerId, reason: "card declined" }, { aggregateId: paymentId, causedBy: stockReserved });
  const shipmentDispatched = createEvent(
    "ShipmentDispatched",
    { shipmentId, orderId, customerId, carrier: "DHL", trackingNumber: "JD0001" },
    { aggregateId: shipmentId, causedBy: paymentCaptured },
  );
  const shipmentDelivered = createEvent("ShipmentDelivered", { shipmentId, orderId, customerId }, { aggregateId: shipmentId, causedBy: shipmentDispatched });
  return { stockReserved, stockRejected, paymentCaptured, paymentFailed, shipmentDispatched, shipmentDelivered };
}

describe("the order saga", () => {
  it("walks the happy path: placed, stock reserved, paid, shipped, delivered, one OrderStatusChanged per step in the saga's correlation", async () => {
    const me = customer();
    const order = await place(me);
    const placed = await placedEventOf(order.id);
    expect(placed.payload).toMatchObject({ orderId: order.id, customerId: me.userId, cartId: null, totalCents: order.total.amount, currency: "USD", paymentToken: "tok_visa" });
    const saga = sagaEvents(placed);

    const steps: [AnyEventEnvelope, string][] = [
      [saga.stockReserved, "AWAITING_PAYMENT"],
      [saga.paymentCaptured, "PAID"],
      [saga.shipmentDispatched, "SHIPPED"],
      [saga.shipmentDelivered, "DELIVERED"],
    ];
    for (const [event, status] of steps) {
      expect(await deliver(event)).toBe("handled");
      expect((await read(order.id)).status, event.type).toBe(status);
    }

    const final = await read(order.id);
    expect(final.statusHistory).toEqual([
      { from: null, to: "PENDING", reason: "placed" },
      { from: "PENDING", to: "AWAITING_PAYMENT", reason: "stock reserved" },
      { from: "AWAITING_PAYMENT", to: "PAID", reason: "payment captured" },
      { from: "PAID", to: "SHIPPED", reason: "shipped with DHL, tracking number JD0001" },
      { from: "SHIPPED", to: "DELIVERED", reason: "delivered" },
    ]);
    expect(final.cancelReason).toBeNull();

    const emitted = await outboxOf(order.id);
    // Payment is requested with the move to AWAITING_PAYMENT, right after the change that announces it.
    expect(emitted.map((e) => e.type)).toEqual(["OrderPlaced", "OrderStatusChanged", "OrderStatusChanged", "PaymentRequested", ...Array(3).fill("OrderStatusChanged")]);
    const changes = emitted.filter((e) => e.type === "OrderStatusChanged");
    // One per transition, matching the history, every one in the flow OrderPlaced started and caused by the event it reacts to.
    expect(changes.map((e) => e.payload)).toEqual(final.statusHistory.map(({ from, to, reason }) => ({ orderId: order.id, customerId: me.userId, from, to, reason })));
    for (const change of changes) expect(change).toMatchObject({ source: "orders", aggregateId: order.id, correlationId: placed.correlationId });
    expect(changes.map((e) => e.causationId)).toEqual([placed.id, ...steps.map(([cause]) => cause.id)]);
  });

  it("cancels on StockRejected, naming the short product, and emits OrderCancelled", async () => {
    const me = customer();
    const order = await place(me);
    const placed = await placedEventOf(order.id);
    const { stockRejected } = sagaEvents(placed);
    expect(await deliver(stockRejected)).toBe("handled");

    const reason = `insufficient stock: ${product(0).name} (requested 2, available 0)`;
    const after = await read(order.id);
    expect(after).toMatchObject({ status: "CANCELLED", cancelReason: reason });
    expect(after.statusHistory.at(-1)).toEqual({ from: "PENDING", to: "CANCELLED", reason });

    const [, , changed, cancelled, ...more] = await outboxOf(order.id);
    expect(more).toEqual([]);
    expect(changed).toMatchObject({ type: "OrderStatusChanged", correlationId: placed.id, causationId: stockRejected.id, payload: { from: "PENDING", to: "CANCELLED", reason } });
    expect(cancelled).toMatchObject({
      type: "OrderCancelled",
      aggregateId: order.id,
      correlationId: placed.id,
      causationId: stockRejected.id,
      payload: { orderId: order.id, customerId: me.userId, reason, previousStatus: "PENDING" },
    });
  });

  it("cancels on PaymentFailed with the processor's reason and emits OrderCancelled for the stock to be released", async () => {
    const me = customer();
    const order = await place(me);
    const placed = await placedEventOf(order.id);
    const { stockReserved, paymentFailed } = sagaEvents(placed);
    await deliver(stockReserved);
    expect(await deliver(paymentFailed)).toBe("handled");

    const after = await read(order.id);
    expect(after).toMatchObject({ status: "CANCELLED", cancelReason: "payment failed: card declined" });
    expect(after.statusHistory.map((c) => c.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    const cancelled = (await outboxOf(order.id)).filter((e) => e.type === "OrderCancelled");
    expect(cancelled).toEqual([
      expect.objectContaining({
        correlationId: placed.id,
        causationId: paymentFailed.id,
        payload: { orderId: order.id, customerId: me.userId, reason: "payment failed: card declined", previousStatus: "AWAITING_PAYMENT" },
      }),
    ]);
  });

  it("leaves an order the customer cancelled while the charge was in flight CANCELLED when PaymentCaptured arrives", async () => {
    const me = customer();
    const order = await place(me);
    const placed = await placedEventOf(order.id);
    const { stockReserved, paymentCaptured } = sagaEvents(placed);
    await deliver(stockReserved);
    const cancel = await subgraph.execute<{ cancelOrder: OrderData }>(CANCEL, { orderId: order.id }, { identity: me });
    expect(cancel.errors).toBeUndefined();
    const before = await outboxOf(order.id);
    // The customer's cancel is the compensation trigger: payments refunds on it.
    expect(before.at(-1)).toMatchObject({ type: "OrderCancelled", correlationId: placed.id, payload: { previousStatus: "AWAITING_PAYMENT", reason: "cancelled by the customer" } });

    const debug = vi.spyOn(deps.logger, "debug");
    try {
      expect(await deliver(paymentCaptured)).toBe("handled");
      expect(debug).toHaveBeenCalledWith(expect.objectContaining({ orderId: order.id, status: "CANCELLED", to: "PAID" }), expect.any(String));
    } finally {
      debug.mockRestore();
    }
    const after = await read(order.id);
    expect(after).toMatchObject({ status: "CANCELLED", cancelReason: "cancelled by the customer" });
    expect(after.statusHistory.map((c) => c.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    expect(await outboxOf(order.id)).toEqual(before);
  });

  it("has no second effect when each event is delivered twice", async () => {
    const order = await place(customer());
    const placed = await placedEventOf(order.id);
    const saga = sagaEvents(placed);
    for (const event of [saga.stockReserved, saga.paymentCaptured, saga.shipmentDispatched, saga.shipmentDelivered]) {
      expect(await deliver(event)).toBe("handled");
      const [history, outbox] = [(await read(order.id)).statusHistory, await outboxOf(order.id)];
      expect(await deliver(event), event.type).toBe("duplicate");
      expect((await read(order.id)).statusHistory).toEqual(history);
      expect(await outboxOf(order.id)).toEqual(outbox);
    }
    expect((await read(order.id)).status).toBe("DELIVERED");
    expect(await prisma.inboxEvent.count({ where: { consumer: CONSUMER, eventId: { in: [saga.stockReserved.id, saga.shipmentDelivered.id] } } })).toBe(2);

    // The same fact re-sent under a new event id gets past the inbox; the status guard still makes it a no-op.
    const resent = createEvent("StockReserved", saga.stockReserved.payload, { aggregateId: order.id, causedBy: placed });
    const outbox = await outboxOf(order.id);
    expect(await deliver(resent)).toBe("handled");
    expect((await read(order.id)).statusHistory).toHaveLength(5);
    expect(await outboxOf(order.id)).toEqual(outbox);
  });

  it("cancels on StockRejected only once even when delivered twice", async () => {
    const order = await place(customer());
    const { stockRejected } = sagaEvents(await placedEventOf(order.id));
    expect(await deliver(stockRejected)).toBe("handled");
    expect(await deliver(stockRejected)).toBe("duplicate");
    expect((await outboxOf(order.id)).filter((e) => e.type === "OrderCancelled")).toHaveLength(1);
    expect((await read(order.id)).statusHistory).toHaveLength(2);
  });

  it("ignores late, re-ordered and irrelevant events without throwing", async () => {
    const order = await place(customer());
    const placed = await placedEventOf(order.id);
    const saga = sagaEvents(placed);
    const outbox = await outboxOf(order.id);
    // Steps that do not follow from PENDING: each acknowledged, none applied.
    for (const event of [saga.paymentCaptured, saga.paymentFailed, saga.shipmentDispatched, saga.shipmentDelivered]) {
      expect(await deliver(event), event.type).toBe("handled");
    }
    expect(await read(order.id)).toMatchObject({ status: "PENDING", statusHistory: [{ from: null, to: "PENDING", reason: "placed" }] });
    expect(await outboxOf(order.id)).toEqual(outbox);

    // A delivered order cannot be cancelled by a stock rejection that arrives after everything else.
    const delivered = demoOrders.find((o) => o.status === "DELIVERED")!;
    const lateRejection = createEvent("StockRejected", { orderId: delivered.id, shortages: [{ productId: product(0).id, requested: 1, available: 0 }] }, { aggregateId: delivered.id });
    expect(await deliver(lateRejection)).toBe("handled");
    expect((await read(delivered.id)).status).toBe("DELIVERED");

    // Events for an order this service never saw.
    const outboxBefore = await prisma.outboxEvent.count();
    const unknown = sagaEvents({ ...placed, payload: { ...placed.payload, orderId: UNKNOWN_ID } });
    for (const event of Object.values(unknown)) expect(await deliver(event), event.type).toBe("handled");
    expect(await prisma.order.count({ where: { id: UNKNOWN_ID } })).toBe(0);
    expect(await prisma.outboxEvent.count()).toBe(outboxBefore);
  });
});

describe("payment requests", () => {
  it("requests payment with the order's terms in the transaction that moves it to AWAITING_PAYMENT", async () => {
    const me = customer();
    const order = await place(me);
    const placed = await placedEventOf(order.id);
    const { stockReserved } = sagaEvents(placed);
    expect(await deliver(stockReserved)).toBe("handled");

    const requested = (await outboxOf(order.id)).filter((e) => e.type === "PaymentRequested");
    expect(requested).toEqual([
      expect.objectContaining({
        source: "orders",
        version: 1,
        aggregateId: order.id,
        correlationId: placed.correlationId,
        causationId: stockReserved.id,
        payload: { orderId: order.id, customerId: me.userId, amountCents: order.total.amount, currency: "USD", paymentToken: "tok_visa" },
      }),
    ]);
  });

  it("requests nothing when the move to AWAITING_PAYMENT rolls back", async () => {
    const order = await place(customer());
    const { stockReserved } = sagaEvents(await placedEventOf(order.id));
    const before = await outboxOf(order.id);
    const crash = handleOnce(prisma, CONSUMER, stockReserved, async (tx) => {
      await handleStockReserved(stockReserved, tx, deps);
      throw new Error("crash before commit");
    });
    await expect(crash).rejects.toThrow("crash before commit");
    expect((await read(order.id)).status).toBe("PENDING");
    expect(await outboxOf(order.id)).toEqual(before);

    // The redelivery makes the move, and the request with it.
    expect(await deliver(stockReserved)).toBe("handled");
    expect((await outboxOf(order.id)).filter((e) => e.type === "PaymentRequested")).toHaveLength(1);
  });

  it("never requests payment for an order cancelled while its stock was being reserved", async () => {
    const me = customer();
    const order = await place(me);
    const { stockReserved } = sagaEvents(await placedEventOf(order.id));
    const cancel = await subgraph.execute<{ cancelOrder: OrderData }>(CANCEL, { orderId: order.id }, { identity: me });
    expect(cancel.errors).toBeUndefined();
    const before = await outboxOf(order.id);
    expect(before.map((e) => e.type)).toEqual(["OrderPlaced", "OrderStatusChanged", "OrderStatusChanged", "OrderCancelled"]);

    // Inventory reserved the stock before it saw the cancel: the order stays CANCELLED and nobody is asked to charge it.
    expect(await deliver(stockReserved)).toBe("handled");
    expect(await read(order.id)).toMatchObject({ status: "CANCELLED", cancelReason: "cancelled by the customer" });
    expect(await outboxOf(order.id)).toEqual(before);
  });

  it("requests payment once, however often the stock is reported reserved", async () => {
    const order = await place(customer());
    const placed = await placedEventOf(order.id);
    const { stockReserved } = sagaEvents(placed);
    expect(await deliver(stockReserved)).toBe("handled");
    expect(await deliver(stockReserved)).toBe("duplicate");
    // The same fact under a new event id gets past the inbox, not past the order's status.
    expect(await deliver(createEvent("StockReserved", stockReserved.payload, { aggregateId: order.id, causedBy: placed }))).toBe("handled");
    expect((await outboxOf(order.id)).filter((e) => e.type === "PaymentRequested")).toHaveLength(1);
  });
});

describe("catalog prices", () => {
  it("makes a product created in the catalog orderable, and prices the next order from a price change", async () => {
    const productId = randomUUID();
    const me = customer();
    const lines = [{ productId, quantity: 3 }];
    const before = await subgraph.execute(PLACE, { input: { lines, paymentToken: "tok_visa" } }, { identity: me });
    expect(errorCodes(before)).toEqual(["NOT_FOUND"]);

    const created = createEvent("ProductCreated", { productId, sku: "TST-0001", name: "Test Kettle", categoryId: randomUUID(), priceCents: 2500, currency: "USD" }, { aggregateId: productId });
    expect(await deliver(created)).toBe("handled");
    const first = await place(me, lines);
    expect(first.total).toEqual({ amount: 7500, currency: "USD" });
    expect(first.lines).toEqual([{ productName: "Test Kettle", unitPrice: { amount: 2500 }, quantity: 3 }]);

    const changed = createEvent(
      "ProductPriceChanged",
      { productId, name: "Test Kettle 2", priceCents: 1999, currency: "USD", previousPriceCents: 2500, previousCurrency: "USD" },
      { aggregateId: productId, causedBy: created },
    );
    expect(await deliver(changed)).toBe("handled");
    expect(await deliver(changed)).toBe("duplicate");
    const second = await place(me, lines);
    expect(second.total).toEqual({ amount: 3 * 1999, currency: "USD" });
    expect(second.lines).toEqual([{ productName: "Test Kettle 2", unitPrice: { amount: 1999 }, quantity: 3 }]);
    expect((await placedEventOf(second.id)).payload.lines).toEqual([{ productId, quantity: 3, unitPriceCents: 1999 }]);
    // An order already placed keeps the price it was placed at.
    expect((await read(first.id)).total.amount).toBe(7500);
  });

  it("updates a seeded price, and never lets an older event overwrite a newer price", async () => {
    const p = product(7);
    const priceChange = (name: string, priceCents: number, occurredAt: string) => ({
      ...createEvent("ProductPriceChanged", { productId: p.id, name, priceCents, currency: "USD", previousPriceCents: p.priceCents, previousCurrency: "USD" }, { aggregateId: p.id }),
      occurredAt,
    });
    const newer = priceChange(`${p.name} v2`, p.priceCents + 100, "2026-06-01T00:00:00.000Z");
    const older = priceChange(`${p.name} v1`, p.priceCents + 50, "2026-05-01T00:00:00.000Z");
    const replayedCreate = {
      ...createEvent("ProductCreated", { productId: p.id, sku: "TST-REPLAY", name: p.name, categoryId: randomUUID(), priceCents: p.priceCents, currency: "USD" }, { aggregateId: p.id }),
      occurredAt: "2026-01-01T00:00:00.000Z",
    };
    try {
      expect(await deliver(newer)).toBe("handled");
      expect(await prisma.productPrice.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ name: `${p.name} v2`, priceCents: p.priceCents + 100 });
      expect(await deliver(older)).toBe("handled");
      expect(await deliver(replayedCreate)).toBe("handled");
      expect(await prisma.productPrice.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ name: `${p.name} v2`, priceCents: p.priceCents + 100 });
    } finally {
      await prisma.productPrice.update({ where: { productId: p.id }, data: { name: p.name, priceCents: p.priceCents, priceAsOf: null } });
    }
  });
});

describe("the orders-saga consumer", () => {
  it("consumes every saga and catalog event as orders-saga, through the bus, once per event", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const live = ordersService.build({ prisma, bus, logger: silentLogger });
    const consumers = await live.subscribe();
    try {
      expect(consumers.map((c) => c.name)).toEqual([CONSUMER]);
      const order = await place(customer());
      const saga = sagaEvents(await placedEventOf(order.id));
      await bus.publish(saga.stockReserved);
      expect((await read(order.id)).status).toBe("AWAITING_PAYMENT");
      await bus.publish(saga.paymentCaptured);
      expect((await read(order.id)).status).toBe("PAID");
      expect(await prisma.inboxEvent.findMany({ where: { eventId: { in: [saga.stockReserved.id, saga.paymentCaptured.id] } }, select: { consumer: true, type: true }, orderBy: { type: "desc" } })).toEqual([
        { consumer: CONSUMER, type: "StockReserved" },
        { consumer: CONSUMER, type: "PaymentCaptured" },
      ]);
      // Events orders does not consume never reach it; a malformed one is dead-lettered, not thrown.
      await bus.publish(createEvent("UserRegistered", { userId: randomUUID(), email: "x@example.com", name: "X" }, { aggregateId: randomUUID() }));
      await bus.publish({ ...saga.shipmentDispatched, payload: { orderId: "nope" } } as never);
      expect(bus.deadLetters).toEqual([expect.objectContaining({ consumer: CONSUMER, type: "ShipmentDispatched" })]);
      expect((await read(order.id)).status).toBe("PAID");
    } finally {
      await live.events.stop();
      await bus.close();
    }
  });
});
