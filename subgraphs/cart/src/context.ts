import type { RequestContextBase } from "@store/kit";
import type { CartPrisma } from "./db.ts";
import { createLoaders, type CartLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: CartPrisma;
  loaders: CartLoaders;
}

export function createContext(prisma: CartPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
