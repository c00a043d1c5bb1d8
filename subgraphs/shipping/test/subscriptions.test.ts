import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInProcessBus } from "@store/events";
import { silentLogger, type Identity, type RunningSubgraph, type Subgraph } from "@store/kit";
import { admin, connectSubgraph, createTestDatabase, customer, eventually, recordSubscription, staysAt, TEST_SIGNING_SECRET, type SubgraphClient, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { shippingService } from "../src/service.ts";
import { createShipmentForOrder, shipmentStepEvent } from "../src/shipments.ts";
import type { Db, Events } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let bus: ReturnType<typeof createInProcessBus>;
let events: Events;
let subgraph: Subgraph<Context>;
let running: RunningSubgraph;
const clients: SubgraphClient[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "shipping_subscriptions" });
  prisma = shippingService.createPrisma({ url: db.url });
  bus = createInProcessBus({ logger: silentLogger });
  ({ subgraph, events } = shippingService.build({ prisma, bus, logger: silentLogger, pollIntervalMs: 50 }));
  // Started: advanceShipment's events go out through the real outbox relay.
  events.start();
  running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await eventually(() => bus.listenerCount() === 0 && running.webSocketConnections() === 0, { what: "every subscription and socket to be released" });
});

afterAll(async () => {
  for (const client of clients.splice(0)) await client.dispose();
  await subgraph?.stop();
  await events?.stop();
  await bus?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

function connect(identity: Identity | null) {
  const client = connectSubgraph(running.subscriptionsUrl!, { identity });
  clients.push(client);
  return client.client;
}

const newShipment = (customerId: string) => prisma.$transaction((tx) => createShipmentForOrder(tx, { orderId: randomUUID(), customerId }));

const ADVANCE = `mutation($id: ID!) { advanceShipment(shipmentId: $id) { status } }`;
const SHIPMENT_UPDATED = `subscription($orderId: ID!) { shipmentUpdated(orderId: $orderId) { id status order { id } trackingNumber dispatchedAt deliveredAt history { status } } }`;
type ShipmentUpdate = {
  shipmentUpdated: { id: string; status: string; order: { id: string }; trackingNumber: string; dispatchedAt: string | null; deliveredAt: string | null; history: { status: string }[] };
};
const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] } | undefined) => (result?.errors ?? []).map((e) => e.extensions?.code);

describe("shipmentUpdated", () => {
  it("gives the customer and an admin each step as an admin advances it: mutation, outbox, relay, bus, subscriber", async () => {
    const ada = customer();
    const shipment = await newShipment(ada.userId);
    const owner = recordSubscription<ShipmentUpdate>(connect(ada), SHIPMENT_UPDATED, { orderId: shipment.orderId });
    const watcher = recordSubscription<ShipmentUpdate>(connect(admin()), SHIPMENT_UPDATED, { orderId: shipment.orderId });
    await eventually(() => bus.listenerCount() === 2);
    for (const expected of ["DISPATCHED", "DELIVERED"]) {
      const advanced = await subgraph.execute(ADVANCE, { id: shipment.id }, { identity: admin() });
      expect(advanced.errors).toBeUndefined();
      expect(advanced.data).toEqual({ advanceShipment: { status: expected } });
    }
    for (const sub of [owner, watcher]) {
      const [dispatched, delivered] = (await sub.take(2)).map((r) => r.data!.shipmentUpdated);
      expect(dispatched).toMatchObject({ id: shipment.id, status: "DISPATCHED", order: { id: shipment.orderId }, trackingNumber: shipment.trackingNumber, deliveredAt: null });
      expect(dispatched!.dispatchedAt).not.toBeNull();
      expect(delivered).toMatchObject({ id: shipment.id, status: "DELIVERED", history: [{ status: "PENDING" }, { status: "DISPATCHED" }, { status: "DELIVERED" }] });
      expect(delivered!.deliveredAt).not.toBeNull();
    }
  });

  it("refuses another customer once the shipment exists (NOT_FOUND), and keeps no listener", async () => {
    const shipment = await newShipment(randomUUID());
    const sub = recordSubscription(connect(customer()), SHIPMENT_UPDATED, { orderId: shipment.orderId });
    await sub.ended();
    expect(codes(sub.results[0])).toEqual(["NOT_FOUND"]);
    expect(bus.listenerCount()).toBe(0);
  });

  it("accepts a subscription before the shipment exists, and delivers only its customer's steps", async () => {
    const ada = customer();
    const orderId = randomUUID();
    const mine = recordSubscription<ShipmentUpdate>(connect(ada), SHIPMENT_UPDATED, { orderId });
    const stranger = recordSubscription<ShipmentUpdate>(connect(customer()), SHIPMENT_UPDATED, { orderId });
    await eventually(() => bus.listenerCount() === 2);
    // The payment is captured; shipping opens the shipment and dispatches it.
    const shipment = await prisma.$transaction((tx) => createShipmentForOrder(tx, { orderId, customerId: ada.userId }));
    const dispatched = await prisma.shipment.update({ where: { id: shipment.id }, data: { status: "DISPATCHED", dispatchedAt: new Date() } });
    await bus.publish(shipmentStepEvent(dispatched, "DISPATCHED"));
    expect((await mine.take(1))[0]?.data?.shipmentUpdated).toMatchObject({ id: shipment.id, status: "DISPATCHED" });
    await staysAt(() => stranger.results.length, 0, { what: "updates to a stranger", quietMs: 100 });
  });

  it("refuses an anonymous caller with UNAUTHENTICATED and a malformed order id with BAD_USER_INPUT", async () => {
    const anonymous = recordSubscription(connect(null), SHIPMENT_UPDATED, { orderId: randomUUID() });
    await anonymous.ended();
    expect(codes(anonymous.results[0])).toEqual(["UNAUTHENTICATED"]);
    const malformed = recordSubscription(connect(customer()), SHIPMENT_UPDATED, { orderId: "order-1" });
    await malformed.ended();
    expect(codes(malformed.results[0])).toEqual(["BAD_USER_INPUT"]);
  });

  it("releases the bus listener when the client unsubscribes", async () => {
    const ada = customer();
    const sub = recordSubscription(connect(ada), SHIPMENT_UPDATED, { orderId: randomUUID() });
    await eventually(() => bus.listenerCount() === 1);
    sub.unsubscribe();
    await eventually(() => bus.listenerCount() === 0, { what: "unsubscribe to release the listener" });
  });
});
