import type { LiveEvents, RequestContextBase } from "@store/kit";
import type { InventoryPrisma } from "./db.ts";
import type { InventoryEvents } from "./events.ts";
import { createLoaders, type InventoryLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: InventoryPrisma;
  /** Mutations write their events with `events.emit(tx, ...)` in their own transaction. */
  events: InventoryEvents;
  loaders: InventoryLoaders;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext({ prisma, events, live }: { prisma: InventoryPrisma; events: InventoryEvents; live: LiveEvents }, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
