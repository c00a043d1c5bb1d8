import { canAccess, fields } from "@store/kit";
import type { OrderResolvers } from "../generated/graphql.ts";

export const Order: OrderResolvers = {
  // The orders subgraph owns the order and vouches that it exists; all this
  // subgraph adds is the shipment, loaded (batched by orderId) only when asked for.
  __resolveReference: (ref) => ({ id: ref.id }),
  async shipment(order, _, { loaders, identity }) {
    if (!fields.id().safeParse(order.id).success) return null;
    const shipment = await loaders.shipmentByOrder.load(order.id);
    return shipment && canAccess(identity, shipment.customerId) ? shipment : null;
  },
};
