import { describe, expect, it } from "vitest";
import { demoProducts } from "@store/demo-data";
import { errorCodes, eventually } from "@store/testing";
import { operation, PLATFORM_POLL_MS, request } from "./harness.ts";
import { sql, useNatsSagaPlatform } from "./saga.ts";

/**
 * A customer cancels at every step of the order saga, on real PostgreSQL and
 * NATS JetStream, through the router. A step is held by stopping the service
 * that would take it (its durable consumer keeps the events until it is
 * back). Whatever the step, the order ends CANCELLED with its stock back, and
 * the card is charged only if orders asked for payment before the cancel
 * committed, in which case it is refunded. A paid order cannot be cancelled.
 */
const saga = useNatsSagaPlatform("sagacancel");

const inStock = demoProducts.filter((p) => p.stock >= 20);

/** The events `service` wrote about one order (every saga event's aggregate is the order), oldest first. */
function outboxOf(service: string, orderId: string) {
  return sql<{ id: string; type: string }>(saga.platform.databaseUrls[service]!, `SELECT "id", "type" FROM "OutboxEvent" WHERE "envelope"->>'aggregateId' = $1 ORDER BY "position"`, [orderId]);
}

const typesOf = (rows: { type: string }[]) => rows.map((row) => row.type);

/** Whether `consumer` (a service) has handled `producer`'s `type` event about the order: the event's id is in its inbox. */
async function hasHandled(consumer: string, producer: string, type: string, orderId: string): Promise<boolean> {
  const event = (await outboxOf(producer, orderId)).find((row) => row.type === type);
  if (!event) return false;
  const [inbox] = await sql<{ n: string }>(saga.platform.databaseUrls[consumer]!, `SELECT count(*) AS n FROM "InboxEvent" WHERE "eventId" = $1::uuid`, [event.id]);
  return Number(inbox!.n) > 0;
}

function waitHandled(consumer: string, producer: string, type: string, orderId: string) {
  return eventually(() => hasHandled(consumer, producer, type, orderId), { what: `${consumer} to handle ${producer}'s ${type} for ${orderId}`, intervalMs: PLATFORM_POLL_MS });
}

async function cancel(token: string, orderId: string) {
  return request(saga.platform.routerUrl, operation("storefront/CancelOrder"), { orderId }, token);
}

/** Waits until the product's stock is what it was before the order. */
function stockBackTo(productId: string, before: { available: number; reserved: number }) {
  return eventually(
    async () => {
      const now = await saga.client.stock(productId);
      return now!.available === before.available && now!.reserved === before.reserved;
    },
    { what: `the stock of ${productId} released`, intervalMs: PLATFORM_POLL_MS },
  );
}

/** Runs `body` with `service` stopped, and always starts it again. */
async function withServiceStopped(service: string, body: () => Promise<void>): Promise<void> {
  await saga.platform.stopService(service);
  try {
    await body();
  } finally {
    await saga.platform.startService(service).catch(() => {});
  }
}

// Each test waits on several saga steps, each of which may take the whole `eventually` deadline beside another test run.
describe("cancelling at every step of the saga", { timeout: 180_000 }, () => {
  it("PENDING (stock not yet reserved): the order is never asked to be charged, and the stock comes back", async () => {
    const { token } = await saga.client.signUp("cancel-pending");
    const product = inStock[0]!;
    const before = (await saga.client.stock(product.id))!;
    let orderId = "";
    await withServiceStopped("inventory", async () => {
      orderId = await saga.client.placeOrder(token, [{ productId: product.id, quantity: 2 }]);
      expect((await saga.client.order(token, orderId)).status).toBe("PENDING");
      const cancelled = await cancel(token, orderId);
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data.cancelOrder.status).toBe("CANCELLED");
    });

    // Inventory, back, reserves for the order (it saw OrderPlaced first), then releases on OrderCancelled;
    // orders hears the late StockReserved, and payments the cancel.
    await waitHandled("inventory", "orders", "OrderCancelled", orderId);
    await waitHandled("orders", "inventory", "StockReserved", orderId);
    await waitHandled("payments", "orders", "OrderCancelled", orderId);

    const order = await saga.client.order(token, orderId);
    expect(order.status).toBe("CANCELLED");
    expect(order.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "CANCELLED"]);
    // The late StockReserved moved nothing, so nothing asked for payment, and nothing was charged.
    expect(typesOf(await outboxOf("orders", orderId))).not.toContain("PaymentRequested");
    expect(order.payment).toBeNull();
    expect(await outboxOf("payments", orderId)).toEqual([]);
    expect(await sql(saga.platform.databaseUrls.payments!, `SELECT "cancelled" FROM "PaymentIntent" WHERE "orderId" = $1::uuid`, [orderId])).toEqual([{ cancelled: true }]);
    await stockBackTo(product.id, before);
  });

  it("AWAITING_PAYMENT (payment requested, not yet handled): the charge payments makes is refunded, and the stock comes back", async () => {
    const { token } = await saga.client.signUp("cancel-awaiting");
    const product = inStock[1]!;
    const before = (await saga.client.stock(product.id))!;
    let orderId = "";
    await withServiceStopped("payments", async () => {
      orderId = await saga.client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
      // Stock is reserved and payment requested; nobody charges while payments is down.
      await saga.client.waitForStatus(token, orderId, "AWAITING_PAYMENT");
      const cancelled = await cancel(token, orderId);
      expect(cancelled.errors).toBeUndefined();
      expect(cancelled.data.cancelOrder.status).toBe("CANCELLED");
      // The request committed before the cancel, and goes out before it.
      expect(typesOf(await outboxOf("orders", orderId)).filter((type) => type !== "OrderStatusChanged")).toEqual(["OrderPlaced", "PaymentRequested", "OrderCancelled"]);
    });

    // Payments, back, handles the request (a charge), then the cancel (its refund).
    const refunded = await eventually(
      async () => {
        const order = await saga.client.order(token, orderId);
        return order.payment?.status === "REFUNDED" && order;
      },
      { what: `the payment of ${orderId} refunded`, intervalMs: PLATFORM_POLL_MS },
    );
    expect(refunded.payment.amount.amount).toBe(refunded.total.amount);
    expect(typesOf(await outboxOf("payments", orderId))).toEqual(["PaymentCaptured", "PaymentRefunded"]);
    // The capture reaches orders after the cancel: the order stays CANCELLED, never PAID.
    await waitHandled("orders", "payments", "PaymentCaptured", orderId);
    const order = await saga.client.order(token, orderId);
    expect(order.status).toBe("CANCELLED");
    expect(order.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
    await stockBackTo(product.id, before);
  });

  it("racing the saga: an order cancelled as soon as it is placed is charged only when payment was requested first, and then refunded", async () => {
    const product = inStock[3]!;
    const before = (await saga.client.stock(product.id))!;
    const customers = await Promise.all(Array.from({ length: 8 }, (_, i) => saga.client.signUp(`cancel-race${i}`)));
    // The customer's journey from the issue: place, then cancel at once, while inventory is reserving the stock.
    const journeys = await Promise.all(
      customers.map(async ({ token }) => {
        const orderId = await saga.client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
        return { token, orderId, cancel: await cancel(token, orderId) };
      }),
    );

    let paid = 0;
    for (const { token, orderId, cancel: answer } of journeys) {
      if (answer.errors) {
        // The whole saga ran before the cancel arrived.
        expect(errorCodes(answer)).toEqual(["INVALID_STATE"]);
        expect((await saga.client.waitForStatus(token, orderId, "PAID")).payment.status).toBe("CAPTURED");
        paid++;
        continue;
      }
      const requested = typesOf(await outboxOf("orders", orderId)).includes("PaymentRequested");
      await waitHandled("payments", "orders", "OrderCancelled", orderId);
      const order = await saga.client.order(token, orderId);
      expect(order.status).toBe("CANCELLED");
      if (requested) {
        // Cancelled while AWAITING_PAYMENT: the request went out first, so the card was charged, then refunded.
        expect(order.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "CANCELLED"]);
        expect(order.payment.status).toBe("REFUNDED");
        expect(typesOf(await outboxOf("payments", orderId))).toEqual(["PaymentCaptured", "PaymentRefunded"]);
      } else {
        // Cancelled while PENDING: once orders has heard the stock reserved, still no request, and no charge ever.
        expect(order.statusHistory.map((h: { to: string }) => h.to)).toEqual(["PENDING", "CANCELLED"]);
        await waitHandled("orders", "inventory", "StockReserved", orderId);
        expect(typesOf(await outboxOf("orders", orderId))).not.toContain("PaymentRequested");
        expect(await outboxOf("payments", orderId)).toEqual([]);
        expect((await saga.client.order(token, orderId)).payment).toBeNull();
      }
    }
    // Only the paid orders still hold stock.
    await stockBackTo(product.id, { available: before.available - paid, reserved: before.reserved + paid });
  });

  it("PAID: the cancel is refused with INVALID_STATE, and the payment and the reservation stand", async () => {
    const { token } = await saga.client.signUp("cancel-paid");
    const product = inStock[2]!;
    const before = (await saga.client.stock(product.id))!;
    const orderId = await saga.client.placeOrder(token, [{ productId: product.id, quantity: 3 }]);
    await saga.client.waitForStatus(token, orderId, "PAID");

    const refused = await cancel(token, orderId);
    expect(refused.status).toBe(200);
    expect(errorCodes(refused)).toEqual(["INVALID_STATE"]);
    const order = await saga.client.order(token, orderId);
    expect(order.status).toBe("PAID");
    expect(order.payment.status).toBe("CAPTURED");
    expect(typesOf(await outboxOf("orders", orderId))).not.toContain("OrderCancelled");
    expect(await saga.client.stock(product.id)).toMatchObject({ available: before.available - 3, reserved: before.reserved + 3 });
  });
});
