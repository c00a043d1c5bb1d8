import type { EventEnvelope } from "@store/events";
import { stockChanged } from "../stockChanged.ts";
import { releaseStockInTx } from "../stock.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * The saga's compensation: a cancelled order's RESERVED units become
 * available again. An order inventory never reserved (rejected, or unknown),
 * or one already released or shipped, releases nothing and emits nothing.
 */
export async function handleOrderCancelled(event: EventEnvelope<"OrderCancelled">, tx: Tx, { events }: HandlerDeps): Promise<void> {
  const { changed } = await releaseStockInTx(tx, event.payload.orderId);
  if (changed.length > 0) await events.emit(tx, ...changed.map((counters) => stockChanged(counters, event)));
}
