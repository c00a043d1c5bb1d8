import { createBatchLoader, createGroupLoader, fields } from "@store/kit";
import type { Db } from "./types.ts";
import type { Cart } from "./generated/prisma/client.ts";

const uuid = fields.id();

/**
 * Keys come from `_entities` representations and parent objects, not only from
 * validated arguments; a non-UUID cannot match a row, and left in the batch it
 * would fail the whole `IN (...)` cast for every other key.
 */
const uuidsOf = (keys: readonly string[]) => keys.filter((key) => uuid.safeParse(key).success);

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    cart: createBatchLoader((ids) => prisma.cart.findMany({ where: { id: { in: uuidsOf(ids) } } }), (c) => c.id),
    cartByUser: createBatchLoader((userIds) => prisma.cart.findMany({ where: { userId: { in: uuidsOf(userIds) } } }), (c) => c.userId),
    linesByCart: createGroupLoader(
      (cartIds) => prisma.cartLine.findMany({ where: { cartId: { in: uuidsOf(cartIds) } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
      (line) => line.cartId,
    ),
    snapshot: createBatchLoader((productIds) => prisma.productSnapshot.findMany({ where: { productId: { in: uuidsOf(productIds) } } }), (s) => s.productId),
  };
}
export type CartLoaders = ReturnType<typeof createLoaders>;

/**
 * After a mutation the request's cached cart and lines are stale (a request may
 * run several mutations in a row); the written cart replaces them.
 */
export function refreshCart(loaders: CartLoaders, cart: Cart): Cart {
  loaders.cart.clear(cart.id).prime(cart.id, cart);
  loaders.cartByUser.clear(cart.userId).prime(cart.userId, cart);
  loaders.linesByCart.clear(cart.id);
  return cart;
}
