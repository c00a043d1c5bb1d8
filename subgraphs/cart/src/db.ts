import { createPgAdapter } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type CartPrisma = PrismaClient<"query">;

export interface CreateCartPrismaOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createCartPrisma({ url, poolSize }: CreateCartPrismaOptions): CartPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, poolSize }),
    log: [{ emit: "event", level: "query" }],
  });
}
