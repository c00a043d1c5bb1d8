import type { LiveEvents, RequestContextBase } from "@store/kit";
import { createLoaders, type InventoryLoaders } from "./loaders.ts";
import type { Db, Deps, Events } from "./types.ts";

export interface Context extends RequestContextBase {
  prisma: Db;
  /** Mutations write their events with `events.emit(tx, ...)` in their own transaction. */
  events: Events;
  loaders: InventoryLoaders;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext({ prisma, events, live }: Deps, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
