import type { CategoryResolvers } from "../generated/graphql.ts";

export const Category: CategoryResolvers = {
  products: (category, args, { loaders }) => loaders.categoryProducts(category.id, args),
};
