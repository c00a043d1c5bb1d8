import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { createEvent, createInProcessBus, createNatsBus, type EventBus } from "@store/events";
import { silentLogger, type Identity, type RunningSubgraph, type Subgraph } from "@store/kit";
import { admin, connectSubgraph, createTestDatabase, customer, eventually, recordSubscription, staysAt, TEST_SIGNING_SECRET, type SubgraphClient, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import type { OrderStatus } from "../src/generated/prisma/enums.ts";
import { ordersService } from "../src/service.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let bus: ReturnType<typeof createInProcessBus>;
let subgraph: Subgraph<Context>;
let running: RunningSubgraph;
/** The same subgraph with a one-event queue per subscriber, for the overflow test. */
let tinyQueue: Subgraph<Context>;
let tinyRunning: RunningSubgraph;
const clients: SubgraphClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "orders_subscriptions" });
  prisma = ordersService.createPrisma({ url: db.url });
  bus = createInProcessBus({ logger: silentLogger });
  // Its relay never started: the tests publish the events themselves, right after the change they describe.
  subgraph = ordersService.build({ prisma, bus, logger: silentLogger }).subgraph;
  running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  tinyQueue = ordersService.build({ prisma, bus, logger: silentLogger, subscriptionQueue: 1 }).subgraph;
  tinyRunning = await tinyQueue.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  // No test may leave a listener or a socket behind.
  await eventually(() => bus.listenerCount() === 0 && running.webSocketConnections() === 0 && tinyRunning.webSocketConnections() === 0, { what: "every subscription and socket to be released" });
});

afterAll(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await subgraph?.stop();
  await tinyQueue?.stop();
  await bus?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

function connect(identity: Identity | null, url = running.subscriptionsUrl!) {
  const client = connectSubgraph(url, { identity });
  clients.push(client);
  return client.client;
}

const product = demoProducts[0]!;

/** A PENDING order for `customerId`, written straight to the database. */
async function pendingOrder(customerId: string): Promise<string> {
  const id = randomUUID();
  await prisma.order.create({
    data: {
      id,
      customerId,
      totalCents: 2 * product.priceCents,
      paymentToken: "tok_visa",
      lines: { create: { productId: product.id, productName: product.name, unitPriceCents: product.priceCents, quantity: 2 } },
      statusChanges: { create: { toStatus: "PENDING", reason: "placed" } },
    },
  });
  return id;
}

/** Writes a status change, then publishes its OrderStatusChanged, as the outbox relay would after the commit. */
async function change(orderId: string, customerId: string, from: OrderStatus, to: OrderStatus, on: EventBus = bus) {
  await prisma.order.update({ where: { id: orderId }, data: { status: to, statusChanges: { create: { fromStatus: from, toStatus: to, reason: `test ${to}` } } } });
  await on.publish(createEvent("OrderStatusChanged", { orderId, customerId, from, to, reason: `test ${to}` }, { aggregateId: orderId }));
}

const LIFECYCLE: OrderStatus[] = ["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"];

const ORDER_UPDATED = /* GraphQL */ `
  subscription($id: ID!) {
    orderUpdated(orderId: $id) { id status customer { id } total { amount currency } lines { quantity productName product { id } } statusHistory { from to } }
  }
`;
type OrderUpdate = {
  id: string;
  status: string;
  customer: { id: string };
  total: { amount: number; currency: string };
  lines: { quantity: number; productName: string; product: { id: string } }[];
  statusHistory: { from: string | null; to: string }[];
};
const MY_ORDER_UPDATES = `subscription { myOrderUpdates { id status customer { id } } }`;

const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] } | undefined) => (result?.errors ?? []).map((e) => e.extensions?.code);

describe("orderUpdated", () => {
  it("gives the owner each status change, in order, with the order read fresh for each", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const sub = recordSubscription<{ orderUpdated: OrderUpdate }>(connect(ada), ORDER_UPDATED, { id: orderId });
    await eventually(() => bus.listenerCount() === 1, { what: "the subscription to listen" });
    for (let step = 1; step < LIFECYCLE.length; step++) {
      await change(orderId, ada.userId, LIFECYCLE[step - 1]!, LIFECYCLE[step]!);
      const update = (await sub.take(step))[step - 1]!;
      expect(update.errors).toBeUndefined();
      expect(update.data!.orderUpdated).toMatchObject({
        id: orderId,
        status: LIFECYCLE[step],
        customer: { id: ada.userId },
        total: { amount: 2 * product.priceCents, currency: "USD" },
        lines: [{ quantity: 2, productName: product.name, product: { id: product.id } }],
      });
      // Read at delivery, not cached from the event before.
      expect(update.data!.orderUpdated.statusHistory.map((c) => c.to)).toEqual(LIFECYCLE.slice(0, step + 1));
    }
    expect(sub.results).toHaveLength(LIFECYCLE.length - 1);
  });

  it("keeps every step in order even when the order has moved on before an event is delivered", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const other = await pendingOrder(ada.userId);
    const sub = recordSubscription<{ orderUpdated: OrderUpdate }>(connect(ada), ORDER_UPDATED, { id: orderId });
    await eventually(() => bus.listenerCount() === 1);
    for (let step = 1; step < LIFECYCLE.length; step++) {
      await change(other, ada.userId, LIFECYCLE[step - 1]!, LIFECYCLE[step]!);
      await change(orderId, ada.userId, LIFECYCLE[step - 1]!, LIFECYCLE[step]!);
    }
    const updates = await sub.take(LIFECYCLE.length - 1);
    expect(updates.map((u) => [u.data?.orderUpdated.id, u.data?.orderUpdated.status])).toEqual(LIFECYCLE.slice(1).map((s) => [orderId, s]));
  });

  it("lets an admin watch anyone's order", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const sub = recordSubscription<{ orderUpdated: OrderUpdate }>(connect(admin()), ORDER_UPDATED, { id: orderId });
    await eventually(() => bus.listenerCount() === 1);
    await change(orderId, ada.userId, "PENDING", "CANCELLED");
    expect((await sub.take(1))[0]?.data?.orderUpdated).toMatchObject({ id: orderId, status: "CANCELLED" });
  });

  it("answers another customer's order exactly like a missing one, and keeps no listener", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const grace = connect(customer());
    const theirs = recordSubscription(grace, ORDER_UPDATED, { id: orderId });
    const missing = recordSubscription(grace, ORDER_UPDATED, { id: randomUUID() });
    for (const sub of [theirs, missing]) {
      expect((await sub.ended()).error).toBeUndefined();
      expect(sub.results).toHaveLength(1);
      // A refusal at subscribe time carries no data at all (graphql-js: { errors }), then completes.
      expect(sub.results[0]?.data).toBeUndefined();
      expect(codes(sub.results[0])).toEqual(["NOT_FOUND"]);
    }
    expect(theirs.results[0]?.errors?.[0]?.message).toBe(missing.results[0]?.errors?.[0]?.message.replace(/[0-9a-f-]{36}/, orderId));
    expect(bus.listenerCount()).toBe(0);
  });

  it("refuses an anonymous caller with UNAUTHENTICATED and a malformed id with BAD_USER_INPUT", async () => {
    const anonymous = recordSubscription(connect(null), ORDER_UPDATED, { id: await pendingOrder(randomUUID()) });
    await anonymous.ended();
    expect(codes(anonymous.results[0])).toEqual(["UNAUTHENTICATED"]);
    const malformed = recordSubscription(connect(customer()), ORDER_UPDATED, { id: "not-a-uuid" });
    await malformed.ended();
    expect(codes(malformed.results[0])).toEqual(["BAD_USER_INPUT"]);
  });

  it("closes a connection that the router did not sign with 4403", async () => {
    const unsigned = connectSubgraph(running.subscriptionsUrl!, { connectionParams: { "x-request-id": "r1" } });
    clients.push(unsigned);
    const sub = recordSubscription(unsigned.client, ORDER_UPDATED, { id: randomUUID() });
    expect((await unsigned.closed).code).toBe(4403);
    await sub.ended();
    expect(sub.results).toEqual([]);
  });

  it("releases the bus listener when the client unsubscribes", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const client = connect(ada);
    const sub = recordSubscription<{ orderUpdated: OrderUpdate }>(client, ORDER_UPDATED, { id: orderId });
    const other = recordSubscription(client, MY_ORDER_UPDATES);
    await eventually(() => bus.listenerCount() === 2);
    sub.unsubscribe();
    await eventually(() => bus.listenerCount() === 1, { what: "unsubscribe to release exactly its own listener" });
    await change(orderId, ada.userId, "PENDING", "AWAITING_PAYMENT");
    await other.take(1);
    expect(sub.results).toEqual([]);
    other.unsubscribe();
    await eventually(() => bus.listenerCount() === 0);
  });

  it("ends a subscriber that falls behind its queue with SUBSCRIPTION_OVERFLOW", async () => {
    const ada = customer();
    const orderId = await pendingOrder(ada.userId);
    const sub = recordSubscription(connect(ada, tinyRunning.subscriptionsUrl!), ORDER_UPDATED, { id: orderId });
    await eventually(() => bus.listenerCount() === 1);
    // Published back to back, without yielding: the subgraph reads none of them before the queue (1) is exceeded.
    const burst = LIFECYCLE.slice(1).map((to, i) => createEvent("OrderStatusChanged", { orderId, customerId: ada.userId, from: LIFECYCLE[i]!, to, reason: "burst" }, { aggregateId: orderId }));
    await Promise.all(burst.map((event) => bus.publish(event)));
    const { error } = await sub.ended();
    expect((error as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code).toBe("SUBSCRIPTION_OVERFLOW");
    await eventually(() => bus.listenerCount() === 0, { what: "the overflowed subscription to release its listener" });
  });
});

describe("myOrderUpdates", () => {
  it("gives a customer the changes of their own orders only, and an admin everyone's", async () => {
    const ada = customer();
    const grace = customer();
    const [adas, graces] = [await pendingOrder(ada.userId), await pendingOrder(grace.userId)];
    type Update = { myOrderUpdates: { id: string; status: string; customer: { id: string } } };
    const mine = recordSubscription<Update>(connect(ada), MY_ORDER_UPDATES);
    const all = recordSubscription<Update>(connect(admin()), MY_ORDER_UPDATES);
    await eventually(() => bus.listenerCount() === 2);
    await change(graces, grace.userId, "PENDING", "AWAITING_PAYMENT");
    await change(adas, ada.userId, "PENDING", "AWAITING_PAYMENT");
    await change(adas, ada.userId, "AWAITING_PAYMENT", "PAID");
    const adaSaw = await mine.take(2);
    expect(adaSaw.map((r) => [r.data?.myOrderUpdates.id, r.data?.myOrderUpdates.status, r.data?.myOrderUpdates.customer.id])).toEqual([
      [adas, "AWAITING_PAYMENT", ada.userId],
      [adas, "PAID", ada.userId],
    ]);
    const adminSaw = await all.take(3);
    expect(adminSaw.map((r) => [r.data?.myOrderUpdates.id, r.data?.myOrderUpdates.status])).toEqual([
      [graces, "AWAITING_PAYMENT"],
      [adas, "AWAITING_PAYMENT"],
      [adas, "PAID"],
    ]);
    expect(mine.results).toHaveLength(2);
  });

  it("refuses an anonymous caller with UNAUTHENTICATED", async () => {
    const sub = recordSubscription(connect(null), MY_ORDER_UPDATES);
    await sub.ended();
    expect(codes(sub.results[0])).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("on NATS, with two instances of the subgraph", () => {
  /** The machine's NATS with JetStream (CI has one), in a namespace of this test's own. */
  const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

  it("delivers every change once, in order, to subscribers on either instance, whichever instance published it", async () => {
    const namespace = `t${randomBytes(4).toString("hex")}.`;
    const buses = [await createNatsBus({ url: NATS_URL, name: "orders-a", logger: silentLogger, namespace }), await createNatsBus({ url: NATS_URL, name: "orders-b", logger: silentLogger, namespace })];
    const instances = buses.map((natsBus) => ordersService.build({ prisma, bus: natsBus, logger: silentLogger }).subgraph);
    const ownClients: SubgraphClient[] = [];
    try {
      const [a, b] = await Promise.all(instances.map((instance) => instance.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET })));
      const ada = customer();
      const orderId = await pendingOrder(ada.userId);
      const subscribe = (url: string, identity: Identity) => {
        const client = connectSubgraph(url, { identity });
        ownClients.push(client);
        return recordSubscription<{ orderUpdated: OrderUpdate }>(client.client, ORDER_UPDATED, { id: orderId });
      };
      const onA = subscribe(a!.subscriptionsUrl!, ada);
      const onB = subscribe(b!.subscriptionsUrl!, ada);
      const adminOnB = subscribe(b!.subscriptionsUrl!, admin());
      await eventually(() => buses[0]!.listenerCount() === 1 && buses[1]!.listenerCount() === 2, { what: "subscriptions on both instances to listen" });
      // Published by either instance, as the relay of whichever instance committed the change would.
      for (let step = 1; step < LIFECYCLE.length; step++) await change(orderId, ada.userId, LIFECYCLE[step - 1]!, LIFECYCLE[step]!, buses[step % 2]!);
      for (const sub of [onA, onB, adminOnB]) {
        const updates = await sub.take(LIFECYCLE.length - 1);
        expect(updates.map((u) => u.data?.orderUpdated.status)).toEqual(LIFECYCLE.slice(1));
      }
      // Nothing arrives twice: each instance hears each change once, whichever published it.
      await Promise.all([onA, onB, adminOnB].map((sub) => staysAt(() => sub.results.length, LIFECYCLE.length - 1, { what: "updates", quietMs: 200 })));
    } finally {
      for (const client of ownClients) await client.dispose();
      for (const instance of instances) await instance.stop();
      await buses[0]!.deleteStreams();
      for (const natsBus of buses) await natsBus.close();
    }
  });
});
