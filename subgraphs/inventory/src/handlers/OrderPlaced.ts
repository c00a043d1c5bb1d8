import { createEvent, type EventEnvelope } from "@store/events";
import { ERRORS } from "@store/kit";
import { stockChanged } from "../stockChanged.ts";
import { reserveStockInTx, type ReserveStockResult } from "../stock.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/** A catalogue-valid order that inventory's own limits refuse (lines, quantity per line): retrying cannot change that. */
function isBadInput(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { extensions?: { code?: unknown } }).extensions?.code === ERRORS.BAD_USER_INPUT.code;
}

/**
 * Holds stock for a new order, all lines or none, and answers the saga:
 * StockReserved (plus StockChanged per product) or StockRejected with every
 * shortage. Runs in the inbox transaction, so the reservation, the answer and
 * the inbox row commit together; concurrent orders for the same product are
 * serialised by reserveStockInTx's conditional UPDATE and cannot oversell.
 */
export async function handleOrderPlaced(event: EventEnvelope<"OrderPlaced">, tx: Tx, { events, logger }: HandlerDeps): Promise<void> {
  const { orderId, lines } = event.payload;
  let result: ReserveStockResult;
  try {
    result = await reserveStockInTx(
      tx,
      orderId,
      lines.map(({ productId, quantity }) => ({ productId, quantity })),
    );
  } catch (error) {
    // Validation runs before any SQL, so the transaction is intact: ack the
    // event as a no-op instead of redelivering it until it is dead-lettered.
    // Orders' own limits are narrower than inventory's, so this is a bug
    // elsewhere, logged loudly.
    if (!isBadInput(error)) throw error;
    logger.error({ eventId: event.id, orderId, err: error }, "OrderPlaced outside inventory's limits ignored");
    return;
  }
  const meta = { aggregateId: orderId, causedBy: event };
  if (!result.ok) {
    await events.emit(tx, createEvent("StockRejected", { orderId, shortages: result.shortages }, meta));
    return;
  }
  // The order already held (or had held) its reservations: it was answered
  // then, and a second answer could contradict what happened since (a release).
  if (result.changed.length === 0) return;
  await events.emit(
    tx,
    createEvent("StockReserved", { orderId, lines: result.reservations.map(({ productId, quantity }) => ({ productId, quantity })) }, meta),
    ...result.changed.map((counters) => stockChanged(counters, event)),
  );
}
