import { ERRORS, canAccess, fields, parseInput, requireUser } from "@store/kit";
import type { UserResolvers } from "../generated/graphql.ts";
import { listOrders } from "./orders.ts";

export const User: UserResolvers = {
  orders(user, args, { prisma, identity }) {
    const caller = requireUser(identity);
    // The id comes from a representation; a malformed one must not reach a uuid column.
    const userId = parseInput(fields.id("User.id"), user.id);
    if (!canAccess(caller, userId)) throw ERRORS.FORBIDDEN.err("Only the user themself or an admin may read their orders");
    return listOrders(prisma, userId, args);
  },
};
