import type { ServiceEvents } from "@store/events";
import type { ServiceDeps } from "@store/kit";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";
import type { CardProcessor } from "./processor.ts";

/** The payments database, as the kit builds its client (query events on). */
export type Db = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what code that must share a
 * caller's transaction (the inbox's, or a mutation's that also writes the
 * outbox) takes instead of the root client.
 */
export type Tx = Prisma.TransactionClient;

/** What resolvers and handlers write events with: the outbox, inside their transaction. */
export type Events = ServiceEvents<Tx>;

/** What payments owns besides its database and events, one per process (see service.ts). */
export interface Resources {
  processor: CardProcessor;
}

/** What the kit gives the context factory and the event handlers. */
export type Deps = ServiceDeps<Db, Resources>;
