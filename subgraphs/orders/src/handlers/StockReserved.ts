import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { advanceOrder } from "./transition.ts";

/** Inventory holds the goods: the order now waits for payments to charge it. */
export async function onStockReserved(event: EventEnvelope<"StockReserved">, tx: OrdersTx, deps: OrdersHandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.PENDING, to: OrderStatus.AWAITING_PAYMENT, reason: "stock reserved" });
}
