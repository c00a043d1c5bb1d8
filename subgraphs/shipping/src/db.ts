import { createPgAdapter } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type ShippingPrisma = PrismaClient<"query">;

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
