import type { EventEnvelope } from "@store/events";
import type { InventoryTx } from "../db.ts";
import type { InventoryHandlerDeps } from "../events.ts";
import { stockChanged } from "../stockChanged.ts";
import { commitStockInTx } from "../stock.ts";

/**
 * The goods left the warehouse: the order's reserved units leave onHand and
 * reserved together (available is unchanged) and its reservations become
 * COMMITTED, so a later cancellation cannot return shipped units to stock.
 * An order with nothing reserved commits nothing and emits nothing.
 */
export async function handleShipmentDispatched(event: EventEnvelope<"ShipmentDispatched">, tx: InventoryTx, { events }: InventoryHandlerDeps): Promise<void> {
  const { changed } = await commitStockInTx(tx, event.payload.orderId);
  if (changed.length > 0) await events.emit(tx, ...changed.map((counters) => stockChanged(counters, event)));
}
