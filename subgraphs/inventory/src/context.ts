import type { RequestContextBase } from "@store/kit";
import type { InventoryPrisma } from "./db.ts";
import type { InventoryEvents } from "./events.ts";
import { createLoaders, type InventoryLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: InventoryPrisma;
  /** Mutations write their events with `events.emit(tx, ...)` in their own transaction. */
  events: InventoryEvents;
  loaders: InventoryLoaders;
}

export function createContext({ prisma, events }: { prisma: InventoryPrisma; events: InventoryEvents }, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
