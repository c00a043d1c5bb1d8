import type { LiveEvents, RequestContextBase } from "@store/kit";
import { createLoaders, type ShippingLoaders } from "./loaders.ts";
import type { Db, Deps, Events } from "./types.ts";

export interface Context extends RequestContextBase {
  prisma: Db;
  loaders: ShippingLoaders;
  /** Mutations write their domain events to the outbox through this, in their own transaction. */
  events: Events;
  /** The bus's live view: what subscriptions are made of. */
  live: LiveEvents;
}

export function createContext({ prisma, events, live }: Deps, base: RequestContextBase): Context {
  return { ...base, prisma, events, live, loaders: createLoaders(prisma) };
}
