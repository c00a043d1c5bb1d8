import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export type PaymentsPrisma = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what code that must share a
 * caller's transaction (the inbox's, or a mutation's that also writes the
 * outbox) takes instead of the root client.
 */
export type PaymentsTx = Prisma.TransactionClient;

export interface CreatePaymentsPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createPaymentsPrisma({ url, ...database }: CreatePaymentsPrismaOptions): PaymentsPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
