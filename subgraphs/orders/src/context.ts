import type { LiveEvents, RequestContextBase } from "@store/kit";
import type { OrdersPrisma } from "./db.ts";
import type { OrdersEvents } from "./events.ts";
import { createLoaders, type OrdersLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: OrdersPrisma;
  loaders: OrdersLoaders;
  /** Mutations write their events through it in their own transaction, then call committed(). */
  events: OrdersEvents;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext(prisma: OrdersPrisma, events: OrdersEvents, live: LiveEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
