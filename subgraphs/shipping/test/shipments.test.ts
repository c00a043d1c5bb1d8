import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GraphQLError } from "graphql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createInProcessBus, type AnyEventEnvelope } from "@store/events";
import { silentLogger } from "@store/kit";
import { createTestDatabase, eventually, type TestDatabase } from "@store/testing";
import { shippingService } from "../src/service.ts";
import { CARRIER, TRACKING_NUMBER_PATTERN, advanceShipment as advance, createShipmentForOrder, generateTrackingNumber, type CreateShipmentInput } from "../src/shipments.ts";
import type { Db, Events } from "../src/types.ts";

// randomInt stays the real one unless a test scripts it: how a tracking number collision is staged.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, randomInt: vi.fn(actual.randomInt) };
});
const { randomInt } = await import("node:crypto");

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let events: Events;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "shipping_domain" });
  prisma = shippingService.createPrisma({ url: db.url });
  // Never started: emitted events stay in the outbox for the assertions.
  events = shippingService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }).events;
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

/** The stable code of a domain error, for terse assertions. */
async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphQLError) return error.extensions.code;
    throw error;
  }
  throw new Error("expected the call to fail");
}

const rowCounts = async () => ({ shipments: await prisma.shipment.count(), events: await prisma.shipmentEvent.count(), outbox: await prisma.outboxEvent.count() });

/** createShipmentForOrder runs in its caller's transaction (in production, the inbox's); here each call gets its own. */
const createShipment = (input: CreateShipmentInput) => prisma.$transaction((tx) => createShipmentForOrder(tx, input));

const advanceShipment = (shipmentId: string) => advance(prisma, events, shipmentId);

/** The shipment's outbox rows, oldest first. */
const outboxOf = async (shipmentId: string) =>
  (await prisma.outboxEvent.findMany({ where: { envelope: { path: ["payload", "shipmentId"], equals: shipmentId } }, orderBy: { position: "asc" } })).map(
    (row) => row.envelope as unknown as AnyEventEnvelope,
  );

const newShipment = () => createShipment({ orderId: randomUUID(), customerId: randomUUID() });

describe("generateTrackingNumber", () => {
  it("draws PN and 12 upper-case alphanumerics, without repeats", () => {
    const drawn = Array.from({ length: 2000 }, generateTrackingNumber);
    for (const number of drawn) expect(number).toMatch(TRACKING_NUMBER_PATTERN);
    expect(new Set(drawn).size).toBe(drawn.length);
    // Every position varies over the whole alphabet, not a fixed subset.
    expect(new Set(drawn.flatMap((n) => [...n.slice(2)])).size).toBe(36);
  });
});

describe("createShipmentForOrder", () => {
  it("creates a PENDING Parcelnet shipment with a PENDING history event", async () => {
    const orderId = randomUUID();
    const customerId = randomUUID();
    const shipment = await createShipment({ orderId, customerId });
    expect(shipment).toMatchObject({ orderId, customerId, status: "PENDING", carrier: CARRIER, dispatchedAt: null, deliveredAt: null });
    expect(shipment.trackingNumber).toMatch(TRACKING_NUMBER_PATTERN);
    const events = await prisma.shipmentEvent.findMany({ where: { shipmentId: shipment.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "PENDING", at: shipment.createdAt });
    expect(events[0]!.note).toContain(CARRIER);
  });

  it("is idempotent per order: a second call returns the same shipment and writes nothing", async () => {
    const input = { orderId: randomUUID(), customerId: randomUUID() };
    const first = await createShipment(input);
    const before = await rowCounts();
    const second = await createShipment(input);
    expect(second).toEqual(first);
    expect(await rowCounts()).toEqual(before);
  });

  it("creates one shipment when the same order arrives several times at once", async () => {
    const input = { orderId: randomUUID(), customerId: randomUUID() };
    const results = await Promise.all(Array.from({ length: 5 }, () => createShipment(input)));
    expect(new Set(results.map((s) => s.id)).size).toBe(1);
    expect(await prisma.shipment.count({ where: { orderId: input.orderId } })).toBe(1);
    expect(await prisma.shipmentEvent.count({ where: { shipmentId: results[0]!.id } })).toBe(1);
  });

  it("draws another tracking number when the first is taken, in the same transaction", async () => {
    const taken = await newShipment();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    vi.mocked(randomInt).mockClear();
    // The first 12 draws spell the taken number; the rest are random again.
    for (const char of taken.trackingNumber.slice(2)) vi.mocked(randomInt).mockImplementationOnce(() => alphabet.indexOf(char));
    const input = { orderId: randomUUID(), customerId: randomUUID() };
    const shipment = await createShipment(input);
    expect(shipment).toMatchObject({ ...input, status: "PENDING" });
    expect(shipment.trackingNumber).toMatch(TRACKING_NUMBER_PATTERN);
    expect(shipment.trackingNumber).not.toBe(taken.trackingNumber);
    // Two full draws: the collision was met and survived, not side-stepped.
    expect(vi.mocked(randomInt)).toHaveBeenCalledTimes(24);
    expect(await prisma.shipmentEvent.count({ where: { shipmentId: shipment.id } })).toBe(1);
    expect(await prisma.shipment.findUnique({ where: { id: taken.id } })).toEqual(taken);
  });

  it("refuses an order that already has a shipment for another customer, writing nothing", async () => {
    const existing = await newShipment();
    const before = await rowCounts();
    expect(await codeOf(createShipment({ orderId: existing.orderId, customerId: randomUUID() }))).toBe("CONFLICT");
    expect(await rowCounts()).toEqual(before);
  });

  it("rejects malformed ids with BAD_USER_INPUT, writing nothing", async () => {
    const before = await rowCounts();
    expect(await codeOf(createShipment({ orderId: "order-1", customerId: randomUUID() }))).toBe("BAD_USER_INPUT");
    expect(await codeOf(createShipment({ orderId: randomUUID(), customerId: "" }))).toBe("BAD_USER_INPUT");
    expect(await rowCounts()).toEqual(before);
  });
});

describe("advanceShipment", () => {
  it("moves PENDING to DISPATCHED to DELIVERED, stamping each step and recording it", async () => {
    const created = await newShipment();
    const dispatched = await advanceShipment(created.id);
    expect(dispatched).toMatchObject({ status: "DISPATCHED", deliveredAt: null });
    expect(dispatched.dispatchedAt!.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
    const delivered = await advanceShipment(created.id);
    expect(delivered).toMatchObject({ status: "DELIVERED", dispatchedAt: dispatched.dispatchedAt });
    expect(delivered.deliveredAt!.getTime()).toBeGreaterThanOrEqual(dispatched.dispatchedAt!.getTime());

    const events = await prisma.shipmentEvent.findMany({ where: { shipmentId: created.id }, orderBy: [{ at: "asc" }, { status: "asc" }] });
    expect(events.map((e) => e.status)).toEqual(["PENDING", "DISPATCHED", "DELIVERED"]);
    expect(events.map((e) => e.at)).toEqual([created.createdAt, dispatched.dispatchedAt, delivered.deliveredAt]);
  });

  it("writes ShipmentDispatched, then ShipmentDelivered, to the outbox with the step", async () => {
    const created = await newShipment();
    await advanceShipment(created.id);
    const afterDispatch = await outboxOf(created.id);
    expect(afterDispatch).toHaveLength(1);
    await advanceShipment(created.id);
    const rows = await outboxOf(created.id);
    expect(rows.map((e) => e.type)).toEqual(["ShipmentDispatched", "ShipmentDelivered"]);
    const [dispatched, delivered] = rows as [AnyEventEnvelope, AnyEventEnvelope];
    const ids = { shipmentId: created.id, orderId: created.orderId, customerId: created.customerId };
    expect(dispatched).toMatchObject({ source: "shipping", version: 1, aggregateId: created.orderId, payload: { ...ids, carrier: CARRIER, trackingNumber: created.trackingNumber } });
    expect(delivered).toMatchObject({ source: "shipping", version: 1, aggregateId: created.orderId, payload: ids });
    expect(delivered.payload).toEqual(ids);
    // No saga correlation recorded for this shipment: each event starts its own.
    for (const event of rows) expect(event).toMatchObject({ correlationId: event.id, causationId: event.id });
  });

  it("keeps the order flow's correlation id on the events of a shipment opened by the saga", async () => {
    const correlationId = randomUUID();
    const created = await createShipment({ orderId: randomUUID(), customerId: randomUUID(), correlationId });
    await advanceShipment(created.id);
    await advanceShipment(created.id);
    const rows = await outboxOf(created.id);
    expect(rows).toHaveLength(2);
    for (const event of rows) expect(event).toMatchObject({ correlationId, causationId: event.id });
  });

  it("refuses to advance a DELIVERED shipment with INVALID_STATE, writing nothing", async () => {
    const created = await newShipment();
    await advanceShipment(created.id);
    const delivered = await advanceShipment(created.id);
    const before = await rowCounts();
    expect(await codeOf(advanceShipment(created.id))).toBe("INVALID_STATE");
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.shipment.findUnique({ where: { id: created.id } })).toEqual(delivered);
  });

  it("answers NOT_FOUND for an unknown shipment and BAD_USER_INPUT for a malformed id", async () => {
    const before = await rowCounts();
    expect(await codeOf(advanceShipment(randomUUID()))).toBe("NOT_FOUND");
    expect(await codeOf(advanceShipment("42"))).toBe("BAD_USER_INPUT");
    expect(await rowCounts()).toEqual(before);
  });

  // Needs three concurrent sessions; embedded PGlite (the no-PostgreSQL
  // fallback) has one. CI always runs it on PostgreSQL.
  it("lets exactly one of two concurrent advances of a PENDING shipment win", async (ctx) => {
    if (db.kind === "pglite") ctx.skip();
    const created = await newShipment();
    // Hold the row locked until both advances have read PENDING and are
    // queued on their conditional update, so they truly race rather than
    // merely run one after the other (which would legitimately deliver it).
    const { racing } = await prisma.$transaction(
      async (locker) => {
        await locker.$queryRaw`SELECT id FROM "Shipment" WHERE id = ${created.id}::uuid FOR UPDATE`;
        const racing = Promise.allSettled([advanceShipment(created.id), advanceShipment(created.id)]);
        // Within the transaction's own timeout (below).
        await eventually(
          async () => {
            const [{ waiting }] = await prisma.$queryRaw<[{ waiting: number }]>`
              SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`;
            return waiting === 2;
          },
          { what: "both advances to wait for the row lock", timeoutMs: 10_000 },
        );
        // Wrapped, or the callback would wait for the advances that wait for it to commit.
        return { racing };
      },
      { timeout: 20_000 },
    );
    const results = await racing;
    const winners = results.filter((r) => r.status === "fulfilled");
    const losers = results.filter((r) => r.status === "rejected");
    expect(winners).toHaveLength(1);
    expect(winners[0]!.value).toMatchObject({ status: "DISPATCHED" });
    expect(losers).toHaveLength(1);
    expect((losers[0]!.reason as GraphQLError).extensions.code).toBe("INVALID_STATE");

    const events = await prisma.shipmentEvent.findMany({ where: { shipmentId: created.id } });
    expect(events.map((e) => e.status).sort()).toEqual(["DISPATCHED", "PENDING"]);
    expect(await prisma.shipment.findUnique({ where: { id: created.id } })).toMatchObject({ status: "DISPATCHED" });
    // The loser rolled back before emitting: one step, one event.
    expect((await outboxOf(created.id)).map((e) => e.type)).toEqual(["ShipmentDispatched"]);
  });
});
