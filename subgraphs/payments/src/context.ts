import type { RequestContextBase } from "@store/kit";
import type { PaymentsPrisma } from "./db.ts";
import type { PaymentsEvents } from "./events.ts";
import { createLoaders, type PaymentsLoaders } from "./loaders.ts";

export interface Context extends RequestContextBase {
  prisma: PaymentsPrisma;
  loaders: PaymentsLoaders;
  /** Mutations write their domain events to the outbox in their own transaction. */
  events: PaymentsEvents;
}

export function createContext(prisma: PaymentsPrisma, events: PaymentsEvents, base: RequestContextBase): Context {
  return { ...base, prisma, events, loaders: createLoaders(prisma) };
}
