import type { Cart, CartLine } from "./generated/prisma/client.ts";

export type CartMapper = Cart;
export type CartLineMapper = CartLine;
/** Accounts owns users; this subgraph only knows their id. */
export type UserMapper = { id: string };
