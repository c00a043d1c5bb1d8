import type { EventEnvelope } from "@store/events";
import { removeOrderedLines } from "../cart.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Takes the ordered products out of the customer's cart (see
 * removeOrderedLines for why only those lines, and whole). A customer without
 * a cart, or whose cart holds none of the products, is nothing to do.
 */
export async function handleOrderPlaced(event: EventEnvelope<"OrderPlaced">, tx: Tx, { logger }: HandlerDeps): Promise<void> {
  const { orderId, customerId, cartId, lines } = event.payload;
  const result = await removeOrderedLines(
    tx,
    customerId,
    lines.map((line) => line.productId),
  );
  // placeOrder takes cartId from the client unchecked; a foreign or unknown
  // one is never followed (it would let an order edit someone else's cart),
  // but it is worth a look, so it is logged.
  if (cartId !== null && cartId !== result?.cartId) {
    logger.warn({ eventId: event.id, orderId, customerId, cartId }, "OrderPlaced names a cart that is not the customer's; left it alone");
  }
  if (result && result.removed > 0) logger.info({ eventId: event.id, orderId, cartId: result.cartId, removed: result.removed }, "ordered lines removed from cart");
}
