import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export type ShippingPrisma = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what domain functions that
 * must share a caller's transaction (the inbox's, or one that also writes the
 * outbox) take instead of the root client.
 */
export type ShippingTx = Prisma.TransactionClient;

export interface CreateShippingPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createShippingPrisma({ url, ...database }: CreateShippingPrismaOptions): ShippingPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
