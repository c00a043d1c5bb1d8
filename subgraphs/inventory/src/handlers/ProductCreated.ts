import type { EventEnvelope } from "@store/events";
import { stockChanged } from "../stockChanged.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Gives a new catalog product its stock row (nothing on hand), so an admin
 * can restock it: restock refuses products inventory has no row for. A row
 * that exists already (seeded, or a replay) is left as it is.
 */
export async function handleProductCreated(event: EventEnvelope<"ProductCreated">, tx: Tx, { events }: HandlerDeps): Promise<void> {
  const created = await tx.stockItem.createManyAndReturn({ data: [{ productId: event.payload.productId, onHand: 0 }], skipDuplicates: true });
  if (created.length > 0) await events.emit(tx, ...created.map((item) => stockChanged(item, event)));
}
