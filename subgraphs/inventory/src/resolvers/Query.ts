import { fields, parseInput, requireAdmin } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";

export const Query: QueryResolvers = {
  stockLevel(_, { productId }, { loaders, identity }) {
    requireAdmin(identity);
    return loaders.stockItem.load(parseInput(fields.id("productId"), productId));
  },
};
