import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type OrdersPrisma = PrismaClient<"query">;

export interface CreateOrdersPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createOrdersPrisma({ url, ...database }: CreateOrdersPrismaOptions): OrdersPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
