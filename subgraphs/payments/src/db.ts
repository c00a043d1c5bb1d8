import { createPgAdapter } from "@store/kit";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export type PaymentsPrisma = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what code that must share a
 * caller's transaction (the inbox's, or a mutation's that also writes the
 * outbox) takes instead of the root client.
 */
export type PaymentsTx = Prisma.TransactionClient;

export interface CreatePaymentsPrismaOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createPaymentsPrisma({ url, poolSize }: CreatePaymentsPrismaOptions): PaymentsPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, poolSize }),
    log: [{ emit: "event", level: "query" }],
  });
}
