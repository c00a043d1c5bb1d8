import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Registry } from "prom-client";
import { createEvent, createInProcessBus, handleOnce, type AnyEventEnvelope, type EventEnvelope } from "@store/events";
import { silentLogger } from "@store/kit";
import { admin, createTestDatabase, eventually, type TestDatabase } from "@store/testing";
import { handlePaymentCaptured } from "../src/handlers/PaymentCaptured.ts";
import { shippingService } from "../src/service.ts";
import { CARRIER, TRACKING_NUMBER_PATTERN } from "../src/shipments.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const CONSUMER = "shipping-saga";
let db: TestDatabase;
let prisma: Db;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "shipping_handlers" });
  prisma = shippingService.createPrisma({ url: db.url });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const deps = { logger: silentLogger };

const paymentCaptured = (payload: Partial<EventEnvelope<"PaymentCaptured">["payload"]> = {}): EventEnvelope<"PaymentCaptured"> => {
  const orderId = payload.orderId ?? randomUUID();
  // A cause upstream, as in the saga: the shipment must keep the flow's correlation id, not this event's id.
  const placed = { id: randomUUID(), correlationId: randomUUID() };
  return createEvent(
    "PaymentCaptured",
    { orderId, paymentId: randomUUID(), customerId: randomUUID(), amountCents: 4_999, currency: "USD", ...payload },
    { aggregateId: orderId, causedBy: placed },
  );
};

const deliver = (event: EventEnvelope<"PaymentCaptured">, handlerDeps = deps) =>
  handleOnce(prisma, CONSUMER, event, (tx) => handlePaymentCaptured(event, tx, handlerDeps));

const rowCounts = async () => ({
  shipments: await prisma.shipment.count(),
  history: await prisma.shipmentEvent.count(),
  outbox: await prisma.outboxEvent.count(),
  inbox: await prisma.inboxEvent.count(),
});

describe("PaymentCaptured", () => {
  it("opens the order's PENDING shipment for the paying customer, keeping the flow's correlation id", async () => {
    const event = paymentCaptured();
    const before = await rowCounts();
    expect(await deliver(event)).toBe("handled");

    const shipment = await prisma.shipment.findUniqueOrThrow({ where: { orderId: event.payload.orderId }, include: { events: true } });
    expect(shipment).toMatchObject({
      customerId: event.payload.customerId,
      status: "PENDING",
      carrier: CARRIER,
      dispatchedAt: null,
      deliveredAt: null,
      correlationId: event.correlationId,
    });
    expect(shipment.trackingNumber).toMatch(TRACKING_NUMBER_PATTERN);
    expect(shipment.events.map((e) => e.status)).toEqual(["PENDING"]);
    // Opening a shipment is not an event of its own: the order moves on at dispatch.
    expect(await rowCounts()).toEqual({ ...before, shipments: before.shipments + 1, history: before.history + 1, inbox: before.inbox + 1 });
    expect(await prisma.inboxEvent.findUnique({ where: { consumer_eventId: { consumer: CONSUMER, eventId: event.id } } })).toMatchObject({ type: "PaymentCaptured" });
  });

  it("has no second effect when the same event is delivered again", async () => {
    const event = paymentCaptured();
    expect(await deliver(event)).toBe("handled");
    const shipment = await prisma.shipment.findUniqueOrThrow({ where: { orderId: event.payload.orderId } });
    const before = await rowCounts();
    expect(await deliver(event)).toBe("duplicate");
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.shipment.findUnique({ where: { orderId: event.payload.orderId } })).toEqual(shipment);
  });

  it("opens one shipment when two PaymentCaptured events name the same order", async () => {
    const first = paymentCaptured();
    const second = paymentCaptured({ orderId: first.payload.orderId, customerId: first.payload.customerId });
    expect(await deliver(first)).toBe("handled");
    const shipment = await prisma.shipment.findUniqueOrThrow({ where: { orderId: first.payload.orderId } });
    const before = await rowCounts();
    // A different event id gets past the inbox; the domain operation itself is idempotent.
    expect(await deliver(second)).toBe("handled");
    expect(await rowCounts()).toEqual({ ...before, inbox: before.inbox + 1 });
    expect(await prisma.shipment.findMany({ where: { orderId: first.payload.orderId } })).toEqual([shipment]);
  });

  it("acknowledges, without effect, a payment for an order already shipping to someone else", async () => {
    const first = paymentCaptured();
    await deliver(first);
    const shipment = await prisma.shipment.findUniqueOrThrow({ where: { orderId: first.payload.orderId } });
    const logger = silentLogger.child({});
    const logged = vi.spyOn(logger, "error");
    const before = await rowCounts();

    const corrupt = paymentCaptured({ orderId: first.payload.orderId });
    // Retrying cannot make the customers agree: handled (logged), not thrown into redelivery.
    await expect(deliver(corrupt, { logger })).resolves.toBe("handled");
    expect(logged).toHaveBeenCalledTimes(1);
    expect(await rowCounts()).toEqual({ ...before, inbox: before.inbox + 1 });
    expect(await prisma.shipment.findUnique({ where: { orderId: first.payload.orderId } })).toEqual(shipment);
  });

  it("leaves nothing behind when the transaction fails after the handler, so a redelivery opens the shipment", async () => {
    const event = paymentCaptured();
    const before = await rowCounts();
    await expect(
      handleOnce(prisma, CONSUMER, event, async (tx) => {
        await handlePaymentCaptured(event, tx, deps);
        throw new Error("crashed before commit");
      }),
    ).rejects.toThrow("crashed before commit");
    expect(await rowCounts()).toEqual(before);

    expect(await deliver(event)).toBe("handled");
    expect(await prisma.shipment.count({ where: { orderId: event.payload.orderId } })).toBe(1);
  });

  it("arrives through the bus on the shipping-saga consumer", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const { events, subscribe } = shippingService.build({ prisma, bus, logger: silentLogger });
    expect((await subscribe()).map((c) => c.name)).toEqual([CONSUMER]);
    try {
      const event = paymentCaptured();
      // Resolves once every consumer has handled the event.
      await bus.publish(event);
      expect(bus.deadLetters).toEqual([]);
      expect(await prisma.shipment.findUnique({ where: { orderId: event.payload.orderId } })).toMatchObject({ customerId: event.payload.customerId, status: "PENDING" });
      expect(await prisma.inboxEvent.count({ where: { consumer: CONSUMER, eventId: event.id } })).toBe(1);
      // Events of no interest to shipping are not even delivered to it.
      const unrelated = createEvent("PaymentFailed", { orderId: randomUUID(), paymentId: randomUUID(), customerId: randomUUID(), reason: "declined" }, { aggregateId: randomUUID() });
      await bus.publish(unrelated);
      expect(await prisma.inboxEvent.count({ where: { eventId: unrelated.id } })).toBe(0);
    } finally {
      await events.stop();
      await bus.close();
    }
  });
});

describe("shipping service", () => {
  it("opens a shipment from the bus and, once started, publishes its dispatch through the relay", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const published: AnyEventEnvelope[] = [];
    // Stands in for the orders saga.
    const orders = await bus.consume({ name: "test-orders", types: ["ShipmentDispatched"], handler: async (event) => void published.push(event) });
    const registry = new Registry();
    const instance = await shippingService.create({
      config: { PORT: 0, HOST: "127.0.0.1", DATABASE_URL: db.url, DATABASE_POOL_SIZE: 2, LOG_LEVEL: "silent", ROUTER_SIGNING_SECRET: "x".repeat(32) },
      env: {},
      logger: silentLogger,
      bus,
      registry,
    });
    try {
      instance.start();
      const payment = paymentCaptured();
      await bus.publish(payment);
      const shipment = await prisma.shipment.findUniqueOrThrow({ where: { orderId: payment.payload.orderId } });

      const result = await instance.subgraph.execute(`mutation($id: ID!) { advanceShipment(shipmentId: $id) { status } }`, { id: shipment.id }, { identity: admin() });
      expect(result).toEqual({ data: { advanceShipment: { status: "DISPATCHED" } } });
      await eventually(() => published.length === 1, { what: "ShipmentDispatched to be published" });
      expect(published[0]).toMatchObject({
        type: "ShipmentDispatched",
        source: "shipping",
        aggregateId: payment.payload.orderId,
        correlationId: payment.correlationId,
        payload: { shipmentId: shipment.id, orderId: shipment.orderId, customerId: payment.payload.customerId, carrier: CARRIER, trackingNumber: shipment.trackingNumber },
      });
      // The relay marks the row once the bus took the event: the consumer may see it first.
      await eventually(async () => (await prisma.outboxEvent.findUnique({ where: { id: published[0]!.id } }))?.publishedAt instanceof Date, { what: "the outbox row to be marked published" });
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/events_consumed_total\{consumer="shipping-saga",type="PaymentCaptured",outcome="handled"\} 1/);
      expect(metrics).toMatch(/events_published_total\{type="ShipmentDispatched"\} 1/);
    } finally {
      await instance.subgraph.stop();
      await instance.dispose();
      await orders.stop();
      await bus.close();
    }
  });
});
