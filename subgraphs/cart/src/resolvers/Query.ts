import { requireUser } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";

export const Query: QueryResolvers = {
  myCart: (_, __, { identity, loaders }) => loaders.cartByUser.load(requireUser(identity).userId),
};
