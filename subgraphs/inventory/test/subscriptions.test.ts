import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInProcessBus } from "@store/events";
import { silentLogger, type Identity, type RunningSubgraph, type Subgraph } from "@store/kit";
import { admin, connectSubgraph, createTestDatabase, customer, eventually, recordSubscription, TEST_SIGNING_SECRET, type SubgraphClient, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { inventoryService } from "../src/service.ts";
import { stockChanged } from "../src/stockChanged.ts";
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
  db = await createTestDatabase({ prismaDir, label: "inventory_subscriptions" });
  prisma = inventoryService.createPrisma({ url: db.url });
  bus = createInProcessBus({ logger: silentLogger });
  ({ subgraph, events } = inventoryService.build({ prisma, bus, logger: silentLogger, pollIntervalMs: 50 }));
  // Started: a mutation's StockChanged goes out through the real outbox relay.
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

async function stockedProduct(onHand: number): Promise<string> {
  const productId = randomUUID();
  await prisma.stockItem.create({ data: { productId, onHand } });
  return productId;
}

const STOCK_CHANGED = `subscription($id: ID!) { stockChanged(productId: $id) { id stock inStock } }`;
type StockUpdate = { stockChanged: { id: string; stock: number; inStock: boolean } };

describe("stockChanged", () => {
  it("gives anyone, signed in or not, each change of one product, in order, with the counters that change left", async () => {
    const productId = await stockedProduct(3);
    const other = await stockedProduct(3);
    const anonymous = recordSubscription<StockUpdate>(connect(null), STOCK_CHANGED, { id: productId });
    const signedIn = recordSubscription<StockUpdate>(connect(customer()), STOCK_CHANGED, { id: productId });
    await eventually(() => bus.listenerCount() === 2);
    const steps = [
      { onHand: 3, reserved: 1 },
      { onHand: 3, reserved: 3 },
      { onHand: 0, reserved: 0 },
    ];
    for (const counters of steps) {
      await bus.publish(stockChanged({ productId: other, ...counters }));
      await bus.publish(stockChanged({ productId, ...counters }));
    }
    for (const sub of [anonymous, signedIn]) {
      const updates = await sub.take(3);
      expect(updates.map((u) => u.data?.stockChanged)).toEqual([
        { id: productId, stock: 2, inStock: true },
        { id: productId, stock: 0, inStock: false },
        { id: productId, stock: 0, inStock: false },
      ]);
    }
  });

  it("delivers a restock as it happens: mutation, outbox, relay, bus, subscriber", async () => {
    const productId = await stockedProduct(0);
    const sub = recordSubscription<StockUpdate>(connect(null), STOCK_CHANGED, { id: productId });
    await eventually(() => bus.listenerCount() === 1);
    const restocked = await subgraph.execute(`mutation($id: ID!) { restock(productId: $id, quantity: 5) { id } }`, { id: productId }, { identity: admin() });
    expect(restocked.errors).toBeUndefined();
    expect((await sub.take(1))[0]?.data?.stockChanged).toEqual({ id: productId, stock: 5, inStock: true });
  });

  it("refuses a malformed product id with BAD_USER_INPUT", async () => {
    const sub = recordSubscription(connect(null), STOCK_CHANGED, { id: "42" });
    await sub.ended();
    expect(sub.results[0]?.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });

  it("releases the bus listener when the client unsubscribes", async () => {
    const sub = recordSubscription(connect(null), STOCK_CHANGED, { id: await stockedProduct(1) });
    await eventually(() => bus.listenerCount() === 1);
    sub.unsubscribe();
    await eventually(() => bus.listenerCount() === 0, { what: "unsubscribe to release the listener" });
  });
});
