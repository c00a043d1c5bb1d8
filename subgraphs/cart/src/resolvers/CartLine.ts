import type { CartLineResolvers } from "../generated/graphql.ts";
import { snapshotOf } from "./pricing.ts";

export const CartLine: CartLineResolvers = {
  product: (line) => ({ __typename: "Product", id: line.productId }),
  async unitPrice(line, _, { loaders }) {
    const snapshot = await snapshotOf(line, loaders);
    return { amount: snapshot.priceCents, currency: snapshot.currency };
  },
  async lineTotal(line, _, { loaders }) {
    const snapshot = await snapshotOf(line, loaders);
    return { amount: line.quantity * snapshot.priceCents, currency: snapshot.currency };
  },
};
