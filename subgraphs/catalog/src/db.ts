import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type CatalogPrisma = PrismaClient<"query">;

export interface CreateCatalogPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createCatalogPrisma({ url, ...database }: CreateCatalogPrismaOptions): CatalogPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
