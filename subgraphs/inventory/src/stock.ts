import { z } from "zod";
import { UNIQUE_VIOLATION, fields, isPrismaError, parseInput } from "@store/kit";
import type { StockReservation } from "./generated/prisma/client.ts";
import type { InventoryPrisma } from "./db.ts";

export interface StockLine {
  productId: string;
  quantity: number;
}

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

export type ReserveStockResult = { ok: true; reservations: StockReservation[] } | { ok: false; shortages: Shortage[] };

export interface ReleaseStockResult {
  /** What this call returned to available stock; empty when there was nothing left to release. */
  released: StockLine[];
}

const reserveInput = z.object({
  orderId: fields.id("orderId"),
  lines: z.array(z.object({ productId: fields.id("productId"), quantity: fields.quantity() })).min(1, "an order reserves at least one line").max(100),
});

// Many rows of the same products are locked by concurrent orders; a pool slot
// may have to wait for a few of them to commit first.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

/** Thrown inside the transaction only to roll it back; never leaves this module. */
class InsufficientStock {
  constructor(readonly shortages: Shortage[]) {}
}

/**
 * One line per product, in productId order. The unique (orderId, productId)
 * needs the merge; the order makes every transaction lock stock rows in the
 * same sequence, so two orders sharing products cannot deadlock.
 */
function mergeLines(lines: readonly StockLine[]): StockLine[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

function existingReservations(prisma: InventoryPrisma, orderId: string): Promise<StockReservation[]> {
  return prisma.stockReservation.findMany({ where: { orderId }, orderBy: { productId: "asc" } });
}

/**
 * Holds stock for every line of an order, or for none of them.
 *
 * Each line is a conditional increment: PostgreSQL re-checks the WHERE clause
 * of an UPDATE against the newest committed row after waiting for its lock, so
 * concurrent reservations serialise on the row and can never take more than is
 * available, under READ COMMITTED and without retries.
 *
 * Idempotent per order: once an order has reservations (in whatever status),
 * calling again returns them instead of reserving twice, so a redelivered
 * event cannot double-reserve, and a released order is not reserved again. A
 * call that ended in shortages wrote nothing, so a later call tries afresh.
 */
export async function reserveStock(prisma: InventoryPrisma, orderId: string, lines: readonly StockLine[]): Promise<ReserveStockResult> {
  const input = parseInput(reserveInput, { orderId, lines });
  const existing = await existingReservations(prisma, input.orderId);
  if (existing.length > 0) return { ok: true, reservations: existing };

  const merged = mergeLines(input.lines);
  try {
    const reservations = await prisma.$transaction(async (tx) => {
      const short: StockLine[] = [];
      for (const line of merged) {
        const updated = await tx.$executeRaw`
          UPDATE "StockItem"
          SET "reserved" = "reserved" + ${line.quantity}::int, "updatedAt" = now()
          WHERE "productId" = ${line.productId}::uuid AND "onHand" - "reserved" >= ${line.quantity}::int`;
        if (updated === 0) short.push(line);
      }
      if (short.length > 0) {
        const items = await tx.stockItem.findMany({ where: { productId: { in: short.map((l) => l.productId) } } });
        const available = new Map(items.map((item) => [item.productId, item.onHand - item.reserved]));
        throw new InsufficientStock(short.map((l) => ({ productId: l.productId, requested: l.quantity, available: available.get(l.productId) ?? 0 })));
      }
      // A concurrent call for the same order fails here on the unique
      // (orderId, productId) and rolls its increments back.
      const created = await tx.stockReservation.createManyAndReturn({
        data: merged.map((l) => ({ orderId: input.orderId, productId: l.productId, quantity: l.quantity })),
      });
      await tx.stockMovement.createMany({
        data: merged.map((l) => ({ productId: l.productId, delta: -l.quantity, reason: "RESERVE", orderId: input.orderId })),
      });
      return created.sort((a, b) => (a.productId < b.productId ? -1 : 1));
    }, TRANSACTION_OPTIONS);
    return { ok: true, reservations };
  } catch (error) {
    if (error instanceof InsufficientStock) return { ok: false, shortages: error.shortages };
    if (isPrismaError(error, UNIQUE_VIOLATION)) return { ok: true, reservations: await existingReservations(prisma, input.orderId) };
    throw error;
  }
}

/**
 * Returns an order's RESERVED units to available stock and marks them
 * RELEASED; COMMITTED ones are left alone. The status flip is a conditional
 * update, so of two concurrent calls only one finds rows to release, and a
 * repeated call releases nothing.
 */
export async function releaseStock(prisma: InventoryPrisma, orderId: string): Promise<ReleaseStockResult> {
  const id = parseInput(fields.id("orderId"), orderId);
  return prisma.$transaction(async (tx) => {
    const flipped = await tx.stockReservation.updateManyAndReturn({
      where: { orderId: id, status: "RESERVED" },
      data: { status: "RELEASED" },
    });
    const released = mergeLines(flipped);
    for (const line of released) {
      await tx.stockItem.update({ where: { productId: line.productId }, data: { reserved: { decrement: line.quantity } } });
    }
    if (released.length > 0) {
      await tx.stockMovement.createMany({
        data: released.map((l) => ({ productId: l.productId, delta: l.quantity, reason: "RELEASE", orderId: id })),
      });
    }
    return { released };
  }, TRANSACTION_OPTIONS);
}
