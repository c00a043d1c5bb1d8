import { createEvent, type EventEnvelope } from "@store/events";
import type { Payment } from "./generated/prisma/client.ts";

/** The event being reacted to; absent for a change an admin started, which begins a flow of its own. */
export type Cause = Pick<EventEnvelope, "id" | "correlationId">;

/*
 * Every payment event's aggregate is the order: there is one payment per
 * order, and the order's saga is what these events drive, so keying them by
 * order keeps them in one stream with the order's other events.
 */

export function paymentCaptured(payment: Payment, causedBy?: Cause) {
  return createEvent(
    "PaymentCaptured",
    { orderId: payment.orderId, paymentId: payment.id, customerId: payment.customerId, amountCents: payment.amountCents, currency: payment.currency },
    { aggregateId: payment.orderId, causedBy },
  );
}

export function paymentFailed(payment: Payment, causedBy?: Cause) {
  return createEvent(
    "PaymentFailed",
    // The database guarantees a FAILED payment has a reason; the fallback only satisfies the type.
    { orderId: payment.orderId, paymentId: payment.id, customerId: payment.customerId, reason: payment.failureReason ?? "payment_failed" },
    { aggregateId: payment.orderId, causedBy },
  );
}

export function paymentRefunded(payment: Payment, reason: string, causedBy?: Cause) {
  return createEvent(
    "PaymentRefunded",
    { orderId: payment.orderId, paymentId: payment.id, customerId: payment.customerId, amountCents: payment.amountCents, currency: payment.currency, reason },
    { aggregateId: payment.orderId, causedBy },
  );
}
