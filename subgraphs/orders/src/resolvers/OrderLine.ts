import type { OrderLineResolvers } from "../generated/graphql.ts";

export const OrderLine: OrderLineResolvers = {
  product: (line) => ({ __typename: "Product", id: line.productId }),
  unitPrice: (line) => ({ amount: line.unitPriceCents, currency: line.currency }),
  lineTotal: (line) => ({ amount: line.unitPriceCents * line.quantity, currency: line.currency }),
};
