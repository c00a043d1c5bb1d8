import { createPgAdapter, transactionOptions, type DatabaseOptions } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type CartPrisma = PrismaClient<"query">;

export interface CreateCartPrismaOptions extends DatabaseOptions {
  url: string;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createCartPrisma({ url, ...database }: CreateCartPrismaOptions): CartPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, ...database }),
    transactionOptions: transactionOptions(database),
    log: [{ emit: "event", level: "query" }],
  });
}
