import type { EventEnvelope } from "@store/events";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * A new product becomes something a cart line may hold. An upsert, so a
 * snapshot that already exists (seeded from the demo data) simply takes the
 * catalog's values, and running it again changes nothing.
 */
export async function handleProductCreated(event: EventEnvelope<"ProductCreated">, tx: Tx, _deps: HandlerDeps): Promise<void> {
  const { productId, name, priceCents, currency } = event.payload;
  await tx.productSnapshot.upsert({
    where: { productId },
    create: { productId, name, priceCents, currency },
    update: { name, priceCents, currency },
  });
}
