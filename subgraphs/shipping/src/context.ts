import type { RequestContextBase } from "@store/kit";
import type { ShippingPrisma } from "./db.ts";
import type { ShippingEvents } from "./events.ts";
import { createLoaders, type ShippingLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: ShippingPrisma;
  loaders: ShippingLoaders;
  /** Mutations write their domain events to the outbox through this, in their own transaction. */
  events: ShippingEvents;
}

export function createContext(prisma: ShippingPrisma, events: ShippingEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
