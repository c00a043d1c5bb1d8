import { ERRORS } from "@store/kit";
import type { ProductResolvers } from "../generated/graphql.ts";

export const Product: ProductResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.product.load(ref.id),
  price: (product) => ({ amount: product.priceCents, currency: product.currency }),
  async category(product, _, { loaders }) {
    const category = await loaders.category.load(product.categoryId);
    // A foreign key guarantees it; a miss here is a bug, not a client error.
    if (!category) throw ERRORS.INTERNAL_SERVER_ERROR.err(`category ${product.categoryId} missing`);
    return category;
  },
  createdAt: (product) => product.createdAt.toISOString(),
  updatedAt: (product) => product.updatedAt.toISOString(),
};
