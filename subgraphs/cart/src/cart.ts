import { ERRORS } from "@store/kit";
import type { Cart } from "./generated/prisma/client.ts";
import type { Db, Tx } from "./types.ts";

/** The most units one line may hold; the migration's CHECK constraint says the same. */
export const MAX_LINE_QUANTITY = 100;

/** What an empty cart's subtotal is priced in: the store sells in USD. */
export const DEFAULT_CURRENCY = "USD";

const lineNotFound = (lineId: string) => ERRORS.NOT_FOUND.err(`Cart line ${lineId} does not exist`, { extensions: { field: "lineId" } });

/**
 * Every write below starts by updating the cart row: besides bumping updatedAt,
 * that row lock is held until commit, so writes to one cart run one after the
 * other and a check (currency, line cap) cannot be overtaken by a concurrent write.
 */
async function lockCartOf(tx: Tx, userId: string): Promise<Cart | null> {
  const cart = await tx.cart.findUnique({ where: { userId }, select: { id: true } });
  if (!cart) return null;
  return tx.cart.update({ where: { id: cart.id }, data: { updatedAt: new Date() } });
}

/** Creates the cart on first use. One INSERT … ON CONFLICT, so two first adds cannot both create one. */
function lockOrCreateCartOf(tx: Tx, userId: string): Promise<Cart> {
  return tx.cart.upsert({ where: { userId }, create: { userId }, update: { updatedAt: new Date() } });
}

/**
 * Adds `quantity` units of a product (already validated as 1..100) to the
 * user's cart. A line never exceeds MAX_LINE_QUANTITY and a cart never mixes
 * currencies; breaking either writes nothing, not even a new cart.
 */
export async function addToCart(prisma: Db, userId: string, productId: string, quantity: number): Promise<Cart> {
  const product = await prisma.productSnapshot.findUnique({ where: { productId } });
  if (!product) throw ERRORS.NOT_FOUND.err(`Product ${productId} does not exist`, { extensions: { field: "productId" } });
  return prisma.$transaction(async (tx) => {
    const cart = await lockOrCreateCartOf(tx, userId);
    const lines = await tx.cartLine.findMany({ where: { cartId: cart.id }, select: { productId: true, quantity: true } });
    const otherProducts = lines.filter((line) => line.productId !== productId).map((line) => line.productId);
    if (otherProducts.length > 0) {
      // A subtotal can only add up one currency, so the first line's currency is the cart's.
      const mismatch = await tx.productSnapshot.findFirst({
        where: { productId: { in: otherProducts }, currency: { not: product.currency } },
        select: { currency: true },
      });
      if (mismatch) {
        throw ERRORS.BAD_USER_INPUT.err(`Your cart is priced in ${mismatch.currency}; ${product.name} is priced in ${product.currency}`, { extensions: {
          field: "productId",
        } });
      }
    }
    const existing = lines.find((line) => line.productId === productId);
    if (!existing) {
      await tx.cartLine.create({ data: { cartId: cart.id, productId, quantity } });
      return cart;
    }
    // The cap is part of the UPDATE itself, so the increment is atomic with its check.
    const { count } = await tx.cartLine.updateMany({
      where: { cartId: cart.id, productId, quantity: { lte: MAX_LINE_QUANTITY - quantity } },
      data: { quantity: { increment: quantity } },
    });
    if (count === 0) {
      throw ERRORS.BAD_USER_INPUT.err(
        `A cart line holds at most ${MAX_LINE_QUANTITY} units; this one already has ${existing.quantity}, so at most ${MAX_LINE_QUANTITY - existing.quantity} more fit`,
        { extensions: { field: "quantity" } },
      );
    }
    return cart;
  });
}

/** Sets a line's quantity (already validated as 1..100). A line outside the user's cart is NOT_FOUND. */
export async function changeCartLineQuantity(prisma: Db, userId: string, lineId: string, quantity: number): Promise<Cart> {
  return prisma.$transaction(async (tx) => {
    const cart = await lockCartOf(tx, userId);
    if (!cart) throw lineNotFound(lineId);
    const { count } = await tx.cartLine.updateMany({ where: { id: lineId, cartId: cart.id }, data: { quantity } });
    if (count === 0) throw lineNotFound(lineId);
    return cart;
  });
}

/** Removes a line. A line outside the user's cart is NOT_FOUND. */
export async function removeCartLine(prisma: Db, userId: string, lineId: string): Promise<Cart> {
  return prisma.$transaction(async (tx) => {
    const cart = await lockCartOf(tx, userId);
    if (!cart) throw lineNotFound(lineId);
    const { count } = await tx.cartLine.deleteMany({ where: { id: lineId, cartId: cart.id } });
    if (count === 0) throw lineNotFound(lineId);
    return cart;
  });
}

/** Removes every line; a user without a cart gets an empty one, so clearing always succeeds. */
export async function clearCart(prisma: Db, userId: string): Promise<Cart> {
  return prisma.$transaction(async (tx) => {
    const cart = await lockOrCreateCartOf(tx, userId);
    await tx.cartLine.deleteMany({ where: { cartId: cart.id } });
    return cart;
  });
}

export interface RemovedOrderedLines {
  cartId: string;
  removed: number;
}

/**
 * Takes an order's products out of its customer's cart, in the caller's
 * transaction (the OrderPlaced handler's inbox transaction). Returns null when
 * there is no cart to touch.
 *
 * Only lines whose product is in the order go, not the whole cart: the event
 * arrives after the order was placed, and a product the customer put in the
 * cart in between is not part of that order, so it must survive. Each ordered
 * line goes whole rather than losing the ordered quantity: deleting is
 * idempotent where a subtraction would take units away again on any replay,
 * and the order's quantities need not match the cart's (the client sends
 * placeOrder its lines, which it may have edited).
 *
 * The cart is always the customer's own (one per user, so customerId names
 * it); an order's cartId is never followed, see the OrderPlaced handler.
 */
export async function removeOrderedLines(tx: Tx, customerId: string, productIds: readonly string[]): Promise<RemovedOrderedLines | null> {
  const cart = await tx.cart.findUnique({ where: { userId: customerId }, select: { id: true } });
  if (!cart) return null;
  const ordered = { cartId: cart.id, productId: { in: [...new Set(productIds)] } };
  // Nothing to remove (an order not placed from the cart): no lock, no updatedAt bump.
  // Checking before locking is safe: lines the order came from were committed before it was placed.
  if (!(await tx.cartLine.findFirst({ where: ordered, select: { id: true } }))) return { cartId: cart.id, removed: 0 };
  // Under the cart lock, so a concurrent addToCart that already read the line cannot lose it mid-write.
  await lockCartOf(tx, customerId);
  const { count } = await tx.cartLine.deleteMany({ where: ordered });
  return { cartId: cart.id, removed: count };
}

/**
 * After a product's price moved to `currency`, takes it out of every cart that
 * also holds a product priced in another currency, in the caller's transaction.
 * A subtotal adds up one currency only, and addToCart keeps carts single-
 * currency; a catalog currency change is the one thing that can break that
 * behind the customer's back. The changed product is the one that left the
 * cart's currency, so it is the line that goes; a cart holding only that
 * product (or only products already in the new currency) simply follows it.
 * Returns the ids of the carts that lost a line.
 */
export async function removeLinesPricedApart(tx: Tx, productId: string, currency: string): Promise<string[]> {
  const mixedCarts = async (among?: string[]) => {
    const rows = await tx.$queryRaw<{ cartId: string }[]>`
      SELECT DISTINCT changed."cartId"::text AS "cartId"
      FROM "CartLine" changed
      JOIN "CartLine" other ON other."cartId" = changed."cartId" AND other."productId" <> changed."productId"
      JOIN "ProductSnapshot" snapshot ON snapshot."productId" = other."productId"
      WHERE changed."productId" = ${productId}::uuid AND snapshot."currency" <> ${currency}`;
    const ids = rows.map((row) => row.cartId);
    return among ? ids.filter((id) => among.includes(id)) : ids;
  };
  const candidates = await mixedCarts();
  if (candidates.length === 0) return [];
  // Lock the carts as every cart write does, then look again: a customer may
  // have removed the other-currency line meanwhile, and then the cart keeps this one.
  await tx.cart.updateMany({ where: { id: { in: candidates } }, data: { updatedAt: new Date() } });
  const mixed = await mixedCarts(candidates);
  if (mixed.length > 0) await tx.cartLine.deleteMany({ where: { cartId: { in: mixed }, productId } });
  return mixed;
}
