/**
 * The embedded database of `npm start`: one persistent PGlite in a worker
 * thread, served over the PostgreSQL wire protocol on a loopback port, so that
 * Prisma's pg adapter and the migrator use it exactly as they use a real
 * server. The seven services share it, each in a schema of its own: one
 * PostgreSQL starts instead of seven (each cost about 0.5 s of CPU to start,
 * and together they were most of a start).
 *
 * This module imports nothing heavy on purpose: `npm start` opens the
 * database first, and it starts on the second core while the main thread
 * loads the services.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Worker } from "node:worker_threads";
import { startDatabaseWorker, takeEarly, type WorkerMessage } from "./databaseWorker.mjs";

const require = createRequire(import.meta.url);

export interface EmbeddedDatabase {
  /** The URL of its `public` schema: what a tool or test that wants one database uses. */
  url: string;
  /**
   * The URL of a schema of its own for a service: Prisma's `schema` parameter,
   * which the kit turns into the client's schema and the connection's
   * `search_path` (migrations, raw SQL and queries alike land in it).
   */
  urlFor(schema: string): string;
  /**
   * Settles once PostgreSQL serves, with how long its worker took (copy and
   * start it); rejects if it cannot start. The URLs work before: connections
   * wait for it.
   */
  opened: Promise<number>;
  close(): Promise<void>;
}

/** Runs the worker on `data` until it posts its first answer (making the template). */
function startWorker(data: object): { worker: Worker; answer: Promise<WorkerMessage> } {
  const { worker, onMessage } = startDatabaseWorker(data);
  const answer = new Promise<WorkerMessage>((resolve, reject) => {
    onMessage((message) => (typeof message.error === "string" ? reject(new Error(message.error)) : resolve(message)));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the embedded database's worker exited (${code}) before it was ready`)));
  });
  return { worker, answer };
}

/** The folder of the installed PGlite package (it exports no package.json: walk up from its entry point). */
function pglitePackageDir(): string {
  let dir = dirname(require.resolve("@electric-sql/pglite"));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

/**
 * Where the initdb template of the installed PGlite version is kept: beside
 * the packages, so `npm run reset` keeps it and a new PGlite gets a new one.
 */
export function pgliteTemplateDir(): string {
  const dir = pglitePackageDir();
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
  return join(dir, "..", "..", ".cache", "store-platform", `pglite-${version}`);
}

/**
 * Makes the template (PGlite's initdb, seconds of CPU) unless it exists.
 * Made in a scratch folder and renamed into place, so a start that is
 * interrupted, or two at once, never leave half of one.
 */
export async function ensurePgliteTemplate(dir = pgliteTemplateDir()): Promise<{ dir: string; created: boolean }> {
  if (existsSync(join(dir, "PG_VERSION"))) return { dir, created: false };
  const scratch = `${dir}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  const { answer } = startWorker({ makeTemplate: scratch });
  try {
    await answer;
    if (!existsSync(join(dir, "PG_VERSION"))) renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { dir, created: true };
}

/**
 * Opens a persistent database in a worker thread of its own: a new `dataDir`
 * starts as a copy of `template`. Resolves as soon as it listens, PostgreSQL
 * still starting (`opened`). It is not migrated here: the caller applies
 * migrations over a URL like on any server. It serves many connections (one
 * at a time in PostgreSQL, a transaction at a time), each in the schema its
 * URL names.
 */
export async function openEmbeddedDatabase(dataDir: string, template?: string): Promise<EmbeddedDatabase> {
  // The launcher may have started it already (databaseWorker.mjs). The worker
  // compiles PGlite's WebAssembly itself: this thread goes on loading the services meanwhile.
  const { worker, onMessage } = takeEarly(dataDir) ?? startDatabaseWorker({ dataDir, template });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const opened = new Promise<number>((resolve, reject) => {
    onMessage((message) => {
      if (message.opened) resolve(message.openMs!);
      else if (message.error !== undefined) reject(new Error(message.error));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the embedded database's worker exited (${code}) before PostgreSQL started`)));
  });
  // Whoever awaits `opened` hears of a failure; connections made meanwhile get it from the front.
  opened.catch(() => {});
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      onMessage((message) => (message.port !== undefined ? resolve(message.port) : message.error !== undefined && reject(new Error(message.error))));
      void opened.catch(reject);
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const base = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  let closing: Promise<void> | undefined;
  return {
    url: base,
    // One connection per service, as a PostgreSQL session each: PGlite runs one statement at a time anyway.
    urlFor: (schema) => `${base}&schema=${encodeURIComponent(schema)}&connection_limit=1`,
    opened,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        // A worker that does not answer in time is ended; PGlite wrote each commit already.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        void exited.then(() => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage({ close: true });
      });
      return closing;
    },
  };
}
