import type { EventEnvelope, ServiceEvents } from "@store/events";
import { ERRORS, type Logger } from "@store/kit";
import type { Db, Tx } from "../types.ts";
import type { PaymentIntent } from "../generated/prisma/client.ts";
import { paymentCaptured, paymentFailed, paymentRefunded } from "../paymentEvents.ts";
import { chargeOrder, recordRefusedCharge, refundOrderIn, type ChargeOrderInput, type ChargeOrderOptions } from "../payments.ts";
import type { CardProcessor } from "../processor.ts";

/*
 * PaymentRequested means "charge the order now": orders writes it in the
 * transaction that moves the order to AWAITING_PAYMENT, and never for an
 * order already cancelled. It is the only thing payments charges on. (It used
 * to charge on inventory's StockReserved, which could overtake orders' own
 * OrderCancelled: a cancelled order was charged, then refunded.)
 *
 * The charge calls the card processor, an external side effect that no
 * database transaction can roll back, so the work is split in two steps:
 *
 * 1. chargeRequestedPayment, BEFORE the inbox transaction and outside any
 *    transaction: records the intent if OrderPlaced did not, then
 *    chargeOrder with its own small transactions. It commits a PENDING
 *    payment (whose id is the processor's idempotency key) before it calls
 *    the processor, and the outcome after.
 * 2. handlePaymentRequested, IN the inbox transaction: reads the settled
 *    payment and writes the event its status means. The outbox row and the
 *    inbox row commit together, so the outcome is announced exactly once.
 *
 * Why a crash anywhere leads, on redelivery, to the same outcome without a
 * second charge (the event is redelivered because it was never acknowledged):
 * - before the PENDING row: nothing was charged; the redelivery charges.
 * - after the PENDING row, around the processor call (the response lost, or
 *   the outcome not yet recorded): the row is still PENDING with the same id;
 *   chargeOrder resumes it and the processor answers a repeat of that
 *   payment id with the original capture instead of charging again.
 * - after the outcome was recorded, before the inbox transaction committed:
 *   the payment is settled, so step 1 returns it without calling the
 *   processor, and step 2 announces it (the first attempt's event was rolled
 *   back with its inbox row, so there is still exactly one).
 * - after the inbox transaction committed, before the ack: step 1 again finds
 *   the payment settled (no charge); the inbox reports a duplicate (no event).
 * Two instances handling the same event at once make one payment too:
 * chargeOrder's unique order id and compare-and-set on the attempt count
 * serialize the charge, and the inbox row serializes the announcement.
 *
 * A cancel: orders writes PaymentRequested and OrderCancelled to one outbox,
 * and the bus hands payments an order's events one at a time in that order.
 * A cancel that committed first means no request at all; one that came after
 * reaches payments once this request is handled, and refunds the capture
 * (handlers/OrderCancelled.ts). Should both be in hand at once (two
 * instances, a redelivery), the intent's row lock decides, and a charge that
 * lands on a cancelled intent is refunded here.
 *
 * Step 1 needs the root client: PGlite serves one connection, so it must not
 * run while the inbox transaction holds it. That is why it is a step of its
 * own (service.ts declares it as the consumer's beforeTransaction step)
 * rather than part of the handler.
 */

export interface PaymentRequestedDeps {
  /** Only for step 1, which runs outside any transaction. */
  prisma: Db;
  processor: CardProcessor;
  events: Pick<ServiceEvents<Tx>, "emit">;
  logger: Logger;
  /** Back-off between processor attempts; tests pass one that does not wait. */
  chargeOptions?: ChargeOrderOptions;
}

/** The catalogue code of a domain error (ERRORS.X.err), undefined for anything else. */
const codeOf = (error: unknown): unknown => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;

/**
 * The order's intent: the one OrderPlaced recorded (whose terms are the
 * request's: both copy the order as placed), or one recorded now from the
 * request when payments never handled that OrderPlaced. An intent that
 * exists is never changed, so a cancelled one stays cancelled.
 */
async function intentFor(prisma: Db, event: EventEnvelope<"PaymentRequested">): Promise<PaymentIntent> {
  const { orderId, customerId, amountCents, currency, paymentToken } = event.payload;
  const recorded = await prisma.paymentIntent.findUnique({ where: { orderId } });
  if (recorded) return recorded;
  await prisma.paymentIntent.createMany({ data: [{ orderId, customerId, amountCents, currency, paymentToken }], skipDuplicates: true });
  return prisma.paymentIntent.findUniqueOrThrow({ where: { orderId } });
}

/** Step 1: charges the order's intent, unless it was cancelled. Throws only for a transient failure. */
export async function chargeRequestedPayment(event: EventEnvelope<"PaymentRequested">, { prisma, processor, logger, chargeOptions }: PaymentRequestedDeps): Promise<void> {
  const { orderId } = event.payload;
  const intent = await intentFor(prisma, event);
  // A cancelled order is never charged.
  if (intent.cancelled) return;
  const input: ChargeOrderInput = { orderId, customerId: intent.customerId, amountCents: intent.amountCents, currency: intent.currency, paymentToken: intent.paymentToken };
  try {
    await chargeOrder(prisma, processor, input, chargeOptions);
  } catch (error) {
    const code = codeOf(error);
    // A malformed charge (e.g. a blank token) stays malformed however often it is retried: fail the payment so the order is cancelled.
    if (code === ERRORS.BAD_USER_INPUT.code) {
      logger.error({ eventId: event.id, orderId, reason: (error as Error).message }, "charge refused as malformed; payment failed");
      await recordRefusedCharge(prisma, input, "invalid_charge_request");
      return;
    }
    // The order already has a payment with other terms; step 2 sees it and reports it.
    if (code === ERRORS.CONFLICT.code) return;
    // Processor or database trouble: the bus redelivers, and chargeOrder resumes the PENDING payment.
    throw error;
  }
}

/** Step 2: announces the settled payment, in the inbox transaction `tx`. */
export async function handlePaymentRequested(event: EventEnvelope<"PaymentRequested">, tx: Tx, { events, logger }: PaymentRequestedDeps): Promise<void> {
  const { orderId } = event.payload;
  // The intent's row lock orders this against OrderCancelled (see handlers/OrderCancelled.ts); the
  // locking read is also the read of what step 2 needs of it (one statement, not a lock and a read).
  const [intent] = await tx.$queryRaw<Pick<PaymentIntent, "customerId" | "amountCents" | "currency" | "cancelled">[]>`
    SELECT "customerId"::text AS "customerId", "amountCents", "currency", "cancelled" FROM "PaymentIntent" WHERE "orderId" = ${orderId}::uuid FOR UPDATE`;
  const payment = await tx.payment.findUnique({ where: { orderId } });

  if (intent?.cancelled) {
    // Cancelled before step 1: nothing was charged. Cancelled while the charge
    // was in flight (OrderCancelled found it PENDING): the money goes back here.
    if (payment?.status === "CAPTURED") {
      const outcome = await refundOrderIn(tx, orderId, "order cancelled");
      // Only the refund is announced: a PaymentCaptured would make a cancelled order shippable.
      if (outcome.kind === "REFUNDED") await events.emit(tx, paymentRefunded(outcome.payment, outcome.reason, event));
    }
    return;
  }

  // Step 1 records the intent and settles the payment, or throws: a delivery
  // without them skipped it, so the whole event is retried.
  if (!intent || !payment || payment.status === "PENDING") throw new Error(`payment for order ${orderId} is not settled yet`);

  if (payment.customerId !== intent.customerId || payment.amountCents !== intent.amountCents || payment.currency !== intent.currency) {
    // The order id is the idempotency key; reused for other terms it is a bug upstream that needs a person, not a retry.
    logger.error({ eventId: event.id, orderId, paymentId: payment.id }, "the order's payment does not match its intent; nothing announced");
    return;
  }

  switch (payment.status) {
    case "CAPTURED":
      await events.emit(tx, paymentCaptured(payment, event));
      return;
    case "FAILED":
      await events.emit(tx, paymentFailed(payment, event));
      return;
    case "REFUNDED":
      // Captured, then refunded by an admin before this was announced; the refund was announced by that
      // mutation, and a PaymentCaptured now would make a refunded order shippable.
      logger.warn({ eventId: event.id, orderId, paymentId: payment.id }, "payment was refunded before its capture was announced");
      return;
  }
}
