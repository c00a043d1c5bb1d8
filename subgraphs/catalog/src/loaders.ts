import { createBatchLoader } from "@store/kit";
import type { Db } from "./types.ts";
import { createCategoryProductsLoader } from "./resolvers/products.ts";

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    product: createBatchLoader((ids) => prisma.product.findMany({ where: { id: { in: [...ids] } } }), (p) => p.id),
    category: createBatchLoader((ids) => prisma.category.findMany({ where: { id: { in: [...ids] } } }), (c) => c.id),
    /** Category.products: one query for every category of a request that asks for the same page. */
    categoryProducts: createCategoryProductsLoader(prisma),
  };
}
export type CatalogLoaders = ReturnType<typeof createLoaders>;
