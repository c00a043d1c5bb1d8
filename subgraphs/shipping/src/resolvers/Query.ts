import { canAccess, fields, parseInput, requireAdmin, requireUser } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";
import { listShipments } from "./listShipments.ts";

export const Query: QueryResolvers = {
  async shipment(_, { id }, { loaders, identity }) {
    const user = requireUser(identity);
    const shipment = await loaders.shipment.load(parseInput(fields.id(), id));
    return shipment && canAccess(user, shipment.customerId) ? shipment : null;
  },
  shipments(_, args, { prisma, identity }) {
    requireAdmin(identity);
    return listShipments(prisma, args);
  },
};
