import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Inventory holds the goods: the order now awaits payment, and the same
 * transaction asks payments to charge it (PaymentRequested, written by
 * attemptTransition). An order the customer cancelled while the stock was
 * being reserved stays CANCELLED and is never asked to be charged;
 * inventory releases the stock on that order's OrderCancelled.
 */
export async function handleStockReserved(event: EventEnvelope<"StockReserved">, tx: Tx, deps: HandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.PENDING, to: OrderStatus.AWAITING_PAYMENT, reason: "stock reserved" });
}
