import type { EventEnvelope } from "@store/events";
import type { Tx } from "../cart.ts";
import type { CartHandlerDeps } from "../events.ts";

/**
 * A new product becomes something a cart line may hold. An upsert, so a
 * snapshot that already exists (seeded from the demo data) simply takes the
 * catalog's values, and running it again changes nothing.
 */
export async function onProductCreated(event: EventEnvelope<"ProductCreated">, tx: Tx, _deps: CartHandlerDeps): Promise<void> {
  const { productId, name, priceCents, currency } = event.payload;
  await tx.productSnapshot.upsert({
    where: { productId },
    create: { productId, name, priceCents, currency },
    update: { name, priceCents, currency },
  });
}
