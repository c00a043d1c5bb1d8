import type { OrderStatusChangeResolvers } from "../generated/graphql.ts";

export const OrderStatusChange: OrderStatusChangeResolvers = {
  from: (change) => change.fromStatus,
  to: (change) => change.toStatus,
  at: (change) => change.at.toISOString(),
};
