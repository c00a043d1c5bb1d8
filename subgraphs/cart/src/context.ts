import type { RequestContextBase } from "@store/kit";
import { createLoaders, type CartLoaders } from "./loaders.ts";
import type { Db, Deps } from "./types.ts";

/** Cart's resolvers emit no events (the catalogue has none for carts), so the context carries none. */
export interface Context extends RequestContextBase {
  prisma: Db;
  loaders: CartLoaders;
}

export function createContext({ prisma }: Deps, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
