import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GraphQLError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@store/testing";
import { createShippingPrisma, type ShippingPrisma } from "../src/db.ts";
import { CARRIER, TRACKING_NUMBER_PATTERN, advanceShipment, createShipmentForOrder, generateTrackingNumber } from "../src/shipments.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: ShippingPrisma;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "shipping_domain" });
  prisma = createShippingPrisma({ url: db.url });
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

const rowCounts = async () => ({ shipments: await prisma.shipment.count(), events: await prisma.shipmentEvent.count() });

const newShipment = () => createShipmentForOrder(prisma, { orderId: randomUUID(), customerId: randomUUID() });

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
    const shipment = await createShipmentForOrder(prisma, { orderId, customerId });
    expect(shipment).toMatchObject({ orderId, customerId, status: "PENDING", carrier: CARRIER, dispatchedAt: null, deliveredAt: null });
    expect(shipment.trackingNumber).toMatch(TRACKING_NUMBER_PATTERN);
    const events = await prisma.shipmentEvent.findMany({ where: { shipmentId: shipment.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: "PENDING", at: shipment.createdAt });
    expect(events[0]!.note).toContain(CARRIER);
  });

  it("is idempotent per order: a second call returns the same shipment and writes nothing", async () => {
    const input = { orderId: randomUUID(), customerId: randomUUID() };
    const first = await createShipmentForOrder(prisma, input);
    const before = await rowCounts();
    const second = await createShipmentForOrder(prisma, input);
    expect(second).toEqual(first);
    expect(await rowCounts()).toEqual(before);
  });

  it("creates one shipment when the same order arrives several times at once", async () => {
    const input = { orderId: randomUUID(), customerId: randomUUID() };
    const results = await Promise.all(Array.from({ length: 5 }, () => createShipmentForOrder(prisma, input)));
    expect(new Set(results.map((s) => s.id)).size).toBe(1);
    expect(await prisma.shipment.count({ where: { orderId: input.orderId } })).toBe(1);
    expect(await prisma.shipmentEvent.count({ where: { shipmentId: results[0]!.id } })).toBe(1);
  });

  it("refuses an order that already has a shipment for another customer, writing nothing", async () => {
    const existing = await newShipment();
    const before = await rowCounts();
    expect(await codeOf(createShipmentForOrder(prisma, { orderId: existing.orderId, customerId: randomUUID() }))).toBe("CONFLICT");
    expect(await rowCounts()).toEqual(before);
  });

  it("rejects malformed ids with BAD_USER_INPUT, writing nothing", async () => {
    const before = await rowCounts();
    expect(await codeOf(createShipmentForOrder(prisma, { orderId: "order-1", customerId: randomUUID() }))).toBe("BAD_USER_INPUT");
    expect(await codeOf(createShipmentForOrder(prisma, { orderId: randomUUID(), customerId: "" }))).toBe("BAD_USER_INPUT");
    expect(await rowCounts()).toEqual(before);
  });
});

describe("advanceShipment", () => {
  it("moves PENDING to DISPATCHED to DELIVERED, stamping each step and recording it", async () => {
    const created = await newShipment();
    const dispatched = await advanceShipment(prisma, created.id);
    expect(dispatched).toMatchObject({ status: "DISPATCHED", deliveredAt: null });
    expect(dispatched.dispatchedAt!.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
    const delivered = await advanceShipment(prisma, created.id);
    expect(delivered).toMatchObject({ status: "DELIVERED", dispatchedAt: dispatched.dispatchedAt });
    expect(delivered.deliveredAt!.getTime()).toBeGreaterThanOrEqual(dispatched.dispatchedAt!.getTime());

    const events = await prisma.shipmentEvent.findMany({ where: { shipmentId: created.id }, orderBy: [{ at: "asc" }, { status: "asc" }] });
    expect(events.map((e) => e.status)).toEqual(["PENDING", "DISPATCHED", "DELIVERED"]);
    expect(events.map((e) => e.at)).toEqual([created.createdAt, dispatched.dispatchedAt, delivered.deliveredAt]);
  });

  it("refuses to advance a DELIVERED shipment with INVALID_STATE, writing nothing", async () => {
    const created = await newShipment();
    await advanceShipment(prisma, created.id);
    const delivered = await advanceShipment(prisma, created.id);
    const before = await rowCounts();
    expect(await codeOf(advanceShipment(prisma, created.id))).toBe("INVALID_STATE");
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.shipment.findUnique({ where: { id: created.id } })).toEqual(delivered);
  });

  it("answers NOT_FOUND for an unknown shipment and BAD_USER_INPUT for a malformed id", async () => {
    const before = await rowCounts();
    expect(await codeOf(advanceShipment(prisma, randomUUID()))).toBe("NOT_FOUND");
    expect(await codeOf(advanceShipment(prisma, "42"))).toBe("BAD_USER_INPUT");
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
        const racing = Promise.allSettled([advanceShipment(prisma, created.id), advanceShipment(prisma, created.id)]);
        const deadline = Date.now() + 10_000;
        for (;;) {
          const [{ waiting }] = await prisma.$queryRaw<[{ waiting: number }]>`
            SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          if (waiting === 2) break;
          if (Date.now() > deadline) throw new Error(`only ${waiting} advance(s) reached the lock`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
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
  });
});
