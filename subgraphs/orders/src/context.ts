import type { LiveEvents, RequestContextBase } from "@store/kit";
import { createLoaders, type OrdersLoaders } from "./loaders.ts";
import type { Db, Deps, Events } from "./types.ts";

export interface Context extends RequestContextBase {
  prisma: Db;
  loaders: OrdersLoaders;
  /** Mutations write their events through it in their own transaction, then call committed(). */
  events: Events;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext({ prisma, events, live }: Deps, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
