import { createPgAdapter } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type OrdersPrisma = PrismaClient<"query">;

export interface CreateOrdersPrismaOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createOrdersPrisma({ url, poolSize }: CreateOrdersPrismaOptions): OrdersPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, poolSize }),
    log: [{ emit: "event", level: "query" }],
  });
}
