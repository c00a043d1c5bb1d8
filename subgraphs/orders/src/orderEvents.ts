import { createEvent, type EventEnvelope, type EventPayload } from "@store/events";
import type { Order } from "./generated/prisma/client.ts";
import type { Events } from "./types.ts";

/** The one thing domain code needs from the event system: writing to the outbox in its transaction. */
export type OrderEventSink = Pick<Events, "emit">;

type OrderEventType = "OrderPlaced" | "OrderStatusChanged" | "OrderCancelled" | "PaymentRequested";

/**
 * An event about one order (aggregateId = orderId). One reacting to another
 * event carries that event's correlation id; one that a request caused (a
 * customer's cancel) has no causing event but still belongs to the order's
 * saga, so it takes the correlation id stored on the order, and listeners can
 * follow the whole flow by one id.
 */
export function orderEvent<T extends OrderEventType>(
  type: T,
  payload: EventPayload<T>,
  order: { id: string; correlationId: string | null },
  causedBy?: Pick<EventEnvelope, "id" | "correlationId">,
): EventEnvelope<T> {
  const event = createEvent(type, payload, { aggregateId: order.id, causedBy });
  return causedBy || !order.correlationId ? event : { ...event, correlationId: order.correlationId };
}

/**
 * Orders' request to charge the order. The terms are the order's own, fixed
 * when it was placed: the same that its OrderPlaced announced.
 */
export function paymentRequested(order: Pick<Order, "id" | "customerId" | "totalCents" | "currency" | "paymentToken" | "correlationId">, causedBy?: Pick<EventEnvelope, "id" | "correlationId">) {
  const { id: orderId, customerId, totalCents: amountCents, currency, paymentToken } = order;
  return orderEvent("PaymentRequested", { orderId, customerId, amountCents, currency, paymentToken }, order, causedBy);
}
