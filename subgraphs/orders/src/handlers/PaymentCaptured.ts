import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * The charge went through: the order is PAID. When the customer cancelled
 * while the charge was in flight the order stays CANCELLED and nothing is
 * done here: payments sees the OrderCancelled that cancel emitted and refunds
 * the capture itself.
 */
export async function handlePaymentCaptured(event: EventEnvelope<"PaymentCaptured">, tx: Tx, deps: HandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.AWAITING_PAYMENT, to: OrderStatus.PAID, reason: "payment captured" });
}
