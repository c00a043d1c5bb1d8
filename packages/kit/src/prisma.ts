import { PrismaPg } from "@prisma/adapter-pg";

export interface PgAdapterOptions {
  connectionString: string;
  /** @default 10 */
  poolSize?: number;
}

/**
 * Every subgraph's Prisma client runs on the WASM query compiler with this
 * driver adapter: no native engine is downloaded or loaded.
 */
export function createPgAdapter({ connectionString, poolSize = 10 }: PgAdapterOptions): PrismaPg {
  // `connection_limit` in the URL (Prisma's own convention) wins over poolSize:
  // embedded PGlite must be used through exactly one connection.
  const url = new URL(connectionString);
  const limit = url.searchParams.get("connection_limit");
  url.searchParams.delete("connection_limit");
  const max = limit ? Number(limit) : poolSize;
  return new PrismaPg({ connectionString: url.toString(), max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
}

/** Prisma's code for a unique constraint violation. */
export const UNIQUE_VIOLATION = "P2002";

export function isPrismaError(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && (error as { code: unknown }).code === code;
}
