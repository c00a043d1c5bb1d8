import { createEvent, type EventEnvelope, type EventPayload } from "@store/events";
import type { Events } from "./types.ts";

/** The one thing domain code needs from the event system: writing to the outbox in its transaction. */
export type OrderEventSink = Pick<Events, "emit">;

type OrderEventType = "OrderPlaced" | "OrderStatusChanged" | "OrderCancelled";

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
