import { createServiceEvents, type EventBus, type ServiceEvents } from "@store/events";
import type { Logger, ServiceCreateOptions } from "@store/kit";
import type { CatalogPrisma } from "./db.ts";
import type { Prisma } from "./generated/prisma/client.ts";

/** What resolvers write with inside `prisma.$transaction`: events go to the outbox through the same client. */
export type CatalogTx = Prisma.TransactionClient;
export type CatalogEvents = ServiceEvents<CatalogTx>;

export interface CreateCatalogEventsOptions {
  prisma: CatalogPrisma;
  bus: EventBus;
  logger: Logger;
  /** Outbox metrics go here when given (served at /metrics). */
  registry?: ServiceCreateOptions["registry"];
}

/**
 * Catalog only emits (ProductCreated, ProductPriceChanged); it consumes
 * nothing, so there is no subscribe step.
 */
export function createCatalogEvents({ prisma, bus, logger, registry }: CreateCatalogEventsOptions): CatalogEvents {
  return createServiceEvents<CatalogTx>({ service: "catalog", db: prisma, bus, logger, registry });
}
