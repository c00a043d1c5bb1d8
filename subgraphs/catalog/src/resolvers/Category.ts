import type { CategoryResolvers } from "../generated/graphql.ts";
import { listProducts } from "./products.ts";

export const Category: CategoryResolvers = {
  products: (category, args, { prisma }) => listProducts(prisma, { ...args, filter: null }, { categoryId: category.id }),
};
