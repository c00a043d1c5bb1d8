import { mkdirSync } from "node:fs";
import { freePort, migrateDeploy } from "@store/kit";

/**
 * How many embedded databases migrate at once. Every PGlite runs on this
 * process's one thread, so seven `prisma migrate deploy` children at once
 * queue on it; under load a migrator's advisory-lock query then waits past
 * Prisma's fixed 10 s (P1002) and start-up fails. Two at a time keeps both
 * cores busy and each lock query answered in time.
 */
const MIGRATIONS_AT_ONCE = 2;
let migrating = 0;
const waitingToMigrate: (() => void)[] = [];

async function oneOfFewMigrations<T>(migrate: () => Promise<T>): Promise<T> {
  if (migrating >= MIGRATIONS_AT_ONCE) await new Promise<void>((resolve) => waitingToMigrate.push(resolve));
  else migrating += 1;
  try {
    return await migrate();
  } finally {
    // Hand the slot straight to the next in line, or give it back.
    const next = waitingToMigrate.shift();
    if (next) next();
    else migrating -= 1;
  }
}

export interface EmbeddedDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * A persistent PGlite database in `dataDir`, served over the PostgreSQL wire
 * protocol on a loopback port so that Prisma's pg adapter and `prisma migrate
 * deploy` use it exactly as they use a real server.
 */
export async function startEmbeddedDatabase(dataDir: string, prismaDir: string): Promise<EmbeddedDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  const port = await freePort();
  // PGlite is a single session: more connections queue, they do not run in
  // parallel. 20 is what a 10-connection pool plus the migrator needs.
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 20 });
  await server.start();
  // One connection: PGlite is one session, and concurrent connections through
  // the socket interleave protocol messages ("portal does not exist").
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable&connection_limit=1`;
  const close = async () => {
    await server.stop();
    await db.close();
  };
  try {
    await oneOfFewMigrations(() => migrateDeploy(prismaDir, url));
  } catch (error) {
    await close();
    throw error;
  }
  return { url, close };
}
