import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient, type Prisma } from "./generated/prisma/client.ts";

export type InventoryPrisma = PrismaClient<"query">;
/** The client an interactive transaction hands its callback: what domain functions and event handlers write through. */
export type InventoryTx = Prisma.TransactionClient;

export interface CreateInventoryPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createInventoryPrisma({ url, ...database }: CreateInventoryPrismaOptions): InventoryPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
