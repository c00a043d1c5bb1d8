import { z } from "zod";
import type { ServiceEvents } from "@store/events";
import { ERRORS, UNIQUE_VIOLATION, fields, isPrismaError, parseInput } from "@store/kit";
import type { Db, Tx } from "./types.ts";
import type { Payment, PaymentStatus } from "./generated/prisma/client.ts";
import { paymentRefunded } from "./paymentEvents.ts";
import type { CardProcessor } from "./processor.ts";

/** Processor calls per payment, the first included. */
export const MAX_CHARGE_ATTEMPTS = 3;

export interface ChargeOrderInput {
  orderId: string;
  customerId: string;
  amountCents: number;
  currency: string;
  paymentToken: string;
}

export interface ChargeOrderOptions {
  /** How to wait between attempts; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Delay before the next attempt, given how many attempts are recorded. @default 100 ms, then 200 ms */
  backoffMs?: (attempts: number) => number;
}

const chargeInput = z.object({
  orderId: fields.id("orderId"),
  customerId: fields.id("customerId"),
  amountCents: fields.amountCents(),
  currency: fields.currency(),
  paymentToken: z.string().trim().min(1, "paymentToken must not be empty").max(200, "paymentToken must be at most 200 characters"),
});

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const defaultBackoffMs = (attempts: number) => 100 * 2 ** (attempts - 1);

/**
 * Charges an order's payment, at most once per order whatever happens around it.
 *
 * The PENDING row is written before the processor is called, so a crash leaves
 * a trace that a later call resumes (the processor dedupes on paymentId, so the
 * resumed charge cannot be a second one). A payment already CAPTURED, FAILED or
 * REFUNDED is returned as it is, without a charge. Retryable failures are
 * retried up to MAX_CHARGE_ATTEMPTS in all; the payment ends CAPTURED, or
 * FAILED with the processor's last reason.
 *
 * A second call for the same order with another customer, amount or currency is
 * a CONFLICT: the order id is the idempotency key, and a key reused for a
 * different charge is a bug upstream, not a new payment.
 *
 * It writes no event: the processor call cannot share a transaction, so each
 * step commits on its own, and the outcome is announced afterwards from the
 * settled row, in the transaction of whoever asked for the charge (the
 * PaymentRequested handler's inbox transaction; see handlers/PaymentRequested.ts).
 */
export async function chargeOrder(prisma: Db, processor: CardProcessor, input: ChargeOrderInput, options: ChargeOrderOptions = {}): Promise<Payment> {
  const data = parseInput(chargeInput, input);
  const sleep = options.sleep ?? defaultSleep;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;

  let payment = await findOrCreatePayment(prisma, data);
  while (payment.status === "PENDING") {
    // A throw from the processor leaves the attempt unrecorded: its outcome is unknown, and the next call retries it.
    const result = await processor.charge({ paymentId: payment.id, token: payment.paymentToken, amountCents: payment.amountCents, currency: payment.currency });
    const attempts = payment.attempts + 1;
    const outcome: { status: PaymentStatus; failureReason: string | null } = result.ok
      ? { status: "CAPTURED", failureReason: null }
      : result.retryable && attempts < MAX_CHARGE_ATTEMPTS
        ? { status: "PENDING", failureReason: null }
        : { status: "FAILED", failureReason: result.reason };
    // Compare-and-set on the attempt count: if a concurrent call for this order
    // recorded the attempt first, ours is dropped and we carry on from its state.
    await prisma.payment.updateMany({
      where: { id: payment.id, status: "PENDING", attempts: payment.attempts },
      data: { attempts, ...outcome },
    });
    payment = await prisma.payment.findUniqueOrThrow({ where: { id: payment.id } });
    if (payment.status === "PENDING") await sleep(backoffMs(payment.attempts));
  }
  return payment;
}

async function findOrCreatePayment(prisma: Db, data: z.output<typeof chargeInput>): Promise<Payment> {
  let payment = await prisma.payment.findUnique({ where: { orderId: data.orderId } });
  if (!payment) {
    try {
      payment = await prisma.payment.create({ data: { ...data, status: "PENDING", attempts: 0 } });
    } catch (error) {
      // A concurrent call for the same order created it between our read and our insert.
      if (!isPrismaError(error, UNIQUE_VIOLATION)) throw error;
      payment = await prisma.payment.findUniqueOrThrow({ where: { orderId: data.orderId } });
    }
  }
  if (payment.customerId !== data.customerId || payment.amountCents !== data.amountCents || payment.currency !== data.currency) {
    throw ERRORS.CONFLICT.err(`Order ${data.orderId} already has a payment for a different customer or amount`, { extensions: { field: "orderId" } });
  }
  return payment;
}

/**
 * Records a payment that failed without reaching the processor, for a charge
 * chargeOrder refuses as malformed (say a blank or oversized token in a
 * hand-made order event). Retrying could never make it valid, and a FAILED
 * payment lets the saga hear PaymentFailed and cancel the order instead of
 * waiting for a charge that will never happen. Idempotent per order: a payment
 * that already exists is returned as it is.
 */
export async function recordRefusedCharge(prisma: Db, input: ChargeOrderInput, reason: string): Promise<Payment> {
  await prisma.payment.createMany({ data: [{ ...input, status: "FAILED", failureReason: reason, attempts: 0 }], skipDuplicates: true });
  return prisma.payment.findUniqueOrThrow({ where: { orderId: input.orderId } });
}

export type RefundOutcome =
  /** This call refunded the payment, for this (trimmed) reason. */
  | { kind: "REFUNDED"; payment: Payment; reason: string }
  /** An earlier call did. */
  | { kind: "ALREADY_REFUNDED"; payment: Payment }
  /** PENDING or FAILED (nothing was captured), or captured for zero. */
  | { kind: "NOT_REFUNDABLE"; payment: Payment }
  | { kind: "NO_PAYMENT" };

/** What refunds need of the event runtime: the outbox, and a nudge to publish after commit. */
export type RefundEvents = Pick<ServiceEvents<Tx>, "emit" | "committed">;

const refundInput = z.object({ orderId: fields.id("orderId"), reason: fields.text(500) });

/**
 * Refunds an order's captured payment in full inside the caller's transaction,
 * and says what happened, for callers that must tell "refunded now" from
 * "already refunded" or "cannot be". The caller's transaction is what lets the
 * refund and its PaymentRefunded event commit together: an admin's mutation
 * (refundOrder) or the inbox transaction of an OrderCancelled.
 *
 * The status change is conditional on CAPTURED, so two concurrent refunds
 * make exactly one Refund.
 */
export async function refundOrderIn(tx: Tx, orderId: string, reason: string): Promise<RefundOutcome> {
  const data = parseInput(refundInput, { orderId, reason });
  const payment = await tx.payment.findUnique({ where: { orderId: data.orderId } });
  if (!payment) return { kind: "NO_PAYMENT" };
  if (payment.status === "REFUNDED") return { kind: "ALREADY_REFUNDED", payment };
  // A refund must move money (the database insists on amountCents > 0).
  if (payment.status !== "CAPTURED" || payment.amountCents === 0) return { kind: "NOT_REFUNDABLE", payment };
  const { count } = await tx.payment.updateMany({ where: { id: payment.id, status: "CAPTURED" }, data: { status: "REFUNDED" } });
  if (count === 0) {
    const current = await tx.payment.findUniqueOrThrow({ where: { id: payment.id } });
    return current.status === "REFUNDED" ? { kind: "ALREADY_REFUNDED", payment: current } : { kind: "NOT_REFUNDABLE", payment: current };
  }
  await tx.refund.create({ data: { paymentId: payment.id, amountCents: payment.amountCents, reason: data.reason } });
  return { kind: "REFUNDED", payment: await tx.payment.findUniqueOrThrow({ where: { id: payment.id } }), reason: data.reason };
}

/**
 * Refunds an order's captured payment in full, in its own transaction, and
 * writes PaymentRefunded in that same transaction: the orders saga hears of
 * exactly the refunds that happened. Only a refund made now is announced; a
 * repeat finds ALREADY_REFUNDED and announces nothing a second time.
 */
export async function refundOrder(prisma: Db, events: RefundEvents, orderId: string, reason: string): Promise<RefundOutcome> {
  // Validated before a transaction is opened: a bad request costs no connection.
  const data = parseInput(refundInput, { orderId, reason });
  const outcome = await prisma.$transaction(async (tx) => {
    const result = await refundOrderIn(tx, data.orderId, data.reason);
    if (result.kind === "REFUNDED") await events.emit(tx, paymentRefunded(result.payment, result.reason));
    return result;
  });
  if (outcome.kind === "REFUNDED") events.committed();
  return outcome;
}

/**
 * Refunds an order's captured payment in full; idempotent (a refunded payment
 * is returned as it is). Null when there is nothing to refund: no payment, or
 * one that was never captured.
 */
export async function refundPayment(prisma: Db, events: RefundEvents, orderId: string, reason: string): Promise<Payment | null> {
  const outcome = await refundOrder(prisma, events, orderId, reason);
  return outcome.kind === "REFUNDED" || outcome.kind === "ALREADY_REFUNDED" ? outcome.payment : null;
}
