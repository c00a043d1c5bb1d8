import type { StockItem } from "../generated/prisma/client.ts";
import type { ProductResolvers } from "../generated/graphql.ts";

const available = (item: StockItem | null): number => (item ? item.onHand - item.reserved : 0);

export const Product: ProductResolvers = {
  // Catalog may know products inventory has not heard of: they resolve with
  // no stock rather than null, so a product page still renders.
  __resolveReference: async (ref, { loaders }) => ({ id: ref.id, stockItem: await loaders.stockItem.load(ref.id) }),
  stock: (product) => available(product.stockItem),
  inStock: (product) => available(product.stockItem) > 0,
};
