import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { streamNames } from "@store/events";
import type { Platform } from "../src/index.ts";
import { operation, request, startTestPlatform } from "./harness.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { eventually, sagaClient, sql } from "./saga.ts";

/**
 * The order saga on real PostgreSQL and NATS JetStream, through the router:
 * each test places orders as a customer and watches them move by events.
 */
const namespace = `saga${randomBytes(3).toString("hex")}.`;
const streams = streamNames(namespace);
let platform: Platform;
let client: ReturnType<typeof sagaClient>;

beforeAll(async () => {
  platform = await startTestPlatform({ events: { kind: "nats", url: SHARED_NATS_URL, namespace } });
  client = sagaClient(platform.routerUrl);
}, 180_000);

afterAll(async () => {
  const nc = await connect({ servers: SHARED_NATS_URL });
  const jsm = await jetstreamManager(nc);
  await platform?.stop();
  for (const stream of [streams.events, streams.deadLetter]) await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

const inStock = demoProducts.filter((p) => p.stock >= 20);

describe("the order saga on NATS JetStream", () => {
  it("takes an order from PENDING to DELIVERED, keeping every status change", async () => {
    const { token } = await client.signUp("happy");
    const [a, b] = inStock;
    const before = await client.stock(a!.id);
    const orderId = await client.placeOrder(token, [{ productId: a!.id, quantity: 2 }, { productId: b!.id, quantity: 1 }]);
    const paid = await client.waitForStatus(token, orderId, "PAID");
    expect(paid.payment).toMatchObject({ status: "CAPTURED", amount: { amount: paid.total.amount } });
    expect((await client.stock(a!.id))!.reserved).toBe(before!.reserved + 2);
    expect(await client.advanceShipment(orderId)).toBe("DISPATCHED");
    await client.waitForStatus(token, orderId, "SHIPPED");
    // Dispatch takes the goods out of the warehouse: on hand drops, the reservation is spent.
    await eventually("stock committed", async () => {
      const now = await client.stock(a!.id);
      return now!.onHand === before!.onHand - 2 && now!.reserved === before!.reserved ? now : undefined;
    });
    expect(await client.advanceShipment(orderId)).toBe("DELIVERED");
    const delivered = await client.waitForStatus(token, orderId, "DELIVERED");
    expect(delivered.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"]);
    expect(delivered.shipment.status).toBe("DELIVERED");
  });

  it("cancels an order whose card is declined and puts the stock back", async () => {
    const { token } = await client.signUp("declined");
    const product = inStock[2]!;
    const before = await client.stock(product.id);
    const orderId = await client.placeOrder(token, [{ productId: product.id, quantity: 3 }], "tok_declined");
    const cancelled = await client.waitForStatus(token, orderId, "CANCELLED");
    expect(cancelled.payment).toMatchObject({ status: "FAILED" });
    expect(cancelled.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    await eventually("stock released", async () => {
      const now = await client.stock(product.id);
      return now!.available === before!.available && now!.reserved === before!.reserved ? now : undefined;
    });
  });

  it("charges a card that fails once, after a retry", async () => {
    const { token } = await client.signUp("flaky");
    const orderId = await client.placeOrder(token, [{ productId: inStock[3]!.id, quantity: 1 }], "tok_flaky");
    const paid = await client.waitForStatus(token, orderId, "PAID");
    expect(paid.payment.status).toBe("CAPTURED");
  });

  it("empties the cart of the products that were ordered", async () => {
    const { token } = await client.signUp("cart");
    const product = inStock[4]!;
    await request(platform.routerUrl, operation("storefront/AddToCart"), { productId: product.id, quantity: 2 }, token);
    await client.placeOrder(token, [{ productId: product.id, quantity: 2 }]);
    await eventually("cart emptied", async () => {
      const cart = await request(platform.routerUrl, operation("storefront/MyCart"), {}, token);
      return cart.data?.myCart?.itemCount === 0 ? true : undefined;
    });
  });

  it("sells the last 10 units to exactly 10 of 50 concurrent orders", async () => {
    const admin = await client.admin();
    const sku = `LAST-${randomBytes(3).toString("hex").toUpperCase()}`;
    const created = await request(platform.routerUrl, operation("backoffice/CreateProduct"), {
      input: { sku, name: "Last Ten Lamp", description: "Only ten were ever made.", categoryId: demoProducts[0]!.categoryId, price: { amount: 2500, currency: "USD" } },
    }, admin);
    expect(created.errors).toBeUndefined();
    const productId: string = created.data.createProduct.id;
    // ProductCreated reaches inventory (a stock row) and orders (a price) by events.
    await eventually("inventory to know the product", async () => {
      const restocked = await request(platform.routerUrl, operation("backoffice/Restock"), { productId, quantity: 10 }, admin);
      return restocked.errors ? undefined : restocked;
    });
    const customers = await Promise.all(Array.from({ length: 50 }, (_, i) => client.signUp(`rush${i}`)));
    await eventually("orders to know the price", async () => {
      const prices = await sql<{ n: string }>(platform.databaseUrls.orders!, `SELECT count(*) AS n FROM "ProductPrice" WHERE "productId" = $1`, [productId]);
      return Number(prices[0]!.n) === 1 ? true : undefined;
    });
    const orders = await Promise.all(customers.map(async (c) => ({ token: c.token, id: await client.placeOrder(c.token, [{ productId, quantity: 1 }]) })));
    const final = await Promise.all(
      orders.map((o) =>
        eventually(`order ${o.id} to settle`, async () => {
          const order = await client.order(o.token, o.id);
          return order.status === "PAID" || order.status === "CANCELLED" ? (order.status as string) : undefined;
          // Generous: beside another test run on 2 cores, 50 orders' saga events queue one at a time per consumer.
        }, 180_000),
      ),
    );
    expect(final.filter((s) => s === "PAID")).toHaveLength(10);
    expect(final.filter((s) => s === "CANCELLED")).toHaveLength(40);
    expect(await client.stock(productId)).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
  }, 300_000);

  it("has no second effect when every event is delivered again", async () => {
    const { token } = await client.signUp("twice");
    const orderId = await client.placeOrder(token, [{ productId: inStock[5]!.id, quantity: 1 }]);
    await client.waitForStatus(token, orderId, "PAID");
    await client.advanceShipment(orderId);
    await client.waitForStatus(token, orderId, "SHIPPED");

    const snapshot = async () => ({
      history: await sql(platform.databaseUrls.orders!, `SELECT "toStatus" FROM "OrderStatusChange" WHERE "orderId" = $1 ORDER BY "at"`, [orderId]),
      stock: await client.stock(inStock[5]!.id),
      payments: await sql(platform.databaseUrls.payments!, `SELECT "status", "attempts" FROM "Payment" WHERE "orderId" = $1`, [orderId]),
      refunds: await sql(platform.databaseUrls.payments!, `SELECT count(*) AS n FROM "Refund"`),
      shipments: await sql(platform.databaseUrls.shipping!, `SELECT "status" FROM "Shipment" WHERE "orderId" = $1`, [orderId]),
    });
    const before = await snapshot();

    // Publish every event of every outbox again, without a message id, so the
    // broker cannot drop them: only the consumers' inboxes stand in the way.
    const nc = await connect({ servers: SHARED_NATS_URL });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    let republished = 0;
    for (const url of Object.values(platform.databaseUrls)) {
      // Cart emits nothing, but every service has the table; catch keeps this honest if one does not.
      const rows = await sql<{ envelope: { type: string; source: string } }>(url, `SELECT "envelope" FROM "OutboxEvent" WHERE "publishedAt" IS NOT NULL ORDER BY "position"`);
      for (const { envelope } of rows) {
        await js.publish(`${namespace}events.${envelope.source}.${envelope.type}`, JSON.stringify(envelope));
        republished++;
      }
    }
    expect(republished).toBeGreaterThan(10);
    // Every durable consumer has caught up with the duplicates when none has anything pending.
    await eventually("consumers to drain the duplicates", async () => {
      let outstanding = 0;
      for await (const info of jsm.consumers.list(streams.events)) outstanding += info.num_pending + info.num_ack_pending;
      return outstanding === 0 ? true : undefined;
    }, 60_000);
    await nc.close();
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it("dead-letters a malformed event and keeps going", { timeout: 90_000 }, async () => {
    const nc = await connect({ servers: SHARED_NATS_URL });
    const js = jetstream(nc);
    await js.publish(`${namespace}events.orders.OrderPlaced`, JSON.stringify({ id: "not-an-event" }));
    const jsm = await jetstreamManager(nc);
    await eventually("a dead letter", async () => ((await jsm.streams.info(streams.deadLetter)).state.messages > 0 ? true : undefined));
    const dead = await jsm.streams.getMessage(streams.deadLetter, { seq: 1 });
    expect(dead?.header.get("Store-Dead-Letter-Reason")).toMatch(/^bad envelope/);
    await nc.close();
    // The consumers that got the poison still serve the next order.
    const { token } = await client.signUp("after-poison");
    const orderId = await client.placeOrder(token, [{ productId: inStock[6]!.id, quantity: 1 }]);
    await client.waitForStatus(token, orderId, "PAID");
  });

  it("completes the saga after a consuming service restarts mid-way", { timeout: 90_000 }, async () => {
    const { token } = await client.signUp("restart");
    await platform.stopService("payments");
    try {
      const orderId = await client.placeOrder(token, [{ productId: inStock[7]!.id, quantity: 1 }]);
      // Stock is reserved, but nobody charges while payments is down.
      await client.waitForStatus(token, orderId, "AWAITING_PAYMENT");
      await new Promise((r) => setTimeout(r, 500));
      expect((await client.order(token, orderId)).status).toBe("AWAITING_PAYMENT");
      await platform.startService("payments");
      await client.waitForStatus(token, orderId, "PAID");
    } finally {
      await platform.startService("payments").catch(() => {});
    }
  });

  it("shows consumer lag and dead letters in /metrics", async () => {
    const base = platform.subgraphUrls.orders!.replace(/\/graphql$/, "");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/events_consumer_lag\{consumer="orders-saga"\} \d+/);
    expect(metrics).toMatch(/events_outbox_pending\{service="orders"\} 0/);
    expect(metrics).toMatch(/events_published_total\{type="OrderPlaced"\} \d+/);
  });
});
