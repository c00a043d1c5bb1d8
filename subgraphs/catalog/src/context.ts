import type { RequestContextBase } from "@store/kit";
import type { CatalogPrisma } from "./db.ts";
import type { CatalogEvents } from "./events.ts";
import { createLoaders, type CatalogLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: CatalogPrisma;
  loaders: CatalogLoaders;
  /** Mutations write their domain events to the outbox in their own transaction. */
  events: CatalogEvents;
}

export function createContext(prisma: CatalogPrisma, events: CatalogEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
