import { z } from "zod";
import { fields, parseInput } from "@store/kit";
import type { StockItem, StockReservation } from "./generated/prisma/client.ts";
import type { Db, Tx } from "./types.ts";

export interface StockLine {
  productId: string;
  quantity: number;
}

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

/** A product's counters as a change left them: what StockChanged reports. */
export interface StockCounters {
  productId: string;
  onHand: number;
  reserved: number;
}

export type ReserveStockResult =
  | {
      ok: true;
      reservations: StockReservation[];
      /** Counters of the products this call reserved; empty when the order already had its reservations (a repeat changes nothing). */
      changed: StockCounters[];
    }
  | { ok: false; shortages: Shortage[] };

export interface ReleaseStockResult {
  /** What this call returned to available stock; empty when there was nothing left to release. */
  released: StockLine[];
}

export interface ReleaseStockInTxResult extends ReleaseStockResult {
  /** Counters of the released products, one per product. */
  changed: StockCounters[];
}

export interface CommitStockResult {
  /** What this call took out of the warehouse for the order; empty when nothing was still reserved. */
  committed: StockLine[];
  /** Counters of the committed products, one per product. */
  changed: StockCounters[];
}

const reserveInput = z.object({
  orderId: fields.id("orderId"),
  lines: z.array(z.object({ productId: fields.id("productId"), quantity: fields.quantity() })).min(1, "an order reserves at least one line").max(100),
});

// Many rows of the same products are locked by concurrent orders; a pool slot
// may have to wait for a few of them to commit first.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

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

const byProductId = (a: { productId: string }, b: { productId: string }) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);

const counters = ({ productId, onHand, reserved }: StockItem): StockCounters => ({ productId, onHand, reserved });

function existingReservations(tx: Tx, orderId: string): Promise<StockReservation[]> {
  return tx.stockReservation.findMany({ where: { orderId }, orderBy: { productId: "asc" } });
}

/**
 * Holds stock for every line of an order, or for none of them, inside the
 * caller's transaction (an event handler's inbox transaction, or
 * reserveStock's own).
 *
 * Each line is a conditional increment: PostgreSQL re-checks the WHERE clause
 * of an UPDATE against the newest committed row after waiting for its lock, so
 * concurrent reservations serialise on the row and can never take more than is
 * available, under READ COMMITTED and without retries.
 *
 * The increments run under a savepoint. On a shortage they are rolled back to
 * it rather than by failing the transaction: the caller's transaction stays
 * usable and commits the rest of its work (the inbox row and a StockRejected),
 * with nothing reserved.
 *
 * Idempotent per order: once an order has reservations (in whatever status),
 * calling again returns them instead of reserving twice, so a redelivered
 * event cannot double-reserve, and a released order is not reserved again. A
 * call that ended in shortages wrote nothing, so a later call tries afresh.
 */
export async function reserveStockInTx(tx: Tx, orderId: string, lines: readonly StockLine[]): Promise<ReserveStockResult> {
  const input = parseInput(reserveInput, { orderId, lines });
  const existing = await existingReservations(tx, input.orderId);
  if (existing.length > 0) return { ok: true, reservations: existing, changed: [] };

  const merged = mergeLines(input.lines);
  await tx.$executeRawUnsafe(`SAVEPOINT reserve_stock`);
  const changed: StockCounters[] = [];
  const short: StockLine[] = [];
  for (const line of merged) {
    const [row] = await tx.$queryRaw<StockCounters[]>`
      UPDATE "StockItem"
      SET "reserved" = "reserved" + ${line.quantity}::int, "updatedAt" = now()
      WHERE "productId" = ${line.productId}::uuid AND "onHand" - "reserved" >= ${line.quantity}::int
      RETURNING "productId"::text AS "productId", "onHand", "reserved"`;
    if (row) changed.push(row);
    else short.push(line);
  }
  if (short.length > 0) {
    await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT reserve_stock`);
    const items = await tx.stockItem.findMany({ where: { productId: { in: short.map((l) => l.productId) } } });
    const available = new Map(items.map((item) => [item.productId, item.onHand - item.reserved]));
    return { ok: false, shortages: short.map((l) => ({ productId: l.productId, requested: l.quantity, available: available.get(l.productId) ?? 0 })) };
  }
  // ON CONFLICT DO NOTHING waits for a concurrent call for the same order; if
  // that one committed first, its reservations stand and ours are undone.
  const created = await tx.stockReservation.createManyAndReturn({
    data: merged.map((l) => ({ orderId: input.orderId, productId: l.productId, quantity: l.quantity })),
    skipDuplicates: true,
  });
  if (created.length < merged.length) {
    await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT reserve_stock`);
    return { ok: true, reservations: await existingReservations(tx, input.orderId), changed: [] };
  }
  await tx.stockMovement.createMany({
    data: merged.map((l) => ({ productId: l.productId, delta: -l.quantity, reason: "RESERVE", orderId: input.orderId })),
  });
  await tx.$executeRawUnsafe(`RELEASE SAVEPOINT reserve_stock`);
  return { ok: true, reservations: created.sort(byProductId), changed };
}

/** reserveStockInTx in a transaction of its own. */
export async function reserveStock(prisma: Db, orderId: string, lines: readonly StockLine[]): Promise<ReserveStockResult> {
  return prisma.$transaction((tx) => reserveStockInTx(tx, orderId, lines), TRANSACTION_OPTIONS);
}

/**
 * Returns an order's RESERVED units to available stock and marks them
 * RELEASED; COMMITTED ones are left alone. The status flip is a conditional
 * update, so of two concurrent calls only one finds rows to release, and a
 * repeated call releases nothing.
 */
export async function releaseStockInTx(tx: Tx, orderId: string): Promise<ReleaseStockInTxResult> {
  const id = parseInput(fields.id("orderId"), orderId);
  const flipped = await tx.stockReservation.updateManyAndReturn({
    where: { orderId: id, status: "RESERVED" },
    data: { status: "RELEASED" },
  });
  const released = mergeLines(flipped);
  const changed: StockCounters[] = [];
  for (const line of released) {
    changed.push(counters(await tx.stockItem.update({ where: { productId: line.productId }, data: { reserved: { decrement: line.quantity } } })));
  }
  if (released.length > 0) {
    await tx.stockMovement.createMany({
      data: released.map((l) => ({ productId: l.productId, delta: l.quantity, reason: "RELEASE", orderId: id })),
    });
  }
  return { released, changed };
}

/** releaseStockInTx in a transaction of its own. */
export async function releaseStock(prisma: Db, orderId: string): Promise<ReleaseStockResult> {
  const { released } = await prisma.$transaction((tx) => releaseStockInTx(tx, orderId), TRANSACTION_OPTIONS);
  return { released };
}

/**
 * The order's goods left the warehouse: its RESERVED units stop being stock.
 * onHand and reserved both drop by the quantity, so available does not move
 * (it already excluded them), and the reservations become COMMITTED, which
 * releaseStock leaves alone. The movement is a COMMIT with delta 0 (available)
 * and onHandDelta -n. Same conditional status flip as releaseStock: once only,
 * whatever the concurrency, and a repeat commits nothing.
 */
export async function commitStockInTx(tx: Tx, orderId: string): Promise<CommitStockResult> {
  const id = parseInput(fields.id("orderId"), orderId);
  const flipped = await tx.stockReservation.updateManyAndReturn({
    where: { orderId: id, status: "RESERVED" },
    data: { status: "COMMITTED" },
  });
  const committed = mergeLines(flipped);
  const changed: StockCounters[] = [];
  for (const line of committed) {
    const item = await tx.stockItem.update({
      where: { productId: line.productId },
      data: { onHand: { decrement: line.quantity }, reserved: { decrement: line.quantity } },
    });
    changed.push(counters(item));
  }
  if (committed.length > 0) {
    await tx.stockMovement.createMany({
      data: committed.map((l) => ({ productId: l.productId, delta: 0, onHandDelta: -l.quantity, reason: "COMMIT", orderId: id })),
    });
  }
  return { committed, changed };
}
