import { ERRORS, canAccess } from "@store/kit";
import type { CartResolvers } from "../generated/graphql.ts";
import { DEFAULT_CURRENCY } from "../cart.ts";
import { snapshotOf } from "./pricing.ts";

export const Cart: CartResolvers = {
  async __resolveReference(ref, { identity, loaders }) {
    const cart = await loaders.cart.load(ref.id);
    // Someone else's cart is answered exactly like one that does not exist.
    return cart && canAccess(identity, cart.userId) ? cart : null;
  },
  lines: (cart, _, { loaders }) => loaders.linesByCart.load(cart.id),
  itemCount: async (cart, _, { loaders }) => (await loaders.linesByCart.load(cart.id)).reduce((sum, line) => sum + line.quantity, 0),
  async subtotal(cart, _, { loaders }) {
    const lines = await loaders.linesByCart.load(cart.id);
    const priced = await Promise.all(lines.map(async (line) => ({ line, snapshot: await snapshotOf(line, loaders) })));
    const currency = priced[0]?.snapshot.currency ?? DEFAULT_CURRENCY;
    // addToCart refuses a second currency; only a later currency change of a product can get here.
    const foreign = priced.find(({ snapshot }) => snapshot.currency !== currency);
    if (foreign) {
      throw ERRORS.INVALID_STATE.err(`Your cart mixes ${currency} and ${foreign.snapshot.currency}; remove ${foreign.snapshot.name} to see a subtotal`, { extensions: {
        lineId: foreign.line.id,
      } });
    }
    return { amount: priced.reduce((sum, { line, snapshot }) => sum + line.quantity * snapshot.priceCents, 0), currency };
  },
  updatedAt: (cart) => cart.updatedAt.toISOString(),
};
