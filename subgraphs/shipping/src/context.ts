import type { RequestContextBase } from "@store/kit";
import type { ShippingPrisma } from "./db.ts";
import { createLoaders, type ShippingLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: ShippingPrisma;
  loaders: ShippingLoaders;
}

export function createContext(prisma: ShippingPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
