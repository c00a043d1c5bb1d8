import { canAccess, fields, parseInput, requireUser } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";
import { listOrders } from "./orders.ts";

export const Query: QueryResolvers = {
  async order(_, { id }, { loaders, identity }) {
    const caller = requireUser(identity);
    const order = await loaders.order.load(parseInput(fields.id(), id));
    // Someone else's order reads exactly like a missing one.
    return order && canAccess(caller, order.customerId) ? order : null;
  },
  myOrders: (_, args, { prisma, identity }) => listOrders(prisma, requireUser(identity).userId, args),
};
