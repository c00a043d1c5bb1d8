import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** Inventory holds the goods: the order now waits for payments to charge it. */
export async function handleStockReserved(event: EventEnvelope<"StockReserved">, tx: Tx, deps: HandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.PENDING, to: OrderStatus.AWAITING_PAYMENT, reason: "stock reserved" });
}
