import type { EventEnvelope } from "@store/events";
import { stockChanged } from "../stockChanged.ts";
import { commitStockInTx } from "../stock.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * The goods left the warehouse: the order's reserved units leave onHand and
 * reserved together (available is unchanged) and its reservations become
 * COMMITTED, so a later cancellation cannot return shipped units to stock.
 * An order with nothing reserved commits nothing and emits nothing.
 */
export async function handleShipmentDispatched(event: EventEnvelope<"ShipmentDispatched">, tx: Tx, { events }: HandlerDeps): Promise<void> {
  const { changed } = await commitStockInTx(tx, event.payload.orderId);
  if (changed.length > 0) await events.emit(tx, ...changed.map((counters) => stockChanged(counters, event)));
}
