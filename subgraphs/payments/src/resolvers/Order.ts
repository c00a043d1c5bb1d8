import type { OrderResolvers } from "../generated/graphql.ts";
import { visiblePayment } from "./visibility.ts";

export const Order: OrderResolvers = {
  // Orders live in the orders subgraph; any order id resolves here, and only
  // its payment is subject to the caller's rights.
  __resolveReference: async (ref, { loaders, identity }) => ({
    id: ref.id,
    payment: identity ? visiblePayment(await loaders.paymentByOrder.load(ref.id), identity) : null,
  }),
  async payment(order, _, { loaders, identity }) {
    if (order.payment !== undefined) return order.payment;
    return identity ? visiblePayment(await loaders.paymentByOrder.load(order.id), identity) : null;
  },
};
