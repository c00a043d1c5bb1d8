import { ERRORS, canAccess, requireUser } from "@store/kit";
import type { UserResolvers } from "../generated/graphql.ts";

export const User: UserResolvers = {
  async cart(user, _, { identity, loaders }) {
    requireUser(identity);
    // Decided before any lookup, so the answer says nothing about whether the cart exists.
    if (!canAccess(identity, user.id)) throw ERRORS.FORBIDDEN.err("Only the cart's owner or an administrator may see it");
    return loaders.cartByUser.load(user.id);
  },
};
