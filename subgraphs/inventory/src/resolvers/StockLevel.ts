import type { StockLevelResolvers } from "../generated/graphql.ts";

export const StockLevel: StockLevelResolvers = {
  available: (item) => item.onHand - item.reserved,
  updatedAt: (item) => item.updatedAt.toISOString(),
};
