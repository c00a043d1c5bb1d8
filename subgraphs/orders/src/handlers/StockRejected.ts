import type { EventEnvelope } from "@store/events";
import { OrderStatus } from "../generated/prisma/enums.ts";
import { advanceOrder } from "../advanceOrder.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Inventory could not reserve every line: the order is cancelled, and the
 * reason names the short products by the names the customer saw when
 * ordering (the order's own snapshot), since it is shown as cancelReason.
 */
export async function handleStockRejected(event: EventEnvelope<"StockRejected">, tx: Tx, deps: HandlerDeps): Promise<void> {
  const { orderId, shortages } = event.payload;
  const lines = await tx.orderLine.findMany({ where: { orderId, productId: { in: shortages.map((s) => s.productId) } }, select: { productId: true, productName: true } });
  const names = new Map(lines.map((line) => [line.productId, line.productName]));
  const short = shortages.map(({ productId, requested, available }) => `${names.get(productId) ?? productId} (requested ${requested}, available ${available})`);
  await advanceOrder(event, tx, deps, { from: OrderStatus.PENDING, to: OrderStatus.CANCELLED, reason: `insufficient stock: ${short.join("; ")}` });
}
