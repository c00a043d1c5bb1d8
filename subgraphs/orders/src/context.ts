import type { RequestContextBase } from "@store/kit";
import type { OrdersPrisma } from "./db.ts";
import type { OrdersEvents } from "./events.ts";
import { createLoaders, type OrdersLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: OrdersPrisma;
  loaders: OrdersLoaders;
  /** Mutations write their events through it in their own transaction, then call committed(). */
  events: OrdersEvents;
}

export function createContext(prisma: OrdersPrisma, events: OrdersEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
