import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoOrders } from "@store/demo-data";
import { createInProcessBus, type AnyEventEnvelope } from "@store/events";
import { silentLogger, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { seedShipping } from "../src/seed.ts";
import { shippingService } from "../src/service.ts";
import { TRACKING_NUMBER_PATTERN, createShipmentForOrder, generateTrackingNumber, type CreateShipmentInput } from "../src/shipments.ts";
import type { Db, Events } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let events: Events;
let subgraph: Subgraph<Context>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "shipping" });
  prisma = shippingService.createPrisma({ url: db.url });
  await seedShipping(prisma);
  // Never started: emitted events stay in the outbox for the assertions.
  const bus = createInProcessBus({ logger: silentLogger });
  ({ subgraph, events } = shippingService.build({ prisma, bus, logger: silentLogger }));
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const delivered = demoOrders.find((o) => o.status === "DELIVERED")!;
const shipped = demoOrders.find((o) => o.status === "SHIPPED")!;
const paid = demoOrders.find((o) => o.status === "PAID")!;
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

const rowCounts = async () => ({ shipments: await prisma.shipment.count(), events: await prisma.shipmentEvent.count(), outbox: await prisma.outboxEvent.count() });

/** createShipmentForOrder runs in its caller's transaction (in production, the inbox's); here each call gets its own. */
const createShipment = (input: CreateShipmentInput) => prisma.$transaction((tx) => createShipmentForOrder(tx, input));

/** The shipment's outbox rows, oldest first. */
const outboxOf = async (shipmentId: string) =>
  (await prisma.outboxEvent.findMany({ where: { envelope: { path: ["payload", "shipmentId"], equals: shipmentId } }, orderBy: { position: "asc" } })).map(
    (row) => row.envelope as unknown as AnyEventEnvelope,
  );

const SHIPMENT = /* GraphQL */ `
  query Shipment($id: ID!) {
    shipment(id: $id) {
      id status carrier trackingNumber createdAt dispatchedAt deliveredAt
      order { id }
      history { status note at }
    }
  }
`;

type ShipmentData = {
  shipment: {
    id: string;
    status: string;
    carrier: string;
    trackingNumber: string;
    createdAt: string;
    dispatchedAt: string | null;
    deliveredAt: string | null;
    order: { id: string };
    history: { status: string; note: string; at: string }[];
  } | null;
};

describe("seed", () => {
  it("mirrors the demo orders, and seeding again changes nothing", async () => {
    const rows = await prisma.shipment.findMany({ include: { events: true } });
    expect(rows).toHaveLength(demoOrders.length);
    for (const order of demoOrders) {
      const row = rows.find((r) => r.id === order.shipmentId)!;
      expect(row).toMatchObject({ orderId: order.id, customerId: order.customerId, trackingNumber: order.trackingNumber, carrier: "Parcelnet" });
      const expected = { DELIVERED: ["PENDING", "DISPATCHED", "DELIVERED"], SHIPPED: ["PENDING", "DISPATCHED"], PAID: ["PENDING"] }[order.status];
      expect(row.status).toBe(expected.at(-1));
      expect(row.events.map((e) => e.status).sort()).toEqual([...expected].sort());
    }
    const everything = () => prisma.shipment.findMany({ include: { events: { orderBy: { at: "asc" } } }, orderBy: { id: "asc" } });
    const before = await everything();
    await seedShipping(prisma);
    expect(await everything()).toEqual(before);
  });
});

describe("shipment by id", () => {
  it("shows the owner a delivered shipment with its whole history, oldest first", async () => {
    const result = await subgraph.execute<ShipmentData>(SHIPMENT, { id: delivered.shipmentId }, { identity: customer(delivered.customerId) });
    expect(result.errors).toBeUndefined();
    const shipment = result.data!.shipment!;
    expect(shipment).toMatchObject({ id: delivered.shipmentId, status: "DELIVERED", carrier: "Parcelnet", trackingNumber: delivered.trackingNumber, order: { id: delivered.id } });
    expect(shipment.history.map((e) => e.status)).toEqual(["PENDING", "DISPATCHED", "DELIVERED"]);
    expect(shipment.history.map((e) => e.at)).toEqual([shipment.createdAt, shipment.dispatchedAt, shipment.deliveredAt]);
    expect(shipment.history.every((e) => e.note.length > 0)).toBe(true);
    expect(shipment.createdAt).toBe(delivered.placedAt);
  });

  it("shows an admin anyone's shipment, with null timestamps for steps not yet reached", async () => {
    const result = await subgraph.execute<ShipmentData>(SHIPMENT, { id: paid.shipmentId }, { identity: admin() });
    expect(result.data!.shipment).toMatchObject({ status: "PENDING", dispatchedAt: null, deliveredAt: null, history: [{ status: "PENDING" }] });
  });

  it("answers null for someone else's shipment and for an unknown one", async () => {
    const other = await subgraph.execute<ShipmentData>(SHIPMENT, { id: delivered.shipmentId }, { identity: customer() });
    expect(other.errors).toBeUndefined();
    expect(other.data!.shipment).toBeNull();
    const unknown = await subgraph.execute<ShipmentData>(SHIPMENT, { id: UNKNOWN_ID }, { identity: admin() });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.shipment).toBeNull();
  });

  it("refuses anonymous callers and malformed ids", async () => {
    expect(errorCodes(await subgraph.execute(SHIPMENT, { id: delivered.shipmentId }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(SHIPMENT, { id: "42" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

const SHIPMENTS = /* GraphQL */ `
  query Shipments($status: ShipmentStatus, $first: Int, $after: String) {
    shipments(status: $status, first: $first, after: $after) {
      totalCount
      edges { cursor node { id status createdAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

type ShipmentsData = {
  shipments: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; status: string; createdAt: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
};

describe("shipments (admin list)", () => {
  it("pages through every shipment exactly once, newest first", async () => {
    // Several shipments in the same millisecond, straddling page boundaries, so the id tie-break is exercised.
    const sameInstant = new Date("2026-04-01T12:00:00.000Z");
    await prisma.shipment.createMany({
      data: Array.from({ length: 7 }, () => ({ orderId: randomUUID(), customerId: randomUUID(), carrier: "Parcelnet", trackingNumber: generateTrackingNumber(), createdAt: sameInstant })),
    });
    const total = await prisma.shipment.count();
    const seen: { id: string; createdAt: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const result: Awaited<ReturnType<typeof subgraph.execute<ShipmentsData>>> = await subgraph.execute<ShipmentsData>(SHIPMENTS, { first: 3, after }, { identity: admin() });
      expect(result.errors).toBeUndefined();
      const connection = result.data!.shipments;
      expect(connection.totalCount).toBe(total);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.edges.map((e) => e.node));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(new Set(seen.map((s) => s.id)).size).toBe(total);
    expect(seen).toHaveLength(total);
    const key = (s: { id: string; createdAt: string }) => `${s.createdAt}|${s.id}`;
    const newestFirst = [...seen].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
    expect(seen).toEqual(newestFirst);
    // The oldest demo order comes last.
    expect(seen.at(-1)!.id).toBe([...demoOrders].sort((a, b) => a.placedAt.localeCompare(b.placedAt))[0]!.shipmentId);
  });

  it("filters by status", async () => {
    for (const status of ["PENDING", "DISPATCHED", "DELIVERED"] as const) {
      const result = await subgraph.execute<ShipmentsData>(SHIPMENTS, { status, first: 100 }, { identity: admin() });
      const expected = await prisma.shipment.count({ where: { status } });
      expect(result.data!.shipments.totalCount).toBe(expected);
      expect(result.data!.shipments.edges).toHaveLength(expected);
      expect(new Set(result.data!.shipments.edges.map((e) => e.node.status))).toEqual(new Set([status]));
    }
    const dispatched = await subgraph.execute<ShipmentsData>(SHIPMENTS, { status: "DISPATCHED" }, { identity: admin() });
    expect(dispatched.data!.shipments.edges.map((e) => e.node.id)).toContain(shipped.shipmentId);
  });

  it("is for admins only", async () => {
    expect(errorCodes(await subgraph.execute(SHIPMENTS, {}, { identity: customer(delivered.customerId) }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(SHIPMENTS, {}))).toEqual(["UNAUTHENTICATED"]);
  });

  it("rejects first out of range and a bad cursor with BAD_USER_INPUT", async () => {
    expect(errorCodes(await subgraph.execute(SHIPMENTS, { first: 0 }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(SHIPMENTS, { first: 101 }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(SHIPMENTS, { first: -5 }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(SHIPMENTS, { after: "not-a-cursor" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

const ADVANCE = /* GraphQL */ `
  mutation Advance($id: ID!) {
    advanceShipment(shipmentId: $id) { id status dispatchedAt deliveredAt history { status } }
  }
`;

type AdvanceData = {
  advanceShipment: { id: string; status: string; dispatchedAt: string | null; deliveredAt: string | null; history: { status: string }[] };
};

describe("advanceShipment", () => {
  it("lets an admin dispatch and then deliver a shipment", async () => {
    const created = await createShipment({ orderId: randomUUID(), customerId: randomUUID() });
    const dispatched = await subgraph.execute<AdvanceData>(ADVANCE, { id: created.id }, { identity: admin() });
    expect(dispatched.errors).toBeUndefined();
    expect(dispatched.data!.advanceShipment).toMatchObject({ id: created.id, status: "DISPATCHED", deliveredAt: null, history: [{ status: "PENDING" }, { status: "DISPATCHED" }] });
    expect(dispatched.data!.advanceShipment.dispatchedAt).not.toBeNull();

    const deliveredNow = await subgraph.execute<AdvanceData>(ADVANCE, { id: created.id }, { identity: admin() });
    expect(deliveredNow.data!.advanceShipment).toMatchObject({ status: "DELIVERED", dispatchedAt: dispatched.data!.advanceShipment.dispatchedAt });
    expect(deliveredNow.data!.advanceShipment.history.map((e) => e.status)).toEqual(["PENDING", "DISPATCHED", "DELIVERED"]);

    const ids = { shipmentId: created.id, orderId: created.orderId, customerId: created.customerId };
    const rows = await outboxOf(created.id);
    expect(rows.map((e) => [e.type, e.aggregateId, e.payload])).toEqual([
      ["ShipmentDispatched", created.orderId, { ...ids, carrier: "Parcelnet", trackingNumber: created.trackingNumber }],
      ["ShipmentDelivered", created.orderId, ids],
    ]);
  });

  it("rejects a malformed id, a customer (even the owner), an anonymous caller and an unknown shipment, writing nothing", async () => {
    const created = await createShipment({ orderId: randomUUID(), customerId: randomUUID() });
    const before = await rowCounts();
    expect(errorCodes(await subgraph.execute(ADVANCE, { id: "not-a-uuid" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(ADVANCE, { id: created.id }, { identity: customer(created.customerId) }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(ADVANCE, { id: created.id }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(ADVANCE, { id: UNKNOWN_ID }, { identity: admin() }))).toEqual(["NOT_FOUND"]);
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.shipment.findUnique({ where: { id: created.id } })).toEqual(created);
  });

  it("answers INVALID_STATE for a delivered shipment and adds no event", async () => {
    const row = await prisma.shipment.findUniqueOrThrow({ where: { id: delivered.shipmentId } });
    const before = await rowCounts();
    expect(errorCodes(await subgraph.execute(ADVANCE, { id: delivered.shipmentId }, { identity: admin() }))).toEqual(["INVALID_STATE"]);
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.shipmentEvent.count({ where: { shipmentId: delivered.shipmentId } })).toBe(3);
    expect(await prisma.shipment.findUnique({ where: { id: delivered.shipmentId } })).toEqual(row);
  });
});

const ORDER_ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Order { id shipment { status trackingNumber } } }
  }
`;
type OrderEntities = { _entities: ({ id: string; shipment: { status: string; trackingNumber: string } | null } | null)[] };

const SHIPMENT_ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Shipment { id status trackingNumber } }
  }
`;
type ShipmentEntities = { _entities: ({ id: string; status: string; trackingNumber: string } | null)[] };

describe("Order entity", () => {
  it("shows an order's shipment to its customer and admins, null to others and for an order without one", async () => {
    const reps = [{ __typename: "Order", id: delivered.id }, { __typename: "Order", id: UNKNOWN_ID }];
    const owner = await subgraph.execute<OrderEntities>(ORDER_ENTITIES, { representations: reps }, { identity: customer(delivered.customerId) });
    expect(owner.errors).toBeUndefined();
    expect(owner.data!._entities).toEqual([
      { id: delivered.id, shipment: { status: "DELIVERED", trackingNumber: delivered.trackingNumber } },
      { id: UNKNOWN_ID, shipment: null },
    ]);
    const byAdmin = await subgraph.execute<OrderEntities>(ORDER_ENTITIES, { representations: reps.slice(0, 1) }, { identity: admin() });
    expect(byAdmin.data!._entities[0]!.shipment?.trackingNumber).toBe(delivered.trackingNumber);
    const byOther = await subgraph.execute<OrderEntities>(ORDER_ENTITIES, { representations: reps.slice(0, 1) }, { identity: customer() });
    expect(byOther.data!._entities).toEqual([{ id: delivered.id, shipment: null }]);
    const anonymous = await subgraph.execute<OrderEntities>(ORDER_ENTITIES, { representations: reps.slice(0, 1) });
    expect(anonymous.data!._entities).toEqual([{ id: delivered.id, shipment: null }]);
  });
});

describe("_entities", () => {
  const customerId = randomUUID();
  let orderIds: string[] = [];
  let shipmentIds: string[] = [];

  beforeAll(async () => {
    const created = await Promise.all(Array.from({ length: 50 }, () => createShipment({ orderId: randomUUID(), customerId })));
    orderIds = created.map((s) => s.orderId);
    shipmentIds = created.map((s) => s.id);
  });

  it("resolves the shipments of 50 orders with one SQL query", async () => {
    const counter = countQueries(prisma);
    const representations = orderIds.map((id) => ({ __typename: "Order", id }));
    const result = await subgraph.execute<OrderEntities>(ORDER_ENTITIES, { representations }, { identity: customer(customerId) });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((o) => o?.id)).toEqual(orderIds);
    for (const order of result.data!._entities) {
      expect(order!.shipment!.status).toBe("PENDING");
      expect(order!.shipment!.trackingNumber).toMatch(TRACKING_NUMBER_PATTERN);
    }
    expect(counter.count).toBe(1);
  });

  it("resolves 50 shipments with one SQL query", async () => {
    const counter = countQueries(prisma);
    const representations = shipmentIds.map((id) => ({ __typename: "Shipment", id }));
    const result = await subgraph.execute<ShipmentEntities>(SHIPMENT_ENTITIES, { representations }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((s) => s?.id)).toEqual(shipmentIds);
    expect(counter.count).toBe(1);
  });

  it("loads the history of 50 shipments with one more query", async () => {
    const counter = countQueries(prisma);
    const representations = shipmentIds.map((id) => ({ __typename: "Shipment", id }));
    const result = await subgraph.execute<{ _entities: { history: { status: string }[] }[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Shipment { history { status } } } }`,
      { representations },
      { identity: customer(customerId) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.every((s) => s.history.length === 1 && s.history[0]!.status === "PENDING")).toBe(true);
    expect(counter.count).toBe(2);
  });

  it("answers null for someone else's, unknown and malformed shipment representations", async () => {
    const representations = [shipmentIds[0], UNKNOWN_ID, "bogus", delivered.shipmentId].map((id) => ({ __typename: "Shipment", id }));
    const result = await subgraph.execute<ShipmentEntities>(SHIPMENT_ENTITIES, { representations }, { identity: customer(customerId) });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((s) => s?.id ?? null)).toEqual([shipmentIds[0], null, null, null]);
  });
});
