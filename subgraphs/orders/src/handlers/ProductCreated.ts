import type { EventEnvelope } from "@store/events";
import type { OrdersHandlerDeps } from "../events.ts";
import type { OrdersTx } from "../orderEvents.ts";
import { upsertProductPrice } from "./productPrice.ts";

/** A new product can be ordered as soon as its price is in the local price list. */
export async function onProductCreated(event: EventEnvelope<"ProductCreated">, tx: OrdersTx, { logger }: OrdersHandlerDeps): Promise<void> {
  const outcome = await upsertProductPrice(tx, event.payload, event.occurredAt);
  if (outcome === "stale") logger.debug({ eventId: event.id, productId: event.payload.productId }, "ProductCreated older than the local price; ignored");
}
