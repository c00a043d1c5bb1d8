import type { RequestContextBase } from "@store/kit";
import type { CatalogPrisma } from "./db.ts";
import { createLoaders, type CatalogLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: CatalogPrisma;
  loaders: CatalogLoaders;
}

export function createContext(prisma: CatalogPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
