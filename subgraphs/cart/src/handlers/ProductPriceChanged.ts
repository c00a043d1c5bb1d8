import type { EventEnvelope } from "@store/events";
import { removeLinesPricedApart } from "../cart.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Carts price lines at the product's current price, so the snapshot simply
 * takes the new one. A product cart never heard of (created before this
 * consumer existed) is created from the event, which carries everything the
 * snapshot holds; that heals the read model instead of dropping the news.
 *
 * A change of currency can leave carts mixing two currencies, which no
 * subtotal can add up; the changed product's lines leave those carts (see
 * removeLinesPricedApart).
 */
export async function handleProductPriceChanged(event: EventEnvelope<"ProductPriceChanged">, tx: Tx, { logger }: HandlerDeps): Promise<void> {
  const { productId, name, priceCents, currency } = event.payload;
  // The currency carts priced this product in is the snapshot's, whatever the event calls previous.
  const before = await tx.productSnapshot.findUnique({ where: { productId }, select: { currency: true } });
  await tx.productSnapshot.upsert({
    where: { productId },
    create: { productId, name, priceCents, currency },
    update: { name, priceCents, currency },
  });
  // No snapshot before means no line could hold the product.
  if (!before || before.currency === currency) return;
  const carts = await removeLinesPricedApart(tx, productId, currency);
  if (carts.length > 0) {
    logger.info({ eventId: event.id, productId, from: before.currency, to: currency, carts: carts.length }, "product changed currency; removed it from carts priced in another");
  }
}
