import type { PaymentResolvers } from "../generated/graphql.ts";
import { visiblePayment } from "./visibility.ts";

export const Payment: PaymentResolvers = {
  // Anonymous callers can see no payment, so they cost no query.
  __resolveReference: async (ref, { loaders, identity }) => (identity ? visiblePayment(await loaders.payment.load(ref.id), identity) : null),
  // The payment is already authorised, so the order's payment field needs no second look-up.
  order: (payment) => ({ id: payment.orderId, payment }),
  amount: (payment) => ({ amount: payment.amountCents, currency: payment.currency }),
  refunds: async (payment, _, { loaders }) => (await loaders.refundsByPayment.load(payment.id)).map((refund) => ({ ...refund, currency: payment.currency })),
  createdAt: (payment) => payment.createdAt.toISOString(),
  updatedAt: (payment) => payment.updatedAt.toISOString(),
};
