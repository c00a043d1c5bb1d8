import type { Payment, Refund } from "./generated/prisma/client.ts";

export type PaymentMapper = Payment;
/** A refund carries no currency of its own: it is always in its payment's. */
export type RefundMapper = Refund & { currency: string };
/**
 * Orders belong to the orders subgraph; here an order is its id, plus its
 * payment when `__resolveReference` already loaded (and authorised) it.
 */
export type OrderMapper = { id: string; payment?: Payment | null };
