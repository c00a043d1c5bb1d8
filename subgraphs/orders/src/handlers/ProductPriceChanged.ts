import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { upsertProductPrice } from "./productPrice.ts";

/**
 * Orders placed from now on use the new price and name; placed orders keep
 * their snapshot. An unknown product is inserted: the change carries
 * everything a price row needs, so a missed ProductCreated costs nothing.
 */
export async function onProductPriceChanged(event: EventEnvelope<"ProductPriceChanged">, tx: OrdersTx, { logger }: OrdersHandlerDeps): Promise<void> {
  const { productId, name, priceCents, currency } = event.payload;
  const outcome = await upsertProductPrice(tx, { productId, name, priceCents, currency }, event.occurredAt);
  if (outcome === "stale") logger.debug({ eventId: event.id, productId }, "ProductPriceChanged older than the local price; ignored");
}
