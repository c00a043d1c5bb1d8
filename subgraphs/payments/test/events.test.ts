import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createEvent,
  createInProcessBus,
  eventCatalogue,
  handleOnce,
  type AnyEventEnvelope,
  type EventEnvelope,
  type EventType,
  type InboxOutcome,
} from "@store/events";
import { silentLogger } from "@store/kit";
import { createTestDatabase, type TestDatabase } from "@store/testing";
import { handleOrderCancelled } from "../src/handlers/OrderCancelled.ts";
import { handleOrderPlaced } from "../src/handlers/OrderPlaced.ts";
import { chargeRequestedPayment, handlePaymentRequested, type PaymentRequestedDeps } from "../src/handlers/PaymentRequested.ts";
import { createCardProcessor, TEST_TOKENS, type CardProcessor, type ChargeRequest, type ChargeResult } from "../src/processor.ts";
import { paymentsService } from "../src/service.ts";
import type { Db, Events, Tx } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const CONSUMER = "payments-saga";
let db: TestDatabase;
let prisma: Db;
let events: Events;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "payments_events" });
  prisma = paymentsService.createPrisma({ url: db.url });
  // Never started: what handlers emit stays in the outbox for the tests to read.
  events = paymentsService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger, resources: { processor: createCardProcessor() } }).events;
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

/** Wraps a processor to record the charges it is asked for and what it answered. */
function spy(inner: CardProcessor = createCardProcessor()) {
  const calls: ChargeRequest[] = [];
  const results: ChargeResult[] = [];
  return {
    calls,
    results,
    async charge(request: ChargeRequest) {
      calls.push(request);
      const result = await inner.charge(request);
      results.push(result);
      return result;
    },
  };
}

function depsWith(processor: CardProcessor): PaymentRequestedDeps {
  return { prisma, processor, events, logger: silentLogger, chargeOptions: { sleep: async () => {} } };
}

function orderPlaced(overrides: { paymentToken?: string; totalCents?: number; currency?: string } = {}) {
  const orderId = randomUUID();
  return createEvent(
    "OrderPlaced",
    {
      orderId,
      customerId: randomUUID(),
      cartId: null,
      lines: [{ productId: randomUUID(), quantity: 2, unitPriceCents: 1250 }],
      totalCents: overrides.totalCents ?? 2500,
      currency: overrides.currency ?? "USD",
      paymentToken: overrides.paymentToken ?? TEST_TOKENS.visa,
    },
    { aggregateId: orderId },
  );
}

/** Orders' request to charge the order, as it writes it when the order awaits payment: the terms OrderPlaced announced. */
const paymentRequested = (placed: EventEnvelope<"OrderPlaced">) => {
  const { orderId, customerId, totalCents, currency, paymentToken } = placed.payload;
  return createEvent("PaymentRequested", { orderId, customerId, amountCents: totalCents, currency, paymentToken }, { aggregateId: orderId, causedBy: placed });
};

const stockReserved = (placed: EventEnvelope<"OrderPlaced">) =>
  createEvent("StockReserved", { orderId: placed.payload.orderId, lines: placed.payload.lines.map(({ productId, quantity }) => ({ productId, quantity })) }, { aggregateId: placed.payload.orderId, causedBy: placed });

const orderCancelled = (placed: EventEnvelope<"OrderPlaced">, cause: EventEnvelope = placed, reason = "cancelled by customer") =>
  createEvent("OrderCancelled", { orderId: placed.payload.orderId, customerId: placed.payload.customerId, reason, previousStatus: "AWAITING_PAYMENT" }, { aggregateId: placed.payload.orderId, causedBy: cause });

/**
 * One delivery, as the "payments-saga" consumer makes it: PaymentRequested's
 * charge first, outside any transaction, then the handler in the inbox
 * transaction. `afterHandler` runs inside that transaction after the handler
 * (a throw there is a crash before commit).
 */
async function deliver(event: AnyEventEnvelope, deps: PaymentRequestedDeps, afterHandler?: () => Promise<void>): Promise<InboxOutcome> {
  const run = async (tx: Tx) => {
    switch (event.type) {
      case "OrderPlaced":
        await handleOrderPlaced(event, tx, deps);
        break;
      case "PaymentRequested":
        await handlePaymentRequested(event, tx, deps);
        break;
      case "OrderCancelled":
        await handleOrderCancelled(event, tx, deps);
        break;
      default:
        throw new Error(`payments does not consume ${event.type}`);
    }
    await afterHandler?.();
  };
  if (event.type === "PaymentRequested") await chargeRequestedPayment(event, deps);
  return handleOnce(prisma, CONSUMER, event, run);
}

/** The outbox rows about one order, oldest first. */
async function outboxFor(orderId: string): Promise<EventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ orderBy: { position: "asc" } });
  return rows.map((row) => row.envelope as unknown as EventEnvelope).filter((event) => event.aggregateId === orderId);
}

const typesOf = (list: EventEnvelope[]) => list.map((e) => e.type);
const inboxed = (event: AnyEventEnvelope) => prisma.inboxEvent.count({ where: { consumer: CONSUMER, eventId: event.id } });

function expectValid<T extends EventType>(event: EventEnvelope | undefined, type: T, cause: EventEnvelope): asserts event is EventEnvelope<T> {
  expect(event).toMatchObject({ type, source: "payments", version: 1, correlationId: cause.correlationId, causationId: cause.id });
  expect(eventCatalogue[type].payload.safeParse(event!.payload).success).toBe(true);
}

describe("OrderPlaced", () => {
  it("records what to charge, charges nothing and emits nothing", async () => {
    const placed = orderPlaced({ totalCents: 7999, currency: "EUR", paymentToken: TEST_TOKENS.flaky });
    const processor = spy();
    expect(await deliver(placed, depsWith(processor))).toBe("handled");
    expect(await prisma.paymentIntent.findUnique({ where: { orderId: placed.payload.orderId } })).toMatchObject({
      customerId: placed.payload.customerId,
      amountCents: 7999,
      currency: "EUR",
      paymentToken: TEST_TOKENS.flaky,
      cancelled: false,
    });
    expect(processor.calls).toHaveLength(0);
    expect(await prisma.payment.count({ where: { orderId: placed.payload.orderId } })).toBe(0);
    expect(await outboxFor(placed.payload.orderId)).toEqual([]);
  });

  it("is a duplicate the second time, and a re-sent OrderPlaced for the same order changes nothing", async () => {
    const placed = orderPlaced();
    const deps = depsWith(spy());
    await deliver(placed, deps);
    await deliver(orderCancelled(placed), deps);
    const before = await prisma.paymentIntent.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });
    expect(await deliver(placed, deps)).toBe("duplicate");
    const resent = createEvent("OrderPlaced", { ...placed.payload, totalCents: 1, paymentToken: TEST_TOKENS.declined }, { aggregateId: placed.payload.orderId });
    expect(await deliver(resent, deps)).toBe("handled");
    // Still the first amount, and still cancelled: a late copy cannot revive an order.
    expect(await prisma.paymentIntent.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toEqual(before);
    expect(before.cancelled).toBe(true);
  });
});

describe("PaymentRequested", () => {
  it("charges tok_visa and writes one PaymentCaptured carrying the order's correlation id", async () => {
    const placed = orderPlaced({ totalCents: 4250 });
    const requested = paymentRequested(placed);
    const processor = spy();
    const deps = depsWith(processor);
    await deliver(placed, deps);
    expect(await deliver(requested, deps)).toBe("handled");

    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });
    expect(payment).toMatchObject({ status: "CAPTURED", attempts: 1, amountCents: 4250, currency: "USD", customerId: placed.payload.customerId, paymentToken: TEST_TOKENS.visa });
    expect(processor.calls).toEqual([{ paymentId: payment.id, token: TEST_TOKENS.visa, amountCents: 4250, currency: "USD" }]);

    const announced = await outboxFor(placed.payload.orderId);
    expect(typesOf(announced)).toEqual(["PaymentCaptured"]);
    const [captured] = announced;
    expectValid(captured, "PaymentCaptured", requested);
    expect(captured.correlationId).toBe(placed.correlationId);
    expect(captured.aggregateId).toBe(placed.payload.orderId);
    expect(captured.payload).toEqual({ orderId: placed.payload.orderId, paymentId: payment.id, customerId: placed.payload.customerId, amountCents: 4250, currency: "USD" });
  });

  it("fails tok_declined and writes one PaymentFailed with the processor's reason", async () => {
    const placed = orderPlaced({ paymentToken: TEST_TOKENS.declined });
    const requested = paymentRequested(placed);
    const deps = depsWith(spy());
    await deliver(placed, deps);
    await deliver(requested, deps);

    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });
    expect(payment).toMatchObject({ status: "FAILED", failureReason: "card_declined", attempts: 1 });
    const announced = await outboxFor(placed.payload.orderId);
    expect(typesOf(announced)).toEqual(["PaymentFailed"]);
    const [failed] = announced;
    expectValid(failed, "PaymentFailed", requested);
    expect(failed.payload).toEqual({ orderId: placed.payload.orderId, paymentId: payment.id, customerId: placed.payload.customerId, reason: "card_declined" });
  });

  it("retries tok_flaky and captures it on the second attempt, announcing it once", async () => {
    const placed = orderPlaced({ paymentToken: TEST_TOKENS.flaky });
    const processor = spy();
    const deps = depsWith(processor);
    await deliver(placed, deps);
    await deliver(paymentRequested(placed), deps);
    expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ status: "CAPTURED", attempts: 2 });
    expect(processor.calls).toHaveLength(2);
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured"]);
  });

  it("charges once and announces once when the same event is delivered twice", async () => {
    const placed = orderPlaced();
    const requested = paymentRequested(placed);
    const processor = spy();
    const deps = depsWith(processor);
    await deliver(placed, deps);
    expect(await deliver(requested, deps)).toBe("handled");
    expect(await deliver(requested, deps)).toBe("duplicate");
    expect(processor.calls).toHaveLength(1);
    expect(await prisma.payment.count({ where: { orderId: placed.payload.orderId } })).toBe(1);
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured"]);
  });

  it("after a crash between the processor's capture and recording it, the redelivery captures once with the same payment id", async () => {
    const placed = orderPlaced();
    const requested = paymentRequested(placed);
    const inner = spy();
    let lose = true;
    // The processor captures, but the answer never arrives (the process dies, or the socket does).
    const lossy: CardProcessor = {
      async charge(request) {
        const result = await inner.charge(request);
        if (lose) {
          lose = false;
          throw new Error("socket hang up");
        }
        return result;
      },
    };
    const deps = depsWith(lossy);
    await deliver(placed, deps);
    await expect(deliver(requested, deps)).rejects.toThrow("socket hang up");
    expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ status: "PENDING", attempts: 0 });
    expect(await inboxed(requested)).toBe(0);
    expect(await outboxFor(placed.payload.orderId)).toEqual([]);

    expect(await deliver(requested, deps)).toBe("handled");
    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });
    expect(payment).toMatchObject({ status: "CAPTURED", attempts: 1 });
    // Asked twice, for one payment id, and answered with one capture reference: one charge.
    expect(new Set(inner.calls.map((c) => c.paymentId))).toEqual(new Set([payment.id]));
    expect(new Set(inner.results.map((r) => (r.ok ? r.reference : r.reason))).size).toBe(1);
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured"]);
  });

  it("after a crash between the recorded charge and the inbox commit, the redelivery announces the same outcome without charging", async () => {
    for (const [token, outcome] of [[TEST_TOKENS.visa, "PaymentCaptured"], [TEST_TOKENS.declined, "PaymentFailed"]] as const) {
      const placed = orderPlaced({ paymentToken: token });
      const requested = paymentRequested(placed);
      const processor = spy();
      const deps = depsWith(processor);
      await deliver(placed, deps);
      await expect(deliver(requested, deps, async () => Promise.reject(new Error("crash before commit")))).rejects.toThrow("crash before commit");
      // The event written by the handler was rolled back with the inbox row.
      expect(await inboxed(requested)).toBe(0);
      expect(await outboxFor(placed.payload.orderId)).toEqual([]);
      const settled = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });

      expect(await deliver(requested, deps)).toBe("handled");
      expect(processor.calls).toHaveLength(1);
      expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toEqual(settled);
      expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual([outcome]);
    }
  });

  it("never charges a cancelled intent, even for a request that reaches it after the cancel", async () => {
    const placed = orderPlaced();
    const requested = paymentRequested(placed);
    const processor = spy();
    const deps = depsWith(processor);
    await deliver(placed, deps);
    expect(await deliver(orderCancelled(placed), deps)).toBe("handled");
    // Orders never writes a request after a cancel; a bus that re-ordered them still charges nothing.
    expect(await deliver(requested, deps)).toBe("handled");
    expect(processor.calls).toHaveLength(0);
    expect(await prisma.payment.count({ where: { orderId: placed.payload.orderId } })).toBe(0);
    expect(await prisma.paymentIntent.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ cancelled: true });
    expect(await outboxFor(placed.payload.orderId)).toEqual([]);
  });

  it("refunds a charge that landed while the order was being cancelled, announcing only the refund", async () => {
    const placed = orderPlaced({ totalCents: 999 });
    const requested = paymentRequested(placed);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const charging = new Promise<void>((resolve) => (entered = resolve));
    const inner = createCardProcessor();
    // Holds the capture until the cancellation has committed (another instance, in production).
    const slow: CardProcessor = {
      async charge(request) {
        entered();
        await gate;
        return inner.charge(request);
      },
    };
    const deps = depsWith(slow);
    await deliver(placed, deps);
    const charge = deliver(requested, deps);
    await charging;
    const cancel = orderCancelled(placed);
    expect(await deliver(cancel, deps)).toBe("handled");
    // Nothing was captured yet, so the cancellation had nothing to refund.
    expect(await outboxFor(placed.payload.orderId)).toEqual([]);
    release();
    expect(await charge).toBe("handled");

    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId }, include: { refunds: true } });
    expect(payment).toMatchObject({ status: "REFUNDED", refunds: [expect.objectContaining({ amountCents: 999, reason: "order cancelled" })] });
    const announced = await outboxFor(placed.payload.orderId);
    expect(typesOf(announced)).toEqual(["PaymentRefunded"]);
    expectValid(announced[0], "PaymentRefunded", requested);
  });

  it("charges a request on its own terms when payments never handled the order's OrderPlaced", async () => {
    const placed = orderPlaced({ totalCents: 1234, currency: "EUR" });
    const requested = paymentRequested(placed);
    const processor = spy();
    expect(await deliver(requested, depsWith(processor))).toBe("handled");
    expect(await prisma.paymentIntent.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({
      customerId: placed.payload.customerId,
      amountCents: 1234,
      currency: "EUR",
      paymentToken: TEST_TOKENS.visa,
      cancelled: false,
    });
    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } });
    expect(processor.calls).toEqual([{ paymentId: payment.id, token: TEST_TOKENS.visa, amountCents: 1234, currency: "EUR" }]);
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured"]);
    // The OrderPlaced arriving late changes nothing: the intent that exists stands.
    expect(await deliver(placed, depsWith(processor))).toBe("handled");
    expect(processor.calls).toHaveLength(1);
  });

  it("fails a charge that can never be made (a blank token) at once, without calling the processor", async () => {
    const placed = orderPlaced({ paymentToken: "   " });
    const requested = paymentRequested(placed);
    const processor = spy();
    const deps = depsWith(processor);
    await deliver(placed, deps);
    expect(await deliver(requested, deps)).toBe("handled");
    expect(processor.calls).toHaveLength(0);
    expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ status: "FAILED", failureReason: "invalid_charge_request", attempts: 0 });
    const announced = await outboxFor(placed.payload.orderId);
    expect(typesOf(announced)).toEqual(["PaymentFailed"]);
    expect(announced[0]!.payload).toMatchObject({ reason: "invalid_charge_request" });
  });

  it("retries (throws, leaving no inbox row) when the charge step has not settled the payment", async () => {
    const placed = orderPlaced();
    const requested = paymentRequested(placed);
    const deps = depsWith(spy());
    await deliver(placed, deps);
    await prisma.payment.create({ data: { orderId: placed.payload.orderId, customerId: placed.payload.customerId, amountCents: 2500, currency: "USD", paymentToken: TEST_TOKENS.visa, status: "PENDING" } });
    await expect(handleOnce(prisma, CONSUMER, requested, (tx) => handlePaymentRequested(requested, tx, deps))).rejects.toThrow("not settled");
    expect(await inboxed(requested)).toBe(0);
    expect(await deliver(requested, deps)).toBe("handled");
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured"]);
  });
});

describe("OrderCancelled", () => {
  it("refunds a captured payment and writes PaymentRefunded with the cancellation's correlation id, once", async () => {
    const placed = orderPlaced({ totalCents: 3100, currency: "EUR" });
    const requested = paymentRequested(placed);
    const deps = depsWith(spy());
    await deliver(placed, deps);
    await deliver(requested, deps);
    const cancel = orderCancelled(placed, requested, "  changed my mind  ");
    expect(await deliver(cancel, deps)).toBe("handled");

    const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId }, include: { refunds: true } });
    expect(payment).toMatchObject({ status: "REFUNDED", refunds: [expect.objectContaining({ amountCents: 3100, reason: "changed my mind" })] });
    expect(await prisma.paymentIntent.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ cancelled: true });

    const announced = await outboxFor(placed.payload.orderId);
    expect(typesOf(announced)).toEqual(["PaymentCaptured", "PaymentRefunded"]);
    const refunded = announced[1];
    expectValid(refunded, "PaymentRefunded", cancel);
    expect(refunded.correlationId).toBe(placed.correlationId);
    expect(refunded.payload).toEqual({ orderId: placed.payload.orderId, paymentId: payment.id, customerId: placed.payload.customerId, amountCents: 3100, currency: "EUR", reason: "changed my mind" });

    // Redelivered, and cancelled again under a new event id: no second refund, no second event.
    expect(await deliver(cancel, deps)).toBe("duplicate");
    expect(await deliver(orderCancelled(placed, requested), deps)).toBe("handled");
    expect(await prisma.refund.count({ where: { paymentId: payment.id } })).toBe(1);
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured", "PaymentRefunded"]);
  });

  it("refunds nothing for a failed payment, and announces nothing", async () => {
    const placed = orderPlaced({ paymentToken: TEST_TOKENS.declined });
    const deps = depsWith(spy());
    await deliver(placed, deps);
    await deliver(paymentRequested(placed), deps);
    await deliver(orderCancelled(placed), deps);
    expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ status: "FAILED" });
    expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentFailed"]);
  });

  it("is a no-op for an unknown order", async () => {
    const cancel = orderCancelled(orderPlaced());
    expect(await deliver(cancel, depsWith(spy()))).toBe("handled");
    expect(await prisma.paymentIntent.count({ where: { orderId: cancel.payload.orderId } })).toBe(0);
    expect(await outboxFor(cancel.payload.orderId)).toEqual([]);
  });

  it("accepts a blank or oversized reason, refunding with a reason a Refund row can hold", async () => {
    for (const [reason, expected] of [["", "order cancelled"], ["r".repeat(600), "r".repeat(500)]] as const) {
      const placed = orderPlaced();
      const deps = depsWith(spy());
      await deliver(placed, deps);
      await deliver(paymentRequested(placed), deps);
      expect(await deliver(orderCancelled(placed, placed, reason), deps)).toBe("handled");
      const refunded = (await outboxFor(placed.payload.orderId))[1];
      expect(refunded).toMatchObject({ type: "PaymentRefunded", payload: { reason: expected } });
    }
  });
});

describe("payments-saga consumer", () => {
  it("runs the charge before the inbox transaction, through the real subscription", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const processor = spy();
    const { events: runtime, subscribe } = paymentsService.build({ prisma, bus, logger: silentLogger, resources: { processor } });
    const consumers = await subscribe();
    try {
      expect(consumers.map((c) => c.name)).toEqual([CONSUMER]);
      const placed = orderPlaced({ paymentToken: TEST_TOKENS.flaky });
      const requested = paymentRequested(placed);
      // The in-process bus resolves publish once every consumer has handled the event.
      await bus.publish(placed);
      await bus.publish(requested);
      expect(bus.deadLetters).toEqual([]);
      expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId } })).toMatchObject({ status: "CAPTURED", attempts: 2 });
      expect(processor.calls).toHaveLength(2);
      const announced = await outboxFor(placed.payload.orderId);
      expect(typesOf(announced)).toEqual(["PaymentCaptured"]);
      expect(announced[0]!.correlationId).toBe(placed.correlationId);
      expect(await inboxed(placed)).toBe(1);
      expect(await inboxed(requested)).toBe(1);
    } finally {
      await runtime.stop();
      await bus.close();
    }
  });

  it("charges on orders' PaymentRequested, never on inventory's StockReserved, and refunds on the cancel that follows the request", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const processor = spy();
    const { events: runtime, subscribe } = paymentsService.build({ prisma, bus, logger: silentLogger, resources: { processor } });
    await subscribe();
    try {
      const placed = orderPlaced({ totalCents: 4200 });
      const reserved = stockReserved(placed);
      await bus.publish(placed);
      await bus.publish(reserved);
      // Reserved stock alone is no request to charge: payments does not even consume it.
      expect(processor.calls).toHaveLength(0);
      expect(await inboxed(reserved)).toBe(0);
      expect(await prisma.payment.count({ where: { orderId: placed.payload.orderId } })).toBe(0);

      // Orders' outbox order: the request, then the customer's cancel.
      const requested = paymentRequested(placed);
      await bus.publish(requested);
      await bus.publish(orderCancelled(placed, requested));
      expect(bus.deadLetters).toEqual([]);
      expect(processor.calls).toHaveLength(1);
      expect(await prisma.payment.findUniqueOrThrow({ where: { orderId: placed.payload.orderId }, include: { refunds: true } })).toMatchObject({
        status: "REFUNDED",
        refunds: [expect.objectContaining({ amountCents: 4200 })],
      });
      expect(typesOf(await outboxFor(placed.payload.orderId))).toEqual(["PaymentCaptured", "PaymentRefunded"]);
    } finally {
      await runtime.stop();
      await bus.close();
    }
  });
});
