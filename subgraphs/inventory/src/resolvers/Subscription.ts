import type { EventEnvelope } from "@store/events";
import { fields, parseInput } from "@store/kit";
import type { SubscriptionResolvers } from "../generated/graphql.ts";
import type { ProductMapper } from "../mappers.ts";

/**
 * The product as one StockChanged left it, built from the event alone. The
 * counters are exactly that change's (a read now could show a later one), and
 * a public subscription that many product pages hold costs no query per event.
 */
function productAfter(event: EventEnvelope<"StockChanged">): ProductMapper {
  const { productId, onHand, reserved } = event.payload;
  return { id: productId, stockItem: { productId, onHand, reserved, updatedAt: new Date(event.occurredAt) } };
}

export const Subscription: SubscriptionResolvers = {
  stockChanged: {
    subscribe(_, args, { live }) {
      const productId = parseInput(fields.id("productId"), args.productId);
      return live.listen(["StockChanged"], (event) => event.payload.productId === productId);
    },
    resolve: productAfter,
  },
};
