import type { ServiceEvents } from "@store/events";
import type { ServiceDeps } from "@store/kit";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";

/** The shipping database, as the kit builds its client (query events on). */
export type Db = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what domain functions that
 * must share a caller's transaction (the inbox's, or one that also writes the
 * outbox) take instead of the root client.
 */
export type Tx = Prisma.TransactionClient;

/** Shipping's outbox (ShipmentDispatched, ShipmentDelivered), relay and consumer. */
export type Events = ServiceEvents<Tx>;

/** What the kit gives the context factory and the event handlers. */
export type Deps = ServiceDeps<Db>;

/** What the saga's handler uses of it. */
export type HandlerDeps = Pick<Deps, "logger">;
