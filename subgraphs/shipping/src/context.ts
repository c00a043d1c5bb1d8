import type { LiveEvents, RequestContextBase } from "@store/kit";
import type { ShippingPrisma } from "./db.ts";
import type { ShippingEvents } from "./events.ts";
import { createLoaders, type ShippingLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: ShippingPrisma;
  loaders: ShippingLoaders;
  /** Mutations write their domain events to the outbox through this, in their own transaction. */
  events: ShippingEvents;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext(prisma: ShippingPrisma, events: ShippingEvents, live: LiveEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
