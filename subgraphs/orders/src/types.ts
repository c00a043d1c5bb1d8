import type { ServiceEvents } from "@store/events";
import type { ServiceDeps } from "@store/kit";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";

/** The orders database, as the kit builds its client (query events on). */
export type Db = PrismaClient<"query">;

/** The client inside `prisma.$transaction` (and inside an inbox transaction): what the outbox writes through. */
export type Tx = Prisma.TransactionClient;

/** Orders' outbox, relay and consumer. */
export type Events = ServiceEvents<Tx>;

/** What the kit gives the context factory and the event handlers. */
export type Deps = ServiceDeps<Db>;

/** What the saga's handlers use of it. */
export type HandlerDeps = Pick<Deps, "events" | "logger">;
