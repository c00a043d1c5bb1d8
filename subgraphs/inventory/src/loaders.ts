import { z } from "zod";
import { createBatchLoader } from "@store/kit";
import type { Db } from "./types.ts";

const uuid = z.uuid();

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    // A key that is not a UUID cannot match a row, and passed to PostgreSQL it
    // would fail the uuid cast and with it every other key in the batch.
    stockItem: createBatchLoader(
      (productIds) => prisma.stockItem.findMany({ where: { productId: { in: productIds.filter((id) => uuid.safeParse(id).success) } } }),
      (item) => item.productId,
    ),
  };
}
export type InventoryLoaders = ReturnType<typeof createLoaders>;
