import { canAccess, fields } from "@store/kit";
import type { ShipmentResolvers } from "../generated/graphql.ts";

export const Shipment: ShipmentResolvers = {
  async __resolveReference(ref, { loaders, identity }) {
    // A malformed id would make the batched query fail for every representation in it.
    if (!fields.id().safeParse(ref.id).success) return null;
    const shipment = await loaders.shipment.load(ref.id);
    // Someone else's shipment is answered exactly as a missing one.
    return shipment && canAccess(identity, shipment.customerId) ? shipment : null;
  },
  order: (shipment) => ({ id: shipment.orderId }),
  history: (shipment, _, { loaders }) => loaders.history.load(shipment.id),
  createdAt: (shipment) => shipment.createdAt.toISOString(),
  dispatchedAt: (shipment) => shipment.dispatchedAt?.toISOString() ?? null,
  deliveredAt: (shipment) => shipment.deliveredAt?.toISOString() ?? null,
};
