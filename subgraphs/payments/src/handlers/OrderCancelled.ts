import type { EventEnvelope, ServiceEvents } from "@store/events";
import type { Logger } from "@store/kit";
import type { Tx } from "../types.ts";
import { paymentRefunded } from "../paymentEvents.ts";
import { refundOrderIn } from "../payments.ts";

export interface OrderCancelledDeps {
  events: Pick<ServiceEvents<Tx>, "emit">;
  logger: Logger;
}

/** The refund's reason: the order's, within what a Refund row accepts (1-500 characters). */
export function cancellationRefundReason(reason: string): string {
  return reason.trim().slice(0, 500) || "order cancelled";
}

/**
 * A cancelled order is never charged, and money already taken goes back.
 *
 * Orders commits OrderCancelled after the order's PaymentRequested, if it
 * wrote one at all, and payments gets them in that order: a request already
 * handled left a settled payment, refunded here when CAPTURED.
 *
 * Runs in the inbox transaction `tx`. Marking the intent first takes its row
 * lock, which the PaymentRequested handler also takes before it announces a
 * charge: should both be in hand at once (two instances), whichever of the
 * two commits second sees the other's work, so a charge that lands while the
 * order is being cancelled is refunded by one of them (here if it is already
 * CAPTURED, there otherwise).
 *
 * Idempotent beyond the inbox: the refund is conditional on CAPTURED, so a
 * second OrderCancelled for the order finds it REFUNDED and announces nothing.
 * A refund an admin already made was announced by that mutation.
 */
export async function handleOrderCancelled(event: EventEnvelope<"OrderCancelled">, tx: Tx, { events, logger }: OrderCancelledDeps): Promise<void> {
  const { orderId } = event.payload;
  const { count } = await tx.paymentIntent.updateMany({ where: { orderId }, data: { cancelled: true } });
  // Still look for a payment: one made before payments kept intents must be refunded all the same.
  if (count === 0) logger.warn({ eventId: event.id, orderId }, "OrderCancelled for an order without a payment intent");
  const outcome = await refundOrderIn(tx, orderId, cancellationRefundReason(event.payload.reason));
  if (outcome.kind === "REFUNDED") await events.emit(tx, paymentRefunded(outcome.payment, outcome.reason, event));
}
