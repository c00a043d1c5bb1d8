import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { partitionDurables } from "@store/events";
import { eventually } from "@store/testing";
import { operation, PLATFORM_POLL_MS, request } from "./harness.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { sql, useNatsSagaPlatform } from "./saga.ts";

/**
 * The order saga on real PostgreSQL and NATS JetStream, through the router:
 * each test places orders as a customer and watches them move by events.
 */
const saga = useNatsSagaPlatform("saga");
const { namespace, streams } = saga;

const inStock = demoProducts.filter((p) => p.stock >= 20);

// Each test waits on several saga steps, each of which may take the whole `eventually` deadline beside another test run.
describe("the order saga on NATS JetStream", { timeout: 180_000 }, () => {
  it("takes an order from PENDING to DELIVERED, keeping every status change", async () => {
    const { token } = await saga.client.signUp("happy");
    const [a, b] = inStock;
    const before = await saga.client.stock(a!.id);
    const orderId = await saga.client.placeOrder(token, [{ productId: a!.id, quantity: 2 }, { productId: b!.id, quantity: 1 }]);
    const paid = await saga.client.waitForStatus(token, orderId, "PAID");
    expect(paid.payment).toMatchObject({ status: "CAPTURED", amount: { amount: paid.total.amount } });
    expect((await saga.client.stock(a!.id))!.reserved).toBe(before!.reserved + 2);
    expect(await saga.client.advanceShipment(orderId)).toBe("DISPATCHED");
    await saga.client.waitForStatus(token, orderId, "SHIPPED");
    // Dispatch takes the goods out of the warehouse: on hand drops, the reservation is spent.
    await eventually(
      async () => {
        const now = await saga.client.stock(a!.id);
        return now!.onHand === before!.onHand - 2 && now!.reserved === before!.reserved;
      },
      { what: "stock committed", intervalMs: PLATFORM_POLL_MS },
    );
    expect(await saga.client.advanceShipment(orderId)).toBe("DELIVERED");
    const delivered = await saga.client.waitForStatus(token, orderId, "DELIVERED");
    expect(delivered.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED"]);
    expect(delivered.shipment.status).toBe("DELIVERED");
  });

  it("cancels an order whose card is declined and puts the stock back", async () => {
    const { token } = await saga.client.signUp("declined");
    const product = inStock[2]!;
    const before = await saga.client.stock(product.id);
    const orderId = await saga.client.placeOrder(token, [{ productId: product.id, quantity: 3 }], "tok_declined");
    const cancelled = await saga.client.waitForStatus(token, orderId, "CANCELLED");
    expect(cancelled.payment).toMatchObject({ status: "FAILED" });
    expect(cancelled.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    await eventually(
      async () => {
        const now = await saga.client.stock(product.id);
        return now!.available === before!.available && now!.reserved === before!.reserved;
      },
      { what: "stock released", intervalMs: PLATFORM_POLL_MS },
    );
  });

  it("charges a card that fails once, after a retry", async () => {
    const { token } = await saga.client.signUp("flaky");
    const orderId = await saga.client.placeOrder(token, [{ productId: inStock[3]!.id, quantity: 1 }], "tok_flaky");
    const paid = await saga.client.waitForStatus(token, orderId, "PAID");
    expect(paid.payment.status).toBe("CAPTURED");
  });

  it("empties the cart of the products that were ordered", async () => {
    const { token } = await saga.client.signUp("cart");
    const product = inStock[4]!;
    await request(saga.platform.routerUrl, operation("storefront/AddToCart"), { productId: product.id, quantity: 2 }, token);
    await saga.client.placeOrder(token, [{ productId: product.id, quantity: 2 }]);
    await eventually(async () => (await request(saga.platform.routerUrl, operation("storefront/MyCart"), {}, token)).data?.myCart?.itemCount === 0, { what: "cart emptied", intervalMs: PLATFORM_POLL_MS });
  });

  it("sells the last 10 units to exactly 10 of 50 concurrent orders", async () => {
    const admin = await saga.client.admin();
    const sku = `LAST-${randomBytes(3).toString("hex").toUpperCase()}`;
    const created = await request(saga.platform.routerUrl, operation("backoffice/CreateProduct"), {
      input: { sku, name: "Last Ten Lamp", description: "Only ten were ever made.", categoryId: demoProducts[0]!.categoryId, price: { amount: 2500, currency: "USD" } },
    }, admin);
    expect(created.errors).toBeUndefined();
    const productId: string = created.data.createProduct.id;
    // ProductCreated reaches inventory (a stock row) and orders (a price) by events.
    await eventually(
      async () => {
        const restocked = await request(saga.platform.routerUrl, operation("backoffice/Restock"), { productId, quantity: 10 }, admin);
        if (restocked.errors) throw new Error(JSON.stringify(restocked.errors));
        return true;
      },
      { what: "inventory to know the product", intervalMs: PLATFORM_POLL_MS },
    );
    const customers = await Promise.all(Array.from({ length: 50 }, (_, i) => saga.client.signUp(`rush${i}`)));
    await eventually(
      async () => {
        const prices = await sql<{ n: string }>(saga.platform.databaseUrls.orders!, `SELECT count(*) AS n FROM "ProductPrice" WHERE "productId" = $1`, [productId]);
        return Number(prices[0]!.n) === 1;
      },
      { what: "orders to know the price", intervalMs: PLATFORM_POLL_MS },
    );
    const orders = await Promise.all(customers.map(async (c) => ({ token: c.token, id: await saga.client.placeOrder(c.token, [{ productId, quantity: 1 }]) })));
    // One look at all 50 in their database, not 50 loops through the router: the polling must not be what slows the saga down.
    await eventually(
      async () => {
        const [open] = await sql<{ n: string }>(saga.platform.databaseUrls.orders!, `SELECT count(*) AS n FROM "Order" WHERE "id" = ANY($1::uuid[]) AND "status" NOT IN ('PAID', 'CANCELLED')`, [orders.map((o) => o.id)]);
        if (Number(open!.n) > 0) throw new Error(`${open!.n} of ${orders.length} orders are neither PAID nor CANCELLED`);
        return true;
      },
      // Generous: beside another test run on 2 cores, 50 orders' saga events queue one at a time per consumer.
      { what: "every order to settle", timeoutMs: 240_000, intervalMs: 1_000 },
    );
    const final = await Promise.all(orders.map(async (o) => (await saga.client.order(o.token, o.id)).status as string));
    expect(final.filter((s) => s === "PAID")).toHaveLength(10);
    expect(final.filter((s) => s === "CANCELLED")).toHaveLength(40);
    expect(await saga.client.stock(productId)).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
  }, 420_000);

  it("has no second effect when every event is delivered again", async () => {
    const { token } = await saga.client.signUp("twice");
    const orderId = await saga.client.placeOrder(token, [{ productId: inStock[5]!.id, quantity: 1 }]);
    await saga.client.waitForStatus(token, orderId, "PAID");
    await saga.client.advanceShipment(orderId);
    await saga.client.waitForStatus(token, orderId, "SHIPPED");

    const snapshot = async () => ({
      history: await sql(saga.platform.databaseUrls.orders!, `SELECT "toStatus" FROM "OrderStatusChange" WHERE "orderId" = $1 ORDER BY "at"`, [orderId]),
      stock: await saga.client.stock(inStock[5]!.id),
      payments: await sql(saga.platform.databaseUrls.payments!, `SELECT "status", "attempts" FROM "Payment" WHERE "orderId" = $1`, [orderId]),
      refunds: await sql(saga.platform.databaseUrls.payments!, `SELECT count(*) AS n FROM "Refund"`),
      shipments: await sql(saga.platform.databaseUrls.shipping!, `SELECT "status" FROM "Shipment" WHERE "orderId" = $1`, [orderId]),
    });
    const before = await snapshot();

    // Publish every event of every outbox again, without a message id, so the
    // broker cannot drop them: only the consumers' inboxes stand in the way.
    const nc = await connect({ servers: SHARED_NATS_URL });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    let republished = 0;
    for (const url of Object.values(saga.platform.databaseUrls)) {
      // Cart emits nothing, but every service has the table; catch keeps this honest if one does not.
      const rows = await sql<{ envelope: { type: string; source: string } }>(url, `SELECT "envelope" FROM "OutboxEvent" WHERE "publishedAt" IS NOT NULL ORDER BY "position"`);
      for (const { envelope } of rows) {
        await js.publish(`${namespace}events.${envelope.source}.${envelope.type}`, JSON.stringify(envelope));
        republished++;
      }
    }
    expect(republished).toBeGreaterThan(10);
    // Every durable consumer has caught up with the duplicates when none has anything pending.
    await eventually(
      async () => {
        let outstanding = 0;
        for await (const info of jsm.consumers.list(streams.events)) outstanding += info.num_pending + info.num_ack_pending;
        return outstanding === 0;
      },
      { what: "consumers to drain the duplicates", intervalMs: PLATFORM_POLL_MS },
    );
    await nc.close();
    expect(await snapshot()).toEqual(before);
  });

  it("dead-letters a malformed event and keeps going", async () => {
    const nc = await connect({ servers: SHARED_NATS_URL });
    const js = jetstream(nc);
    await js.publish(`${namespace}events.orders.OrderPlaced.0`, JSON.stringify({ id: "not-an-event" }));
    const jsm = await jetstreamManager(nc);
    await eventually(async () => (await jsm.streams.info(streams.deadLetter)).state.messages > 0, { what: "a dead letter", intervalMs: PLATFORM_POLL_MS });
    const dead = await jsm.streams.getMessage(streams.deadLetter, { seq: 1 });
    expect(dead?.header.get("Store-Dead-Letter-Reason")).toMatch(/^bad envelope/);
    await nc.close();
    // The consumers that got the poison still serve the next order.
    const { token } = await saga.client.signUp("after-poison");
    const orderId = await saga.client.placeOrder(token, [{ productId: inStock[6]!.id, quantity: 1 }]);
    await saga.client.waitForStatus(token, orderId, "PAID");
  });

  it("completes the saga after a consuming service restarts mid-way", async () => {
    const { token } = await saga.client.signUp("restart");
    await saga.platform.stopService("payments");
    try {
      const orderId = await saga.client.placeOrder(token, [{ productId: inStock[7]!.id, quantity: 1 }]);
      // Stock is reserved, but nobody charges while payments is down: what
      // would charge the order (PaymentRequested) waits, unread, in payments' consumer.
      await saga.client.waitForStatus(token, orderId, "AWAITING_PAYMENT");
      const nc = await connect({ servers: SHARED_NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        const partitions = await Promise.all(partitionDurables(namespace, "payments-saga").map((durable) => jsm.consumers.info(streams.events, durable)));
        expect(partitions.reduce((sum, info) => sum + info.num_pending + info.num_ack_pending, 0)).toBeGreaterThan(0);
      } finally {
        await nc.close();
      }
      expect((await saga.client.order(token, orderId)).status).toBe("AWAITING_PAYMENT");
      await saga.platform.startService("payments");
      await saga.client.waitForStatus(token, orderId, "PAID");
    } finally {
      await saga.platform.startService("payments").catch(() => {});
    }
  });

  it("shows consumer lag and dead letters in /metrics", async () => {
    const base = saga.platform.subgraphUrls.orders!.replace(/\/graphql$/, "");
    // The last test's last status change may still wait in the outbox: the gauge reads 0 once the relay has published it.
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const pending = /events_outbox_pending\{service="orders"\} (\d+)/.exec(text)?.[1];
        if (pending !== "0") throw new Error(`events_outbox_pending{service="orders"} is ${pending}`);
        return text;
      },
      { what: "the orders outbox to be empty in /metrics", intervalMs: PLATFORM_POLL_MS },
    );
    expect(metrics).toMatch(/events_consumer_lag\{consumer="orders-saga"\} \d+/);
    expect(metrics).toMatch(/events_published_total\{type="OrderPlaced"\} \d+/);
  });
});
