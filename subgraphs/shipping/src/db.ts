import { createPgAdapter } from "@store/kit";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export type ShippingPrisma = PrismaClient<"query">;

/**
 * The client inside an interactive transaction: what domain functions that
 * must share a caller's transaction (the inbox's, or one that also writes the
 * outbox) take instead of the root client.
 */
export type ShippingTx = Prisma.TransactionClient;

export interface CreateShippingPrismaOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createShippingPrisma({ url, poolSize }: CreateShippingPrismaOptions): ShippingPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, poolSize }),
    log: [{ emit: "event", level: "query" }],
  });
}
