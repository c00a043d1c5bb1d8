import type { RequestContextBase } from "@store/kit";
import type { InventoryPrisma } from "./db.ts";
import { createLoaders, type InventoryLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: InventoryPrisma;
  loaders: InventoryLoaders;
}

export function createContext(prisma: InventoryPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
