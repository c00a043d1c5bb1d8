import { ERRORS, requireAdmin } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";
import { refundOrder } from "../payments.ts";

export const Mutation: MutationResolvers = {
  async refundOrderPayment(_, { orderId, reason }, { prisma, events, identity }) {
    requireAdmin(identity);
    // PaymentRefunded is written in the refund's own transaction (see refundOrder).
    const outcome = await refundOrder(prisma, events, orderId, reason);
    switch (outcome.kind) {
      case "REFUNDED":
        return outcome.payment;
      case "NO_PAYMENT":
        throw ERRORS.NOT_FOUND.err(`Order ${orderId} has no payment`, { extensions: { field: "orderId" } });
      case "ALREADY_REFUNDED":
      case "NOT_REFUNDABLE":
        // The domain function treats a repeat as success; through the API a second refund is a client mistake worth reporting.
        throw ERRORS.INVALID_STATE.err(`The payment for order ${orderId} is ${outcome.payment.status}; only a captured payment can be refunded`, { extensions: {
          field: "orderId",
          status: outcome.payment.status,
        } });
    }
  },
};
