import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoOrders, demoOrderTotalCents } from "@store/demo-data";
import { createInProcessBus, eventCatalogue, type EventEnvelope } from "@store/events";
import { silentLogger, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { chargeOrder, MAX_CHARGE_ATTEMPTS, refundPayment, type ChargeOrderInput } from "../src/payments.ts";
import { createCardProcessor, TEST_TOKENS, type CardProcessor, type ChargeRequest } from "../src/processor.ts";
import { seedPayments } from "../src/seed.ts";
import { paymentsService } from "../src/service.ts";
import type { Db, Events } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;
let events: Events;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "payments" });
  prisma = paymentsService.createPrisma({ url: db.url });
  await seedPayments(prisma);
  // Its relay never started: what mutations emit stays in the outbox for the tests to read.
  ({ subgraph, events } = paymentsService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger, resources: { processor: createCardProcessor() } }));
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const demo = demoOrders[0]!;
const demoOwner = customer(demo.customerId);

/** Records the back-off delays instead of waiting them out. */
function instantSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

/** Wraps a processor to count the charges it is asked for. */
function spy(inner: CardProcessor) {
  const calls: ChargeRequest[] = [];
  return { calls, charge: (request: ChargeRequest) => (calls.push(request), inner.charge(request)) };
}

const newCharge = (overrides: Partial<ChargeOrderInput> = {}): ChargeOrderInput => ({
  orderId: randomUUID(),
  customerId: randomUUID(),
  amountCents: 4250,
  currency: "USD",
  paymentToken: TEST_TOKENS.visa,
  ...overrides,
});

/** Everything a write could touch, to prove a rejected call wrote nothing. */
async function dbState() {
  const [payments, refunds, outbox] = await Promise.all([
    prisma.payment.findMany({ orderBy: { id: "asc" }, select: { id: true, status: true, attempts: true, failureReason: true, updatedAt: true } }),
    prisma.refund.findMany({ orderBy: { id: "asc" } }),
    prisma.outboxEvent.findMany({ orderBy: { position: "asc" }, select: { id: true } }),
  ]);
  return { payments, refunds, outbox };
}

/** The outbox rows about one order, oldest first. */
async function outboxFor(orderId: string): Promise<EventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ orderBy: { position: "asc" } });
  return rows.map((row) => row.envelope as unknown as EventEnvelope).filter((event) => event.aggregateId === orderId);
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return (error as { extensions?: { code?: unknown } }).extensions?.code;
  }
  throw new Error("expected a rejection");
}

describe("chargeOrder", () => {
  it("captures tok_visa on the first attempt", async () => {
    const input = newCharge();
    const { delays, sleep } = instantSleep();
    const payment = await chargeOrder(prisma, createCardProcessor(), input, { sleep });
    expect(payment).toMatchObject({ orderId: input.orderId, customerId: input.customerId, amountCents: 4250, currency: "USD", status: "CAPTURED", attempts: 1, failureReason: null, paymentToken: TEST_TOKENS.visa });
    expect(delays).toEqual([]);
    expect(await prisma.payment.findUnique({ where: { orderId: input.orderId } })).toEqual(payment);
  });

  it("retries tok_flaky after a short back-off and ends CAPTURED with attempts = 2", async () => {
    const { delays, sleep } = instantSleep();
    const processor = spy(createCardProcessor());
    const payment = await chargeOrder(prisma, processor, newCharge({ paymentToken: TEST_TOKENS.flaky }), { sleep });
    expect(payment).toMatchObject({ status: "CAPTURED", attempts: 2, failureReason: null });
    expect(processor.calls).toHaveLength(2);
    expect(delays).toEqual([100]);
  });

  it("fails tok_declined at once, without retrying", async () => {
    const { delays, sleep } = instantSleep();
    const processor = spy(createCardProcessor());
    const payment = await chargeOrder(prisma, processor, newCharge({ paymentToken: TEST_TOKENS.declined }), { sleep });
    expect(payment).toMatchObject({ status: "FAILED", attempts: 1, failureReason: "card_declined" });
    expect(processor.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("fails an unknown token as unknown_token", async () => {
    const payment = await chargeOrder(prisma, createCardProcessor(), newCharge({ paymentToken: "tok_amex" }), instantSleep());
    expect(payment).toMatchObject({ status: "FAILED", attempts: 1, failureReason: "unknown_token" });
  });

  it("gives up after three retryable failures, backing off between them", async () => {
    const down = spy({ charge: async () => ({ ok: false, retryable: true, reason: "processor_unavailable" }) });
    const { delays, sleep } = instantSleep();
    const payment = await chargeOrder(prisma, down, newCharge(), { sleep, backoffMs: (attempts) => attempts * 7 });
    expect(payment).toMatchObject({ status: "FAILED", attempts: MAX_CHARGE_ATTEMPTS, failureReason: "processor_unavailable" });
    expect(down.calls).toHaveLength(3);
    expect(delays).toEqual([7, 14]);
  });

  it("charges the payment row it created first, so the processor sees one payment id per order", async () => {
    const processor = spy(createCardProcessor());
    const payment = await chargeOrder(prisma, processor, newCharge({ paymentToken: TEST_TOKENS.flaky }), instantSleep());
    expect(new Set(processor.calls.map((c) => c.paymentId))).toEqual(new Set([payment.id]));
  });

  it("returns a settled payment again without charging, whether CAPTURED, FAILED or REFUNDED", async () => {
    const processor = createCardProcessor();
    for (const token of [TEST_TOKENS.visa, TEST_TOKENS.declined]) {
      const input = newCharge({ paymentToken: token });
      const first = await chargeOrder(prisma, processor, input, instantSleep());
      const again = spy(processor);
      expect(await chargeOrder(prisma, again, input, instantSleep())).toEqual(first);
      expect(again.calls).toHaveLength(0);
    }
    const input = newCharge();
    await chargeOrder(prisma, processor, input, instantSleep());
    const refunded = await refundPayment(prisma, events, input.orderId, "customer changed their mind");
    const again = spy(processor);
    expect(await chargeOrder(prisma, again, input, instantSleep())).toEqual(refunded);
    expect(again.calls).toHaveLength(0);
  });

  it("leaves a payment PENDING when the processor call itself blows up, and the next call finishes it", async () => {
    const input = newCharge();
    const broken: CardProcessor = { charge: async () => Promise.reject(new Error("socket hang up")) };
    await expect(chargeOrder(prisma, broken, input, instantSleep())).rejects.toThrow("socket hang up");
    expect(await prisma.payment.findUnique({ where: { orderId: input.orderId } })).toMatchObject({ status: "PENDING", attempts: 0 });

    const resumed = await chargeOrder(prisma, createCardProcessor(), input, instantSleep());
    expect(resumed).toMatchObject({ status: "CAPTURED", attempts: 1 });
    expect(await prisma.payment.count({ where: { orderId: input.orderId } })).toBe(1);
  });

  it("resumes a PENDING payment from its recorded attempts, with its stored token", async () => {
    const input = newCharge({ paymentToken: TEST_TOKENS.visa });
    await prisma.payment.create({ data: { ...input, paymentToken: TEST_TOKENS.declined, status: "PENDING", attempts: 1 } });
    const payment = await chargeOrder(prisma, createCardProcessor(), input, instantSleep());
    expect(payment).toMatchObject({ status: "FAILED", attempts: 2, failureReason: "card_declined" });
  });

  it("makes one payment when the same order is charged concurrently", async () => {
    const input = newCharge({ paymentToken: TEST_TOKENS.flaky });
    const processor = createCardProcessor();
    const results = await Promise.all(Array.from({ length: 5 }, () => chargeOrder(prisma, processor, input, instantSleep())));
    expect(new Set(results.map((p) => p.id)).size).toBe(1);
    expect(results.every((p) => p.status === "CAPTURED")).toBe(true);
    expect(await prisma.payment.count({ where: { orderId: input.orderId } })).toBe(1);
  });

  it("refuses to reuse an order for a different charge (CONFLICT), writing nothing", async () => {
    const input = newCharge();
    await chargeOrder(prisma, createCardProcessor(), input, instantSleep());
    const before = await dbState();
    const processor = spy(createCardProcessor());
    expect(await codeOf(chargeOrder(prisma, processor, { ...input, amountCents: 1 }, instantSleep()))).toBe("CONFLICT");
    expect(await codeOf(chargeOrder(prisma, processor, { ...input, customerId: randomUUID() }, instantSleep()))).toBe("CONFLICT");
    expect(processor.calls).toHaveLength(0);
    expect(await dbState()).toEqual(before);
  });

  it("rejects malformed input with BAD_USER_INPUT, writing nothing and charging nothing", async () => {
    const before = await dbState();
    const processor = spy(createCardProcessor());
    for (const bad of [{ orderId: "order-1" }, { customerId: "42" }, { amountCents: -1 }, { amountCents: 10.5 }, { currency: "usd" }, { paymentToken: "  " }, { paymentToken: "t".repeat(201) }]) {
      expect(await codeOf(chargeOrder(prisma, processor, newCharge(bad), instantSleep()))).toBe("BAD_USER_INPUT");
    }
    expect(processor.calls).toHaveLength(0);
    expect(await dbState()).toEqual(before);
  });
});

describe("refundPayment", () => {
  const captured = async (overrides: Partial<ChargeOrderInput> = {}) => chargeOrder(prisma, createCardProcessor(), newCharge(overrides), instantSleep());

  it("refunds a captured payment in full, once, however often it is asked", async () => {
    const payment = await captured();
    const refunded = await refundPayment(prisma, events, payment.orderId, "  damaged in transit  ");
    expect(refunded).toMatchObject({ id: payment.id, status: "REFUNDED" });
    const refunds = await prisma.refund.findMany({ where: { paymentId: payment.id } });
    expect(refunds).toEqual([expect.objectContaining({ amountCents: payment.amountCents, reason: "damaged in transit" })]);

    expect(await refundPayment(prisma, events, payment.orderId, "again")).toEqual(refunded);
    expect(await prisma.refund.count({ where: { paymentId: payment.id } })).toBe(1);
    // Announced once, by the call that refunded; an admin's refund starts a flow of its own.
    const announced = await outboxFor(payment.orderId);
    expect(announced.map((e) => e.type)).toEqual(["PaymentRefunded"]);
    expect(announced[0]!.correlationId).toBe(announced[0]!.id);
  });

  it("makes exactly one refund, and one PaymentRefunded, when asked concurrently", async () => {
    const payment = await captured();
    const results = await Promise.all(Array.from({ length: 5 }, () => refundPayment(prisma, events, payment.orderId, "duplicate order")));
    expect(results.every((p) => p?.status === "REFUNDED")).toBe(true);
    expect(await prisma.refund.count({ where: { paymentId: payment.id } })).toBe(1);
    expect((await outboxFor(payment.orderId)).map((e) => e.type)).toEqual(["PaymentRefunded"]);
  });

  it("returns null with nothing written for a failed, a pending, a zero or a missing payment", async () => {
    const failed = await captured({ paymentToken: TEST_TOKENS.declined });
    const pending = await prisma.payment.create({ data: { ...newCharge(), status: "PENDING" } });
    const free = await captured({ amountCents: 0 });
    const before = await dbState();
    for (const orderId of [failed.orderId, pending.orderId, free.orderId, UNKNOWN]) {
      expect(await refundPayment(prisma, events, orderId, "nothing to give back")).toBeNull();
    }
    expect(await dbState()).toEqual(before);
  });

  it("rejects a malformed order id, an empty reason and an oversized one, writing nothing", async () => {
    const payment = await captured();
    const before = await dbState();
    expect(await codeOf(refundPayment(prisma, events, "nope", "reason"))).toBe("BAD_USER_INPUT");
    expect(await codeOf(refundPayment(prisma, events, payment.orderId, " "))).toBe("BAD_USER_INPUT");
    expect(await codeOf(refundPayment(prisma, events, payment.orderId, "r".repeat(501)))).toBe("BAD_USER_INPUT");
    expect(await dbState()).toEqual(before);
  });

  it("rolls the status change back when the refund row cannot be written", async () => {
    const payment = await captured();
    // Makes the second write of the transaction fail, after the status change has been sent.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_refund() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refund refused'; END $$`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_refund BEFORE INSERT ON "Refund" FOR EACH ROW EXECUTE FUNCTION refuse_refund()`);
    try {
      const before = await dbState();
      await expect(refundPayment(prisma, events, payment.orderId, "will not stick")).rejects.toThrow();
      expect(await dbState()).toEqual(before);
      expect(await outboxFor(payment.orderId)).toEqual([]);
      expect((await prisma.payment.findUniqueOrThrow({ where: { id: payment.id } })).status).toBe("CAPTURED");
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_refund ON "Refund"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_refund()`);
    }
  });
});

const PAYMENT = /* GraphQL */ `
  query Payment($id: ID!) {
    payment(id: $id) {
      id status failureReason attempts createdAt updatedAt
      amount { amount currency }
      refunds { id amount { amount currency } reason createdAt }
      order { id payment { id } }
    }
  }
`;

type PaymentData = {
  payment: {
    id: string;
    status: string;
    failureReason: string | null;
    attempts: number;
    createdAt: string;
    amount: { amount: number; currency: string };
    refunds: { amount: { amount: number }; reason: string }[];
    order: { id: string; payment: { id: string } | null };
  } | null;
};

describe("payment query", () => {
  it("shows a demo payment to its customer", async () => {
    const result = await subgraph.execute<PaymentData>(PAYMENT, { id: demo.paymentId }, { identity: demoOwner });
    expect(result.errors).toBeUndefined();
    expect(result.data!.payment).toMatchObject({
      id: demo.paymentId,
      status: "CAPTURED",
      failureReason: null,
      attempts: 1,
      createdAt: demo.placedAt,
      amount: { amount: demoOrderTotalCents(demo), currency: "USD" },
      refunds: [],
      order: { id: demo.id, payment: { id: demo.paymentId } },
    });
  });

  it("shows any payment to an admin, and a failed payment's reason", async () => {
    const failed = await chargeOrder(prisma, createCardProcessor(), newCharge({ paymentToken: TEST_TOKENS.declined }), instantSleep());
    const result = await subgraph.execute<PaymentData>(PAYMENT, { id: failed.id }, { identity: admin() });
    expect(result.data!.payment).toMatchObject({ status: "FAILED", failureReason: "card_declined", attempts: 1 });
  });

  it("answers null for someone else's payment and an unknown id, UNAUTHENTICATED for anonymous, BAD_USER_INPUT for a malformed id", async () => {
    const other = await subgraph.execute<PaymentData>(PAYMENT, { id: demo.paymentId }, { identity: customer() });
    expect(other.errors).toBeUndefined();
    expect(other.data!.payment).toBeNull();
    const unknown = await subgraph.execute<PaymentData>(PAYMENT, { id: UNKNOWN }, { identity: admin() });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.payment).toBeNull();
    expect(errorCodes(await subgraph.execute(PAYMENT, { id: demo.paymentId }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(PAYMENT, { id: "payment-1" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

const ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Order { id payment { id status amount { amount } } }
      ... on Payment { id status amount { amount currency } }
    }
  }
`;

type EntitiesData = { _entities: ({ id: string; status?: string; payment?: { id: string; status: string } | null } | null)[] };

describe("Order entity", () => {
  const orderRef = (id: string) => ({ __typename: "Order", id });

  it("gives an order's payment to its customer and to an admin", async () => {
    for (const identity of [demoOwner, admin()]) {
      const result = await subgraph.execute<EntitiesData>(ENTITIES, { representations: [orderRef(demo.id)] }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([{ id: demo.id, payment: { id: demo.paymentId, status: "CAPTURED", amount: { amount: demoOrderTotalCents(demo) } } }]);
    }
  });

  it("gives null for someone else's order, for anonymous callers, and for an order not charged yet", async () => {
    const representations = [orderRef(demo.id), orderRef(UNKNOWN), orderRef("not-a-uuid")];
    for (const identity of [customer(), null]) {
      const result = await subgraph.execute<EntitiesData>(ENTITIES, { representations }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([
        { id: demo.id, payment: null },
        { id: UNKNOWN, payment: null },
        { id: "not-a-uuid", payment: null },
      ]);
    }
    const byAdmin = await subgraph.execute<EntitiesData>(ENTITIES, { representations: representations.slice(1) }, { identity: admin() });
    expect(byAdmin.errors).toBeUndefined();
    expect(byAdmin.data!._entities).toEqual([{ id: UNKNOWN, payment: null }, { id: "not-a-uuid", payment: null }]);
  });
});

describe("Payment entity", () => {
  const paymentRef = (id: string) => ({ __typename: "Payment", id });

  it("resolves for the owner and admins, and is null for others, anonymous callers and unknown ids", async () => {
    const representations = [paymentRef(demo.paymentId), paymentRef(UNKNOWN), paymentRef("not-a-uuid")];
    const expectations: [ReturnType<typeof customer> | null, boolean][] = [[demoOwner, true], [admin(), true], [customer(), false], [null, false]];
    for (const [identity, visible] of expectations) {
      const result = await subgraph.execute<EntitiesData>(ENTITIES, { representations }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([visible ? { id: demo.paymentId, status: "CAPTURED", amount: { amount: demoOrderTotalCents(demo), currency: "USD" } } : null, null, null]);
    }
  });
});

const REFUND = /* GraphQL */ `
  mutation Refund($orderId: ID!, $reason: String!) {
    refundOrderPayment(orderId: $orderId, reason: $reason) {
      id status
      refunds { amount { amount currency } reason }
    }
  }
`;

type RefundData = { refundOrderPayment: { id: string; status: string; refunds: { amount: { amount: number; currency: string }; reason: string }[] } };

describe("refundOrderPayment", () => {
  it("lets an admin refund a captured payment in full", async () => {
    const payment = await chargeOrder(prisma, createCardProcessor(), newCharge({ amountCents: 8999, currency: "EUR" }), instantSleep());
    const result = await subgraph.execute<RefundData>(REFUND, { orderId: payment.orderId, reason: "Arrived broken" }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!.refundOrderPayment).toEqual({ id: payment.id, status: "REFUNDED", refunds: [{ amount: { amount: 8999, currency: "EUR" }, reason: "Arrived broken" }] });
    expect(await prisma.refund.count({ where: { paymentId: payment.id } })).toBe(1);

    const owner = await subgraph.execute<PaymentData>(PAYMENT, { id: payment.id }, { identity: customer(payment.customerId) });
    expect(owner.data!.payment).toMatchObject({ status: "REFUNDED", refunds: [{ amount: { amount: 8999 }, reason: "Arrived broken" }] });
  });

  it("writes exactly one PaymentRefunded to the outbox, matching the catalogue", async () => {
    const payment = await chargeOrder(prisma, createCardProcessor(), newCharge({ amountCents: 1250 }), instantSleep());
    const result = await subgraph.execute<RefundData>(REFUND, { orderId: payment.orderId, reason: "  Wrong size  " }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    const announced = await outboxFor(payment.orderId);
    expect(announced).toHaveLength(1);
    const [event] = announced;
    expect(event).toMatchObject({ type: "PaymentRefunded", source: "payments", version: 1, aggregateId: payment.orderId });
    expect(event!.payload).toEqual({
      orderId: payment.orderId,
      paymentId: payment.id,
      customerId: payment.customerId,
      amountCents: 1250,
      currency: "USD",
      reason: "Wrong size",
    });
    expect(eventCatalogue.PaymentRefunded.payload.safeParse(event!.payload).success).toBe(true);
    const row = await prisma.outboxEvent.findUniqueOrThrow({ where: { id: event!.id } });
    expect(row).toMatchObject({ type: "PaymentRefunded", publishedAt: null });
  });

  it("rejects bad requests with a stable code, writing nothing", async () => {
    const processor = createCardProcessor();
    const capturedPayment = await chargeOrder(prisma, processor, newCharge(), instantSleep());
    const failed = await chargeOrder(prisma, processor, newCharge({ paymentToken: TEST_TOKENS.declined }), instantSleep());
    const refunded = await chargeOrder(prisma, processor, newCharge(), instantSleep());
    await refundPayment(prisma, events, refunded.orderId, "already done");
    const before = await dbState();

    const cases: [Record<string, unknown>, ReturnType<typeof admin> | null, string][] = [
      [{ orderId: capturedPayment.orderId, reason: "mine" }, customer(capturedPayment.customerId), "FORBIDDEN"],
      [{ orderId: capturedPayment.orderId, reason: "anonymous" }, null, "UNAUTHENTICATED"],
      [{ orderId: UNKNOWN, reason: "no such order" }, admin(), "NOT_FOUND"],
      [{ orderId: failed.orderId, reason: "never captured" }, admin(), "INVALID_STATE"],
      [{ orderId: refunded.orderId, reason: "twice" }, admin(), "INVALID_STATE"],
      [{ orderId: "order-42", reason: "malformed id" }, admin(), "BAD_USER_INPUT"],
      [{ orderId: capturedPayment.orderId, reason: "" }, admin(), "BAD_USER_INPUT"],
      [{ orderId: capturedPayment.orderId, reason: "   " }, admin(), "BAD_USER_INPUT"],
      [{ orderId: capturedPayment.orderId, reason: "x".repeat(501) }, admin(), "BAD_USER_INPUT"],
    ];
    for (const [variables, identity, code] of cases) {
      const result = await subgraph.execute<RefundData>(REFUND, variables, { identity });
      expect(errorCodes(result), JSON.stringify(variables)).toEqual([code]);
      expect(result.data ?? null).toBeNull();
    }
    expect(await dbState()).toEqual(before);
  });

  it("accepts a reason of exactly 500 characters", async () => {
    const payment = await chargeOrder(prisma, createCardProcessor(), newCharge(), instantSleep());
    const result = await subgraph.execute<RefundData>(REFUND, { orderId: payment.orderId, reason: "y".repeat(500) }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!.refundOrderPayment.status).toBe("REFUNDED");
  });
});

describe("_entities batching", () => {
  it("resolves 50 orders' payments and 50 payments with one SQL query each", async () => {
    const owner = randomUUID();
    const payments = await Promise.all(
      Array.from({ length: 50 }, () => chargeOrder(prisma, createCardProcessor(), newCharge({ customerId: owner }), instantSleep())),
    );
    const counter = countQueries(prisma);

    const orders = await subgraph.execute<EntitiesData>(ENTITIES, { representations: payments.map((p) => ({ __typename: "Order", id: p.orderId })) }, { identity: customer(owner) });
    expect(orders.errors).toBeUndefined();
    expect(orders.data!._entities.map((o) => o?.payment?.id)).toEqual(payments.map((p) => p.id));
    expect(orders.data!._entities.every((o) => o?.payment?.status === "CAPTURED")).toBe(true);
    expect(counter.count).toBe(1);

    counter.reset();
    const byId = await subgraph.execute<EntitiesData>(ENTITIES, { representations: payments.map((p) => ({ __typename: "Payment", id: p.id })) }, { identity: admin() });
    expect(byId.errors).toBeUndefined();
    expect(byId.data!._entities.map((p) => p?.id)).toEqual(payments.map((p) => p.id));
    expect(counter.count).toBe(1);
  });

  it("loads the refunds of many payments with one more query", async () => {
    const payments = await Promise.all(Array.from({ length: 10 }, () => chargeOrder(prisma, createCardProcessor(), newCharge(), instantSleep())));
    for (const p of payments.slice(0, 5)) await refundPayment(prisma, events, p.orderId, "batch");
    const counter = countQueries(prisma);
    const result = await subgraph.execute<{ _entities: { refunds: { reason: string }[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { refunds { reason } } } }`,
      { r: payments.map((p) => ({ __typename: "Payment", id: p.id })) },
      { identity: admin() },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((p) => p.refunds.length)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(counter.count).toBe(2);
  });
});

describe("seed", () => {
  it("has one captured tok_visa payment per demo order, and seeding again changes nothing", async () => {
    const before = await prisma.payment.findMany({ where: { id: { in: demoOrders.map((o) => o.paymentId) } }, orderBy: { id: "asc" } });
    await seedPayments(prisma);
    const after = await prisma.payment.findMany({ where: { id: { in: demoOrders.map((o) => o.paymentId) } }, orderBy: { id: "asc" } });
    expect(after).toEqual(before);
    expect(after).toHaveLength(demoOrders.length);
    for (const order of demoOrders) {
      expect(after.find((p) => p.id === order.paymentId)).toMatchObject({
        orderId: order.id,
        customerId: order.customerId,
        amountCents: demoOrderTotalCents(order),
        currency: "USD",
        status: "CAPTURED",
        paymentToken: TEST_TOKENS.visa,
        attempts: 1,
      });
    }
  });
});

describe("database constraints", () => {
  it("refuses negative amounts, a FAILED payment without a reason and an empty refund", async () => {
    await expect(prisma.payment.create({ data: { ...newCharge(), amountCents: -1 } })).rejects.toThrow();
    await expect(prisma.payment.create({ data: { ...newCharge(), status: "FAILED" } })).rejects.toThrow();
    await expect(prisma.refund.create({ data: { paymentId: demo.paymentId, amountCents: 0, reason: "nothing" } })).rejects.toThrow();
    expect(await prisma.refund.count({ where: { paymentId: demo.paymentId } })).toBe(0);
  });
});
