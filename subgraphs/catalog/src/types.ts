import type { ServiceEvents } from "@store/events";
import type { ServiceDeps } from "@store/kit";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";

/** The catalog database, as the kit builds its client (query events on). */
export type Db = PrismaClient<"query">;

/** What resolvers write with inside `prisma.$transaction`: events go to the outbox through the same client. */
export type Tx = Prisma.TransactionClient;

/** Catalog's outbox (ProductCreated, ProductPriceChanged) and relay; it consumes nothing. */
export type Events = ServiceEvents<Tx>;

/** What the kit gives the context factory. */
export type Deps = ServiceDeps<Db>;
