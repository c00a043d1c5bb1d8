import { createServiceEvents, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { AccountsPrisma } from "./db.ts";
import type { Prisma } from "./generated/prisma/client.ts";

/** What resolvers write with inside `prisma.$transaction`: events go to the outbox through the same client. */
export type AccountsTx = Prisma.TransactionClient;
export type AccountsEvents = ServiceEvents<AccountsTx>;

export interface CreateAccountsEventsOptions {
  prisma: AccountsPrisma;
  bus: EventBus;
  logger: Logger;
  /** Outbox metrics go here when given (served at /metrics). */
  registry?: ServiceCreateOptions["registry"];
}

/**
 * Accounts only emits (UserRegistered); it consumes nothing, so there is no
 * subscribe step.
 */
export function createAccountsEvents({ prisma, bus, logger, registry }: CreateAccountsEventsOptions): AccountsEvents {
  return createServiceEvents<AccountsTx>({ service: "accounts", db: prisma, bus, logger, registry });
}
