import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoOrderTotalCents, demoOrders, demoProducts, demoUsers } from "@store/demo-data";
import { createInProcessBus, type AnyEventEnvelope } from "@store/events";
import { silentLogger, type Identity, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { OrderStatus } from "../src/generated/prisma/enums.ts";
import { lifecyclePath, transitionOrder } from "../src/orderStatus.ts";
import { seedOrders } from "../src/seed.ts";
import { ordersService } from "../src/service.ts";
import type { Db, Events } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;
let events: Events;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "orders" });
  prisma = ordersService.createPrisma({ url: db.url });
  await seedOrders(prisma);
  // Never started: the relay stays off, so what mutations emit stays in the outbox to be asserted.
  const bus = createInProcessBus({ logger: silentLogger });
  ({ subgraph, events } = ordersService.build({ prisma, bus, logger: silentLogger }));
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
const product = (i: number) => demoProducts[i]!;
const userOf = (email: string) => demoUsers.find((u) => u.email === email)!;
const ada = customer(userOf("ada@example.com").id);
const grace = customer(userOf("grace@example.com").id);
const linus = customer(userOf("linus@example.com").id);
const demoOrder = (status: string) => demoOrders.find((o) => o.status === status)!;
const [delivered, shipped, paid] = [demoOrder("DELIVERED"), demoOrder("SHIPPED"), demoOrder("PAID")];

type Money = { amount: number; currency: string };
type OrderData = {
  id: string;
  status: string;
  customer: { id: string };
  total: Money;
  placedAt: string;
  updatedAt: string;
  cancelReason: string | null;
  lines: { id: string; product: { id: string }; productName: string; unitPrice: Money; quantity: number; lineTotal: Money }[];
  statusHistory: { from: string | null; to: string; reason: string; at: string }[];
};

const ORDER_FIELDS = /* GraphQL */ `
  id status customer { id } total { amount currency } placedAt updatedAt cancelReason
  lines { id product { id } productName unitPrice { amount currency } quantity lineTotal { amount currency } }
  statusHistory { from to reason at }
`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`;
const CANCEL = `mutation($orderId: ID!, $reason: String) { cancelOrder(orderId: $orderId, reason: $reason) { ${ORDER_FIELDS} } }`;
const MY_ORDERS = `query($first: Int, $after: String) { myOrders(first: $first, after: $after) { totalCount edges { cursor node { id placedAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

const orderInput = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  lines: [{ productId: product(0).id, quantity: 1 }],
  paymentToken: "tok_visa",
  ...overrides,
});

async function place(identity: Identity, input = orderInput()): Promise<OrderData> {
  const result = await subgraph.execute<{ placeOrder: OrderData }>(PLACE, { input }, { identity });
  expect(result.errors).toBeUndefined();
  return result.data!.placeOrder;
}

async function rowCounts() {
  const [orders, lines, changes, prices, outbox] = await Promise.all([
    prisma.order.count(),
    prisma.orderLine.count(),
    prisma.orderStatusChange.count(),
    prisma.productPrice.count(),
    prisma.outboxEvent.count(),
  ]);
  return { orders, lines, changes, prices, outbox };
}

/** The events written for one order, oldest first. */
async function outboxOf(orderId: string): Promise<AnyEventEnvelope[]> {
  const rows = await prisma.outboxEvent.findMany({ where: { envelope: { path: ["aggregateId"], equals: orderId } }, orderBy: { position: "asc" } });
  for (const row of rows) expect(row.type).toBe((row.envelope as unknown as AnyEventEnvelope).type);
  return rows.map((row) => row.envelope as unknown as AnyEventEnvelope);
}

/** Inserts orders straight into the database, for tests that need many or a fixed placedAt. */
async function insertOrders(customerId: string, count: number, placedAt = new Date()): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const p = product(1);
  await prisma.$transaction([
    prisma.order.createMany({ data: ids.map((id) => ({ id, customerId, totalCents: 2 * p.priceCents, paymentToken: "tok_test", placedAt })) }),
    prisma.orderLine.createMany({ data: ids.map((orderId) => ({ orderId, productId: p.id, productName: p.name, unitPriceCents: p.priceCents, quantity: 2 })) }),
    prisma.orderStatusChange.createMany({ data: ids.map((orderId) => ({ orderId, toStatus: OrderStatus.PENDING, reason: "placed", at: placedAt })) }),
  ]);
  return ids;
}

describe("seed", () => {
  it("loads every demo price and order, priced from demo prices, and is idempotent", async () => {
    const before = await rowCounts();
    expect(before.prices).toBe(demoProducts.length);
    await seedOrders(prisma);
    expect(await rowCounts()).toEqual(before);
    for (const demo of demoOrders) {
      const order = await prisma.order.findUniqueOrThrow({ where: { id: demo.id }, include: { lines: true } });
      expect(order).toMatchObject({ customerId: demo.customerId, status: demo.status, totalCents: demoOrderTotalCents(demo), placedAt: new Date(demo.placedAt) });
      expect(order.lines).toHaveLength(demo.lines.length);
    }
  });

  it("gives a demo order a history that walks the lifecycle to its status", async () => {
    const result = await subgraph.execute<{ order: OrderData }>(ORDER, { id: delivered.id }, { identity: ada });
    expect(result.errors).toBeUndefined();
    const order = result.data!.order;
    expect(order).toMatchObject({ id: delivered.id, status: "DELIVERED", customer: { id: ada.userId }, total: { amount: demoOrderTotalCents(delivered), currency: "USD" }, placedAt: delivered.placedAt, cancelReason: null });
    const path = lifecyclePath("DELIVERED");
    expect(order.statusHistory.map((c) => [c.from, c.to])).toEqual(path.map((to, i) => [path[i - 1] ?? null, to]));
    expect(order.statusHistory[0]).toMatchObject({ from: null, to: "PENDING", reason: "placed", at: delivered.placedAt });
    expect(order.updatedAt).toBe(order.statusHistory.at(-1)!.at);
    for (const line of order.lines) {
      const demoProduct = demoProducts.find((p) => p.id === line.product.id)!;
      expect(line).toMatchObject({ productName: demoProduct.name, unitPrice: { amount: demoProduct.priceCents, currency: "USD" }, lineTotal: { amount: demoProduct.priceCents * line.quantity } });
    }
  });
});

describe("order by id", () => {
  it("shows an order to its owner and to admins, and null to anyone else", async () => {
    const asOwner = await subgraph.execute<{ order: { id: string } | null }>(ORDER, { id: shipped.id }, { identity: grace });
    expect(asOwner.data?.order?.id).toBe(shipped.id);
    const asAdmin = await subgraph.execute<{ order: { id: string } | null }>(ORDER, { id: shipped.id }, { identity: admin() });
    expect(asAdmin.data?.order?.id).toBe(shipped.id);
    const asOther = await subgraph.execute<{ order: unknown }>(ORDER, { id: shipped.id }, { identity: ada });
    expect(asOther.errors).toBeUndefined();
    expect(asOther.data?.order).toBeNull();
  });

  it("answers null for an unknown id, BAD_USER_INPUT for a malformed one, UNAUTHENTICATED when anonymous", async () => {
    const missing = await subgraph.execute<{ order: unknown }>(ORDER, { id: UNKNOWN_ID }, { identity: ada });
    expect(missing.errors).toBeUndefined();
    expect(missing.data?.order).toBeNull();
    expect(errorCodes(await subgraph.execute(ORDER, { id: "42" }, { identity: ada }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(ORDER, { id: delivered.id }))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("placeOrder", () => {
  it("places a PENDING order priced from the local price list, merging duplicate products", async () => {
    const me = customer();
    const [a, b] = [product(2), product(13)];
    const cartId = randomUUID();
    const shippingAddressId = randomUUID();
    const order = await place(me, {
      lines: [{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 1 }, { productId: a.id, quantity: 3 }],
      cartId,
      shippingAddressId,
      paymentToken: "tok_visa_4242",
    });
    expect(order).toMatchObject({ status: "PENDING", customer: { id: me.userId }, total: { amount: 5 * a.priceCents + b.priceCents, currency: "USD" }, cancelReason: null });
    expect(order.lines.map((l) => [l.product.id, l.productName, l.quantity, l.unitPrice.amount, l.lineTotal.amount]).sort()).toEqual(
      [
        [a.id, a.name, 5, a.priceCents, 5 * a.priceCents],
        [b.id, b.name, 1, b.priceCents, b.priceCents],
      ].sort(),
    );
    expect(order.statusHistory).toEqual([{ from: null, to: "PENDING", reason: "placed", at: order.placedAt }]);
    const row = await prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(row).toMatchObject({ customerId: me.userId, paymentToken: "tok_visa_4242", cartId, shippingAddressId });

    // OrderPlaced starts the saga (its id is the flow's correlation id); the first OrderStatusChanged follows from it.
    const [placed, status, ...more] = await outboxOf(order.id);
    expect(more).toEqual([]);
    expect(placed).toMatchObject({ type: "OrderPlaced", source: "orders", version: 1, aggregateId: order.id });
    expect(placed!.correlationId).toBe(placed!.id);
    expect(placed!.causationId).toBe(placed!.id);
    expect(placed!.payload).toEqual({
      orderId: order.id,
      customerId: me.userId,
      cartId,
      lines: expect.arrayContaining([
        { productId: a.id, quantity: 5, unitPriceCents: a.priceCents },
        { productId: b.id, quantity: 1, unitPriceCents: b.priceCents },
      ]),
      totalCents: 5 * a.priceCents + b.priceCents,
      currency: "USD",
      paymentToken: "tok_visa_4242",
    });
    expect((placed!.payload as { lines: unknown[] }).lines).toHaveLength(2);
    expect(status).toMatchObject({
      type: "OrderStatusChanged",
      aggregateId: order.id,
      correlationId: placed!.id,
      causationId: placed!.id,
      payload: { orderId: order.id, customerId: me.userId, from: null, to: "PENDING", reason: "placed" },
    });
    expect(row.correlationId).toBe(placed!.id);

    const read = await subgraph.execute<{ order: OrderData }>(ORDER, { id: order.id }, { identity: me });
    expect(read.data?.order).toEqual(order);
  });

  it("uses the current local price and name, and leaves earlier orders as they were", async () => {
    const me = customer();
    const p = product(20);
    const before = await place(me, orderInput({ lines: [{ productId: p.id, quantity: 1 }] }));
    await prisma.productPrice.update({ where: { productId: p.id }, data: { priceCents: p.priceCents + 500, name: `${p.name} (new)` } });
    try {
      const after = await place(me, orderInput({ lines: [{ productId: p.id, quantity: 2 }] }));
      expect(after.total.amount).toBe(2 * (p.priceCents + 500));
      expect(after.lines[0]).toMatchObject({ productName: `${p.name} (new)`, unitPrice: { amount: p.priceCents + 500 } });
      const again = await subgraph.execute<{ order: OrderData }>(ORDER, { id: before.id }, { identity: me });
      expect(again.data?.order.total.amount).toBe(p.priceCents);
      expect(again.data?.order.lines[0]?.productName).toBe(p.name);
    } finally {
      await prisma.productPrice.update({ where: { productId: p.id }, data: { priceCents: p.priceCents, name: p.name } });
    }
  });

  it("rejects bad input with a stable code and writes nothing", async () => {
    const me = customer();
    const before = await rowCounts();
    const cases: [string, unknown, Identity | null, string][] = [
      ["empty lines", orderInput({ lines: [] }), me, "BAD_USER_INPUT"],
      ["51 lines", orderInput({ lines: demoProducts.slice(0, 51).map((p) => ({ productId: p.id, quantity: 1 })) }), me, "BAD_USER_INPUT"],
      ["zero quantity", orderInput({ lines: [{ productId: product(0).id, quantity: 0 }] }), me, "BAD_USER_INPUT"],
      ["negative quantity", orderInput({ lines: [{ productId: product(0).id, quantity: -2 }] }), me, "BAD_USER_INPUT"],
      ["quantity over 1000", orderInput({ lines: [{ productId: product(0).id, quantity: 1001 }] }), me, "BAD_USER_INPUT"],
      ["merged quantity over 1000", orderInput({ lines: [{ productId: product(0).id, quantity: 600 }, { productId: product(0).id, quantity: 401 }] }), me, "BAD_USER_INPUT"],
      ["malformed productId", orderInput({ lines: [{ productId: "COF-0001", quantity: 1 }] }), me, "BAD_USER_INPUT"],
      ["unknown product", orderInput({ lines: [{ productId: product(0).id, quantity: 1 }, { productId: UNKNOWN_ID, quantity: 1 }] }), me, "NOT_FOUND"],
      ["payment token without prefix", orderInput({ paymentToken: "visa" }), me, "BAD_USER_INPUT"],
      ["payment token with capitals", orderInput({ paymentToken: "tok_VISA" }), me, "BAD_USER_INPUT"],
      ["payment token too long", orderInput({ paymentToken: `tok_${"a".repeat(41)}` }), me, "BAD_USER_INPUT"],
      ["empty payment token body", orderInput({ paymentToken: "tok_" }), me, "BAD_USER_INPUT"],
      ["malformed cartId", orderInput({ cartId: "cart-1" }), me, "BAD_USER_INPUT"],
      ["anonymous", orderInput(), null, "UNAUTHENTICATED"],
    ];
    for (const [name, input, identity, code] of cases) {
      const result = await subgraph.execute(PLACE, { input }, { identity });
      expect(errorCodes(result), name).toEqual([code]);
      expect(result.data ?? null, name).toBeNull();
    }
    expect(await rowCounts()).toEqual(before);
  });

  it("names the unknown product in the NOT_FOUND error", async () => {
    const result = await subgraph.execute(PLACE, { input: orderInput({ lines: [{ productId: UNKNOWN_ID, quantity: 1 }] }) }, { identity: customer() });
    expect(result.errors?.[0]?.message).toContain(UNKNOWN_ID);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND", productIds: [UNKNOWN_ID] });
  });

  it("accepts exactly 50 lines and a merged quantity of exactly 1000", async () => {
    const fifty = await place(customer(), orderInput({ lines: demoProducts.slice(0, 50).map((p) => ({ productId: p.id, quantity: 1 })) }));
    expect(fifty.lines).toHaveLength(50);
    expect(fifty.total.amount).toBe(demoProducts.slice(0, 50).reduce((sum, p) => sum + p.priceCents, 0));
    const thousand = await place(customer(), orderInput({ lines: [{ productId: product(0).id, quantity: 999 }, { productId: product(0).id, quantity: 1 }] }));
    expect(thousand.lines).toEqual([expect.objectContaining({ quantity: 1000 })]);
  });
});

describe("myOrders and User.orders", () => {
  type Page = { totalCount: number; edges: { cursor: string; node: { id: string; placedAt: string } }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null } };

  it("pages through the caller's orders newest first, each exactly once, ties broken by id", async () => {
    const me = customer();
    // Five orders in the same millisecond exercise the id tie-break of the cursor.
    const tied = await insertOrders(me.userId, 5, new Date("2026-04-01T12:00:00.000Z"));
    const older = await insertOrders(me.userId, 1, new Date("2026-03-01T12:00:00.000Z"));
    const newer = [await place(me), await place(me)];
    await insertOrders(customer().userId, 3);
    const expected = [
      ...newer.map((o) => ({ id: o.id, placedAt: new Date(o.placedAt).getTime() })).sort((x, y) => y.placedAt - x.placedAt || (x.id < y.id ? 1 : -1)).map((o) => o.id),
      ...[...tied].sort().reverse(),
      ...older,
    ];

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result: Awaited<ReturnType<typeof subgraph.execute<{ myOrders: Page }>>> = await subgraph.execute<{ myOrders: Page }>(MY_ORDERS, { first: 2, after }, { identity: me });
      expect(result.errors).toBeUndefined();
      const connection = result.data!.myOrders;
      expect(connection.totalCount).toBe(8);
      expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...connection.edges.map((e) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it("defaults to 10 a page and rejects bad paging input", async () => {
    const result = await subgraph.execute<{ myOrders: Page }>(MY_ORDERS, {}, { identity: ada });
    expect(result.data?.myOrders.edges.map((e) => e.node.id)).toEqual([delivered.id]);
    expect(errorCodes(await subgraph.execute(MY_ORDERS, { first: 0 }, { identity: ada }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(MY_ORDERS, { first: 51 }, { identity: ada }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(MY_ORDERS, { after: "not-a-cursor" }, { identity: ada }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(MY_ORDERS, {}))).toEqual(["UNAUTHENTICATED"]);
  });

  const USER_ORDERS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id orders(first: 5) { totalCount edges { node { id status } } } } } }`;
  type UserOrders = { _entities: ({ id: string; orders: { totalCount: number; edges: { node: { id: string; status: string } }[] } | null } | null)[] };

  it("gives a user's orders to that user and to admins", async () => {
    const representations = [{ __typename: "User", id: linus.userId }];
    for (const identity of [linus, admin()]) {
      const result = await subgraph.execute<UserOrders>(USER_ORDERS, { r: representations }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities[0]?.orders).toEqual({ totalCount: 1, edges: [{ node: { id: paid.id, status: "PAID" } }] });
    }
  });

  it("is FORBIDDEN to other users and UNAUTHENTICATED to anonymous callers", async () => {
    const representations = [{ __typename: "User", id: linus.userId }];
    const asOther = await subgraph.execute<UserOrders>(USER_ORDERS, { r: representations }, { identity: ada });
    expect(errorCodes(asOther)).toEqual(["FORBIDDEN"]);
    expect(asOther.data?._entities[0]).toEqual({ id: linus.userId, orders: null });
    expect(errorCodes(await subgraph.execute(USER_ORDERS, { r: representations }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(USER_ORDERS, { r: [{ __typename: "User", id: "nope" }] }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("cancelOrder", () => {
  it("lets the owner cancel a PENDING order, recording why", async () => {
    const me = customer();
    const placed = await place(me);
    const result = await subgraph.execute<{ cancelOrder: OrderData }>(CANCEL, { orderId: placed.id, reason: "  changed my mind " }, { identity: me });
    expect(result.errors).toBeUndefined();
    const order = result.data!.cancelOrder;
    expect(order).toMatchObject({ id: placed.id, status: "CANCELLED", cancelReason: "changed my mind" });
    expect(order.statusHistory.map(({ from, to, reason }) => ({ from, to, reason }))).toEqual([
      { from: null, to: "PENDING", reason: "placed" },
      { from: "PENDING", to: "CANCELLED", reason: "changed my mind" },
    ]);
    expect(Date.parse(order.updatedAt)).toBeGreaterThanOrEqual(Date.parse(placed.updatedAt));

    // No event caused the cancel, yet it belongs to the order's saga: same correlation id as OrderPlaced.
    const [placedEvent, , changed, cancelled, ...more] = await outboxOf(placed.id);
    expect(more).toEqual([]);
    expect(changed).toMatchObject({
      type: "OrderStatusChanged",
      correlationId: placedEvent!.id,
      payload: { orderId: placed.id, customerId: me.userId, from: "PENDING", to: "CANCELLED", reason: "changed my mind" },
    });
    expect(cancelled).toMatchObject({
      type: "OrderCancelled",
      aggregateId: placed.id,
      correlationId: placedEvent!.id,
      payload: { orderId: placed.id, customerId: me.userId, reason: "changed my mind", previousStatus: "PENDING" },
    });
  });

  it("lets an admin cancel someone else's order awaiting payment, with a default reason", async () => {
    const owner = customer();
    const placed = await place(owner);
    await prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: placed.id, to: "AWAITING_PAYMENT", reason: "payment requested" }));
    const result = await subgraph.execute<{ cancelOrder: OrderData }>(CANCEL, { orderId: placed.id }, { identity: admin() });
    expect(result.errors).toBeUndefined();
    expect(result.data!.cancelOrder).toMatchObject({ status: "CANCELLED", cancelReason: "cancelled by an administrator" });
    expect(result.data!.cancelOrder.statusHistory.map((c) => c.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    const cancelled = (await outboxOf(placed.id)).filter((e) => e.type === "OrderCancelled");
    expect(cancelled.map((e) => e.payload)).toEqual([{ orderId: placed.id, customerId: owner.userId, reason: "cancelled by an administrator", previousStatus: "AWAITING_PAYMENT" }]);
  });

  it("rejects bad requests with a stable code and writes nothing", async () => {
    const me = customer();
    const mine = await place(me);
    const cancelled = await place(me);
    await subgraph.execute(CANCEL, { orderId: cancelled.id }, { identity: me });
    const before = await rowCounts();
    const statuses = await prisma.order.findMany({ select: { id: true, status: true, updatedAt: true }, orderBy: { id: "asc" } });

    const paidResult = await subgraph.execute(CANCEL, { orderId: paid.id }, { identity: linus });
    expect(errorCodes(paidResult)).toEqual(["INVALID_STATE"]);
    expect(paidResult.errors?.[0]?.message).toContain("PAID");
    expect(paidResult.errors?.[0]?.extensions).toMatchObject({ status: "PAID" });
    const cases: [string, Record<string, unknown>, Identity | null, string][] = [
      ["a shipped order, even as admin", { orderId: shipped.id }, admin(), "INVALID_STATE"],
      ["an order already cancelled", { orderId: cancelled.id }, me, "INVALID_STATE"],
      ["another user's order", { orderId: paid.id }, ada, "NOT_FOUND"],
      ["another user's cancellable order", { orderId: mine.id }, ada, "NOT_FOUND"],
      ["an unknown order", { orderId: UNKNOWN_ID }, me, "NOT_FOUND"],
      ["a malformed orderId", { orderId: "order-1" }, me, "BAD_USER_INPUT"],
      ["an empty reason", { orderId: mine.id, reason: "   " }, me, "BAD_USER_INPUT"],
      ["an oversized reason", { orderId: mine.id, reason: "x".repeat(501) }, me, "BAD_USER_INPUT"],
      ["an anonymous caller", { orderId: mine.id }, null, "UNAUTHENTICATED"],
    ];
    for (const [name, variables, identity, code] of cases) {
      const result = await subgraph.execute(CANCEL, variables, { identity });
      expect(errorCodes(result), name).toEqual([code]);
    }
    expect(await rowCounts()).toEqual(before);
    expect(await prisma.order.findMany({ select: { id: true, status: true, updatedAt: true }, orderBy: { id: "asc" } })).toEqual(statuses);
  });

  it("lets exactly one of several concurrent cancellations win", async () => {
    const me = customer();
    const placed = await place(me);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => subgraph.execute(CANCEL, { orderId: placed.id, reason: `attempt ${i}` }, { identity: me })));
    const codes = results.map((r) => errorCodes(r)[0] ?? "OK");
    expect(codes.filter((c) => c === "OK")).toHaveLength(1);
    expect(codes.filter((c) => c === "INVALID_STATE")).toHaveLength(5);
    const changes = await prisma.orderStatusChange.findMany({ where: { orderId: placed.id, toStatus: "CANCELLED" } });
    expect(changes).toHaveLength(1);
    const row = await prisma.order.findUniqueOrThrow({ where: { id: placed.id } });
    expect(row.cancelReason).toBe(changes[0]!.reason);
    // The losers rolled back, events included: one cancellation is announced once.
    const cancelled = (await outboxOf(placed.id)).filter((e) => e.type === "OrderCancelled");
    expect(cancelled.map((e) => e.payload)).toEqual([expect.objectContaining({ reason: changes[0]!.reason })]);
  });
});

describe("transitionOrder", () => {
  it("walks the whole lifecycle, recording each step", async () => {
    const [id] = await insertOrders(randomUUID(), 1);
    for (const to of ["AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"] as const) {
      const { order, change } = await prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: id!, to, reason: `to ${to}` }));
      expect(order.status).toBe(to);
      expect(change).toMatchObject({ orderId: id, toStatus: to, reason: `to ${to}` });
    }
    const history = await prisma.orderStatusChange.findMany({ where: { orderId: id }, orderBy: [{ at: "asc" }, { toStatus: "asc" }] });
    expect(history.map((c) => [c.fromStatus, c.toStatus])).toEqual([
      [null, "PENDING"],
      ["PENDING", "AWAITING_PAYMENT"],
      ["AWAITING_PAYMENT", "PAID"],
      ["PAID", "SHIPPED"],
      ["SHIPPED", "DELIVERED"],
    ]);
    // Every step announced in its own transaction, payment requested with the move to AWAITING_PAYMENT; no OrderCancelled on the main line.
    expect((await outboxOf(id!)).map((e) => [e.type, e.payload])).toEqual(
      history.slice(1).flatMap((c) => [
        ["OrderStatusChanged", expect.objectContaining({ orderId: id, from: c.fromStatus, to: c.toStatus, reason: `to ${c.toStatus}` })],
        ...(c.toStatus === "AWAITING_PAYMENT" ? [["PaymentRequested", expect.objectContaining({ orderId: id })]] : []),
      ]),
    );
  });

  it("refuses a skipped step and an unknown order, writing nothing", async () => {
    const [id] = await insertOrders(randomUUID(), 1);
    const before = await rowCounts();
    await expect(prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: id!, to: "PAID", reason: "skip" }))).rejects.toMatchObject({ extensions: { code: "INVALID_STATE", status: "PENDING" } });
    await expect(prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: UNKNOWN_ID, to: "PAID", reason: "nope" }))).rejects.toMatchObject({ extensions: { code: "NOT_FOUND" } });
    expect(await rowCounts()).toEqual(before);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: id! } })).status).toBe("PENDING");
  });

  it("writes its events in the caller's transaction: a transaction that fails afterwards leaves neither change nor event", async () => {
    const [id] = await insertOrders(randomUUID(), 1);
    const before = await rowCounts();
    await expect(
      prisma.$transaction(async (tx) => {
        await transitionOrder(tx, events, { orderId: id!, to: "CANCELLED", reason: "rolled back" });
        throw new Error("later step failed");
      }),
    ).rejects.toThrow("later step failed");
    expect(await rowCounts()).toEqual(before);
    expect(await outboxOf(id!)).toEqual([]);
    expect((await prisma.order.findUniqueOrThrow({ where: { id: id! } })).status).toBe("PENDING");
  });

  it("settles a race between payment and cancellation with one winner and a consistent history", async () => {
    for (let round = 0; round < 5; round++) {
      const [id] = await insertOrders(randomUUID(), 1);
      await prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: id!, to: "AWAITING_PAYMENT", reason: "payment requested" }));
      const outcomes = await Promise.allSettled([
        prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: id!, to: "PAID", reason: "payment captured" })),
        prisma.$transaction((tx) => transitionOrder(tx, events, { orderId: id!, to: "CANCELLED", reason: "cancelled by the customer" })),
      ]);
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const order = await prisma.order.findUniqueOrThrow({ where: { id: id! }, include: { statusChanges: true } });
      expect(order.statusChanges.map((c) => c.toStatus).sort()).toEqual(["AWAITING_PAYMENT", "PENDING", order.status].sort());
      // Only the winner's events exist: the outbox tells the same story as the history.
      const requested = ["OrderStatusChanged", "PaymentRequested"];
      const expected = order.status === "CANCELLED" ? [...requested, "OrderStatusChanged", "OrderCancelled"] : [...requested, "OrderStatusChanged"];
      const emitted = await outboxOf(id!);
      expect(emitted.map((e) => e.type)).toEqual(expected);
      expect(emitted[2]?.payload).toMatchObject({ from: "AWAITING_PAYMENT", to: order.status });
    }
  });
});

describe("_entities", () => {
  const ENTITIES = (selection: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { ${selection} } } }`;
  type Entity = { id: string; status: string; total: { amount: number }; lines?: { quantity: number }[] } | null;

  it("resolves 50 orders with one SQL query, and their lines with one more", async () => {
    const owner = customer();
    const ids = await insertOrders(owner.userId, 50);
    const r = ids.map((id) => ({ __typename: "Order", id }));
    const counter = countQueries(prisma);

    const plain = await subgraph.execute<{ _entities: Entity[] }>(ENTITIES("id status total { amount }"), { r }, { identity: owner });
    expect(plain.errors).toBeUndefined();
    expect(plain.data!._entities.map((o) => o?.id)).toEqual(ids);
    expect(plain.data!._entities.every((o) => o?.status === "PENDING" && o.total.amount === 2 * product(1).priceCents)).toBe(true);
    expect(counter.count).toBe(1);

    counter.reset();
    const withLines = await subgraph.execute<{ _entities: Entity[] }>(ENTITIES("id status total { amount } lines { quantity }"), { r }, { identity: owner });
    expect(withLines.errors).toBeUndefined();
    expect(withLines.data!._entities.every((o) => o?.lines?.length === 1 && o.lines[0]?.quantity === 2)).toBe(true);
    expect(counter.count).toBe(2);
  });

  it("applies the order(id) rule: owner or admin, otherwise null", async () => {
    const r = [delivered, shipped, paid].map((o) => ({ __typename: "Order", id: o.id }));
    const query = ENTITIES("id");
    const asAda = await subgraph.execute<{ _entities: Entity[] }>(query, { r }, { identity: ada });
    expect(asAda.errors).toBeUndefined();
    expect(asAda.data!._entities).toEqual([{ id: delivered.id }, null, null]);
    const asAdmin = await subgraph.execute<{ _entities: Entity[] }>(query, { r }, { identity: admin() });
    expect(asAdmin.data!._entities.map((o) => o?.id)).toEqual(r.map((x) => x.id));

    const counter = countQueries(prisma);
    const anonymous = await subgraph.execute<{ _entities: Entity[] }>(query, { r });
    expect(anonymous.data!._entities).toEqual([null, null, null]);
    expect(counter.count).toBe(0);

    const odd = await subgraph.execute<{ _entities: Entity[] }>(query, { r: [{ __typename: "Order", id: UNKNOWN_ID }, { __typename: "Order", id: "not-a-uuid" }] }, { identity: admin() });
    expect(odd.errors).toBeUndefined();
    expect(odd.data!._entities).toEqual([null, null]);
  });
});
