import { createPgAdapter } from "@store/kit";
import { PrismaClient } from "./generated/prisma/client.ts";

export type AccountsPrisma = PrismaClient<"query">;

export interface CreateAccountsPrismaOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
}

/** Query events are always emitted: tests count them, and they cost nothing unheard. */
export function createAccountsPrisma({ url, poolSize }: CreateAccountsPrismaOptions): AccountsPrisma {
  return new PrismaClient({
    adapter: createPgAdapter({ connectionString: url, poolSize }),
    log: [{ emit: "event", level: "query" }],
  });
}
