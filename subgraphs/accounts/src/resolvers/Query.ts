import { fields, parseInput, requireAdmin, requireUser } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";
import { isUuid } from "./ids.ts";

export const Query: QueryResolvers = {
  // A valid token for an account deleted since is just nobody: null, like an anonymous caller.
  me: (_, __, { identity, loaders }) => (identity && isUuid(identity.userId) ? loaders.user.load(identity.userId) : null),
  user(_, { id }, { identity, loaders }) {
    requireAdmin(identity);
    return loaders.user.load(parseInput(fields.id(), id));
  },
  async myAddresses(_, __, { identity, loaders }) {
    const { userId } = requireUser(identity);
    return isUuid(userId) ? loaders.addressesByUser.load(userId) : [];
  },
};
