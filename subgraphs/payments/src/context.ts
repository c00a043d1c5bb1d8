import type { RequestContextBase } from "@store/kit";
import type { PaymentsPrisma } from "./db.ts";
import { createLoaders, type PaymentsLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: PaymentsPrisma;
  loaders: PaymentsLoaders;
}

export function createContext(prisma: PaymentsPrisma, base: RequestContextBase): Context {
  return { ...base, prisma, loaders: createLoaders(prisma) };
}
