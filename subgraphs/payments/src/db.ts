import { createPgAdapter } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type PaymentsPrisma = PrismaClient<"query">;

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
