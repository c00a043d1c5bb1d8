import { createEvent, type EventEnvelope } from "@store/events";
import type { StockCounters } from "./stock.ts";

/**
 * StockChanged for one product as a change left it. Its aggregate is the
 * product; `causedBy` carries the saga's correlation id when an event caused
 * the change (a mutation starts a flow of its own).
 */
export function stockChanged({ productId, onHand, reserved }: StockCounters, causedBy?: Pick<EventEnvelope, "id" | "correlationId">) {
  return createEvent("StockChanged", { productId, onHand, reserved, available: onHand - reserved }, { aggregateId: productId, causedBy });
}
