import type { ServiceEvents } from "@store/events";
import type { ServiceDeps } from "@store/kit";
import type { Prisma, PrismaClient } from "./generated/prisma/client.ts";
import type { SignInThrottle } from "./signInThrottle.ts";

/** The accounts database, as the kit builds its client (query events on). */
export type Db = PrismaClient<"query">;

/** What resolvers write with inside `prisma.$transaction`: events go to the outbox through the same client. */
export type Tx = Prisma.TransactionClient;

/** Accounts' outbox (UserRegistered) and relay; it consumes nothing. */
export type Events = ServiceEvents<Tx>;

/** What accounts owns besides its database and events, one per process (see service.ts). */
export interface Resources {
  /** HS256 key for access tokens; the router verifies them with the same secret. */
  jwtSecret: string;
  /** Counts sign-in failures by account and client address. */
  signInThrottle: SignInThrottle;
}

/** What the kit gives the context factory. */
export type Deps = ServiceDeps<Db, Resources>;
