import { z } from "zod";
import { fields, parseInput, requireAdmin } from "@store/kit";
import type { MutationResolvers } from "../generated/graphql.ts";
import { advanceShipment } from "../shipments.ts";

export const Mutation: MutationResolvers = {
  advanceShipment(_, args, { prisma, events, identity }) {
    requireAdmin(identity);
    const { shipmentId } = parseInput(z.object({ shipmentId: fields.id("shipmentId") }), args);
    return advanceShipment(prisma, events, shipmentId);
  },
};
