import type { RequestContextBase } from "@store/kit";
import { createLoaders, type CatalogLoaders } from "./loaders.ts";
import type { Db, Deps, Events } from "./types.ts";

export interface Context extends RequestContextBase {
  prisma: Db;
  loaders: CatalogLoaders;
  /** Mutations write their domain events to the outbox in their own transaction. */
  events: Events;
}

export function createContext({ prisma, events }: Deps, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
