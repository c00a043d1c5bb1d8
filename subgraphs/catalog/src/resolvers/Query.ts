import { z } from "zod";
import { fields, parseInput } from "@store/kit";
import type { QueryResolvers } from "../generated/graphql.ts";
import { listProducts } from "./products.ts";

export const Query: QueryResolvers = {
  products: (_, args, { prisma }) => listProducts(prisma, args),
  product: (_, { id }, { loaders }) => loaders.product.load(parseInput(fields.id(), id)),
  categories: (_, __, { prisma }) => prisma.category.findMany({ orderBy: { name: "asc" } }),
  category: (_, { slug }, { prisma }) => prisma.category.findUnique({ where: { slug: parseInput(z.string().max(100), slug) } }),
};
