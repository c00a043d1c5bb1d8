import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** The charge was declined: the order is cancelled, and its OrderCancelled makes inventory release the stock. */
export async function handlePaymentFailed(event: EventEnvelope<"PaymentFailed">, tx: Tx, deps: HandlerDeps): Promise<void> {
  await advanceOrder(event, tx, deps, { from: OrderStatus.AWAITING_PAYMENT, to: OrderStatus.CANCELLED, reason: `payment failed: ${event.payload.reason}` });
}
