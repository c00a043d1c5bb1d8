import type { RefundResolvers } from "../generated/graphql.ts";

export const Refund: RefundResolvers = {
  amount: (refund) => ({ amount: refund.amountCents, currency: refund.currency }),
  createdAt: (refund) => refund.createdAt.toISOString(),
};
