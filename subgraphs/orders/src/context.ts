import type { RequestContextBase } from "@store/kit";
import type { OrdersPrisma } from "./db.ts";
import { createLoaders, type OrdersLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: OrdersPrisma;
  loaders: OrdersLoaders;
}

export function createContext(prisma: OrdersPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
