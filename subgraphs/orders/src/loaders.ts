import { createBatchLoader, createGroupLoader } from "@store/kit";
import type { Prisma } from "./generated/prisma/client.ts";
import type { Db } from "./types.ts";

/** Lines have no natural position; by name reads well and is stable. */
export const LINE_ORDER = [{ productName: "asc" }, { id: "asc" }] satisfies Prisma.OrderLineOrderByWithRelationInput[];
/**
 * Two changes can share a millisecond (placed, then cancelled at once); the
 * PostgreSQL enum sorts in lifecycle order, and the lifecycle has no cycles,
 * so `toStatus` breaks the tie correctly.
 */
export const HISTORY_ORDER = [{ at: "asc" }, { toStatus: "asc" }] satisfies Prisma.OrderStatusChangeOrderByWithRelationInput[];

/** Per-request loaders: one SQL query per entity type or list field, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    order: createBatchLoader((ids) => prisma.order.findMany({ where: { id: { in: [...ids] } } }), (o) => o.id),
    orderLines: createGroupLoader(
      (orderIds) => prisma.orderLine.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: LINE_ORDER }),
      (line) => line.orderId,
    ),
    statusHistory: createGroupLoader(
      (orderIds) => prisma.orderStatusChange.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: HISTORY_ORDER }),
      (change) => change.orderId,
    ),
  };
}
export type OrdersLoaders = ReturnType<typeof createLoaders>;
