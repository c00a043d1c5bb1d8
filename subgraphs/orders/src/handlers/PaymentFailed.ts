import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { advanceOrder } from "./transition.ts";

/** The charge was declined: the order is cancelled, and its OrderCancelled makes inventory release the stock. */
export async function onPaymentFailed(event: EventEnvelope<"PaymentFailed">, tx: OrdersTx, deps: OrdersHandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.AWAITING_PAYMENT, to: OrderStatus.CANCELLED, reason: `payment failed: ${event.payload.reason}` });
}
