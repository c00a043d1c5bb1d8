import { createBatchLoader, createGroupLoader } from "@store/kit";
import type { Db } from "./types.ts";

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    shipment: createBatchLoader((ids) => prisma.shipment.findMany({ where: { id: { in: [...ids] } } }), (s) => s.id),
    shipmentByOrder: createBatchLoader((orderIds) => prisma.shipment.findMany({ where: { orderId: { in: [...orderIds] } } }), (s) => s.orderId),
    // Postgres sorts an enum in declaration order, so status breaks a tie between events in the same millisecond.
    history: createGroupLoader(
      (shipmentIds) => prisma.shipmentEvent.findMany({ where: { shipmentId: { in: [...shipmentIds] } }, orderBy: [{ at: "asc" }, { status: "asc" }] }),
      (e) => e.shipmentId,
    ),
  };
}
export type ShippingLoaders = ReturnType<typeof createLoaders>;
