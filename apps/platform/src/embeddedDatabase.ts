/**
 * The embedded databases of `npm start`: one persistent PGlite per service,
 * in worker threads (a few databases each) and served over the PostgreSQL wire
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

/** Runs the worker on `data` until it posts its first answer (making the template). */
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

/** PGlite's WebAssembly, compiled once (off this thread) for every worker to share. */
let compiled: Promise<object> | undefined;
// This project's TypeScript libraries leave WebAssembly out (no DOM); Node has it.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } }).WebAssembly;
const pgliteWasm = () => (compiled ??= wasm.compile(readFileSync(join(pglitePackageDir(), "dist", "pglite.wasm"))));

export interface DatabaseToOpen {
  name: string;
  dataDir: string;
  /** What a new dataDir starts as a copy of, instead of the common template. */
  template?: string | undefined;
}

/**
 * Opens persistent databases (a new one starts as a copy of `template`),
 * spread over `threads` worker threads that share one compiled PGlite; each
 * worker opens its databases one after another. Each promise settles when its
 * database serves. They are not migrated here: the caller applies migrations
 * over `url` like on any server.
 */
export function openEmbeddedDatabases(databases: DatabaseToOpen[], template?: string, { threads = 2 } = {}): Map<string, Promise<EmbeddedDatabase>> {
  const count = Math.max(1, Math.min(Math.floor(threads), databases.length));
  const groups = Array.from({ length: count }, (_, i) => databases.filter((_, j) => j % count === i));
  const opening = new Map<string, Promise<EmbeddedDatabase>>();
  for (const group of groups) {
    const worker = pgliteWasm().then((wasmModule): Worker => new Worker(WORKER, { workerData: { databases: group, template, wasmModule } }));
    const exited = worker.then((w) => new Promise<void>((resolve) => w.once("exit", () => resolve())));
    for (const { name } of group) {
      opening.set(
        name,
        worker.then(
          (w) =>
            new Promise<EmbeddedDatabase>((resolve, reject) => {
              const onExit = (code: number) => reject(new Error(`the embedded databases' worker exited (${code}) before ${name} was ready`));
              const onMessage = (message: { name?: string; port?: number; openMs?: number; error?: string }) => {
                if (message.name !== name) return;
                w.off("message", onMessage).off("exit", onExit).off("error", reject);
                if (message.error !== undefined) reject(new Error(message.error));
                else resolve(handle(w, exited, name, message.port!, message.openMs!));
              };
              w.on("message", onMessage).once("exit", onExit).once("error", reject);
            }),
        ),
      );
    }
  }
  return opening;
}

function handle(worker: Worker, exited: Promise<void>, name: string, port: number, openMs: number): EmbeddedDatabase {
  // One connection: PGlite is one session, and concurrent connections through
  // the socket interleave protocol messages ("portal does not exist").
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable&connection_limit=1`;
  let closing: Promise<void> | undefined;
  return {
    url,
    openMs,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        const closed = (message: { closed?: string }) => {
          if (message.closed !== name) return;
          worker.off("message", closed);
          clearTimeout(timer);
          resolve();
        };
        // A worker that does not answer in time is ended; PGlite wrote each commit already.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        worker.on("message", closed);
        void exited.then(() => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage({ close: name });
      });
      return closing;
    },
  };
}

/** Opens one persistent database in a worker of its own (see openEmbeddedDatabases). */
export function openEmbeddedDatabase(dataDir: string, template?: string): Promise<EmbeddedDatabase> {
  return openEmbeddedDatabases([{ name: "db", dataDir }], template).get("db")!;
}
