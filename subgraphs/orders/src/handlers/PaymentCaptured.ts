import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import { OrderStatus } from "../generated/prisma/enums.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { advanceOrder } from "./transition.ts";

/**
 * The charge went through: the order is PAID. When the customer cancelled
 * while the charge was in flight the order stays CANCELLED and nothing is
 * done here: payments sees the OrderCancelled that cancel emitted and refunds
 * the capture itself.
 */
export async function onPaymentCaptured(event: EventEnvelope<"PaymentCaptured">, tx: OrdersTx, deps: OrdersHandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.AWAITING_PAYMENT, to: OrderStatus.PAID, reason: "payment captured" });
}
