import type { EventEnvelope } from "@store/events";
import { upsertProductPrice } from "../upsertProductPrice.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Orders placed from now on use the new price and name; placed orders keep
 * their snapshot. An unknown product is inserted: the change carries
 * everything a price row needs, so a missed ProductCreated costs nothing.
 */
export async function handleProductPriceChanged(event: EventEnvelope<"ProductPriceChanged">, tx: Tx, { logger }: HandlerDeps): Promise<void> {
  const { productId, name, priceCents, currency } = event.payload;
  const outcome = await upsertProductPrice(tx, { productId, name, priceCents, currency }, event.occurredAt);
  if (outcome === "stale") logger.debug({ eventId: event.id, productId }, "ProductPriceChanged older than the local price; ignored");
}
