import { z } from "zod";
import { canAccess } from "@store/kit";
import type { OrderResolvers } from "../generated/graphql.ts";

const uuid = z.uuid();

export const Order: OrderResolvers = {
  /** The same rule as Query.order: the owner or an admin, otherwise null. */
  async __resolveReference(ref, { loaders, identity }) {
    // Nobody may see anything anonymously, and a malformed id cannot exist: skip the query.
    if (!identity || !uuid.safeParse(ref.id).success) return null;
    const order = await loaders.order.load(ref.id);
    return order && canAccess(identity, order.customerId) ? order : null;
  },
  customer: (order) => ({ id: order.customerId }),
  async lines(order, _, { loaders }) {
    const lines = await loaders.orderLines.load(order.id);
    return lines.map((line) => ({ ...line, currency: order.currency }));
  },
  total: (order) => ({ amount: order.totalCents, currency: order.currency }),
  placedAt: (order) => order.placedAt.toISOString(),
  updatedAt: (order) => order.updatedAt.toISOString(),
  statusHistory: (order, _, { loaders }) => loaders.statusHistory.load(order.id),
};
