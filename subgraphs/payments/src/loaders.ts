import { createBatchLoader, createGroupLoader } from "@store/kit";
import { z } from "zod";
import type { Db } from "./types.ts";

const uuid = z.uuid();

/**
 * Representations come from the router unvalidated; one malformed id in an
 * `IN (...)` list would make PostgreSQL reject the whole batch, so such keys
 * are simply misses.
 */
function wellFormed(ids: readonly string[]): string[] {
  return ids.filter((id) => uuid.safeParse(id).success);
}

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    payment: createBatchLoader(async (ids) => {
      const valid = wellFormed(ids);
      return valid.length === 0 ? [] : prisma.payment.findMany({ where: { id: { in: valid } } });
    }, (p) => p.id),
    paymentByOrder: createBatchLoader(async (orderIds) => {
      const valid = wellFormed(orderIds);
      return valid.length === 0 ? [] : prisma.payment.findMany({ where: { orderId: { in: valid } } });
    }, (p) => p.orderId),
    refundsByPayment: createGroupLoader(
      (paymentIds) => prisma.refund.findMany({ where: { paymentId: { in: [...paymentIds] } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
      (r) => r.paymentId,
    ),
  };
}
export type PaymentsLoaders = ReturnType<typeof createLoaders>;
