import type { EventEnvelope } from "@store/events";
import { upsertProductPrice } from "../upsertProductPrice.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** A new product can be ordered as soon as its price is in the local price list. */
export async function handleProductCreated(event: EventEnvelope<"ProductCreated">, tx: Tx, { logger }: HandlerDeps): Promise<void> {
  const outcome = await upsertProductPrice(tx, event.payload, event.occurredAt);
  if (outcome === "stale") logger.debug({ eventId: event.id, productId: event.payload.productId }, "ProductCreated older than the local price; ignored");
}
