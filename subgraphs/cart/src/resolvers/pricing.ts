import { ERRORS } from "@store/kit";
import type { CartLine, ProductSnapshot } from "../generated/prisma/client.ts";
import type { CartLoaders } from "../loaders.ts";

/** A line's product as the snapshot knows it now: prices are current, never the price at the time of adding. */
export async function snapshotOf(line: CartLine, loaders: CartLoaders): Promise<ProductSnapshot> {
  const snapshot = await loaders.snapshot.load(line.productId);
  // Lines are only created for products in the snapshot, and snapshots are never deleted; a miss is a bug.
  if (!snapshot) throw ERRORS.INTERNAL_SERVER_ERROR.err(`product snapshot ${line.productId} missing for cart line ${line.id}`);
  return snapshot;
}
