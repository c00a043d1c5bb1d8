/**
 * The embedded databases of `npm start`: one persistent PGlite per service,
 * each in a worker thread of its own and served over the PostgreSQL wire
 * protocol on a loopback port, so that Prisma's pg adapter and the migrator
 * use it exactly as they use a real server.
 *
 * This module imports nothing heavy on purpose: `npm start` opens the seven
 * databases first, and they start on the second core while the main thread
 * loads the services.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";

const require = createRequire(import.meta.url);
const WORKER = new URL("./embeddedDatabaseWorker.mjs", import.meta.url);

export interface EmbeddedDatabase {
  url: string;
  /** How long its worker took to open it (copy, start PostgreSQL, listen). */
  openMs: number;
  close(): Promise<void>;
}

/** Runs the worker on `data` until it posts its first answer. */
function startWorker(data: object): { worker: Worker; answer: Promise<Record<string, unknown>> } {
  const worker = new Worker(WORKER, { workerData: data });
  const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.once("message", (message: Record<string, unknown>) => (typeof message.error === "string" ? reject(new Error(message.error)) : resolve(message)));
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
 * Opens the persistent database in `dataDir` (a new one starts as a copy of
 * `template`), in its own worker thread. It is not migrated here: the caller
 * applies migrations over `url` like on any server.
 */
export async function openEmbeddedDatabase(dataDir: string, template?: string): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const { worker, answer } = startWorker({ dataDir, template });
  let port: number;
  let openMs: number;
  try {
    ({ port, openMs } = (await answer) as { port: number; openMs: number });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // One connection: PGlite is one session, and concurrent connections through
  // the socket interleave protocol messages ("portal does not exist").
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable&connection_limit=1`;
  let closing: Promise<void> | undefined;
  return {
    url,
    openMs,
    close: () => {
      closing ??= (async () => {
        worker.postMessage("close");
        // A worker that does not stop in time is ended; PGlite wrote each commit already.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
