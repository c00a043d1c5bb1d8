/**
 * Starts the embedded database's worker (embeddedDatabaseWorker.mjs) and
 * keeps every message it posts, so whoever takes the worker later hears them
 * all, the first ones included.
 *
 * `npm start`'s launcher (scripts/start.mjs) calls `startEarly` for a data
 * folder that already holds a database, before it reads the bundle: PostgreSQL
 * then starts on the other core while this one loads and compiles the
 * services (about half a second). `openEmbeddedDatabase` takes that worker
 * if it was started for the same folder, and starts one otherwise.
 *
 * Plain JavaScript: the launcher runs before any TypeScript loader.
 */
// @ts-check
import { join } from "node:path";
import { Worker } from "node:worker_threads";

const WORKER = new URL("./embeddedDatabaseWorker.mjs", import.meta.url);
/** Where the launcher leaves a worker it started, for the bundle it runs (which has its own copy of this module). */
const EARLY = Symbol.for("store-platform.embedded-database.early");

/**
 * @typedef {{ port?: number, opened?: boolean, openMs?: number, error?: string, closed?: boolean, done?: boolean }} WorkerMessage
 * @typedef {{ worker: Worker, onMessage(listener: (message: WorkerMessage) => void): void }} DatabaseWorker
 */

/**
 * @param {object} workerData
 * @returns {DatabaseWorker}
 */
export function startDatabaseWorker(workerData) {
  const worker = new Worker(WORKER, { workerData });
  /** @type {WorkerMessage[]} */
  const messages = [];
  /** @type {((message: WorkerMessage) => void)[]} */
  const listeners = [];
  worker.on("message", (/** @type {WorkerMessage} */ message) => {
    messages.push(message);
    for (const listener of listeners) listener(message);
  });
  return {
    worker,
    onMessage(listener) {
      for (const message of messages) listener(message);
      listeners.push(listener);
    },
  };
}

/**
 * Where `npm start` keeps its database under a data folder: the launcher and
 * start.ts must agree, or the worker started early is never taken.
 * @param {string} dataDir
 */
export const embeddedClusterDir = (dataDir) => join(dataDir, "postgres");

/**
 * Starts the worker of the database in `dataDir` now, for `takeEarly` to find.
 * @param {string} dataDir
 */
export function startEarly(dataDir) {
  /** @type {Record<symbol, unknown>} */ (globalThis)[EARLY] = { dataDir, started: startDatabaseWorker({ dataDir }) };
}

/**
 * The worker `startEarly` started for `dataDir`, once; undefined if none was.
 * @param {string} dataDir
 * @returns {DatabaseWorker | undefined}
 */
export function takeEarly(dataDir) {
  const slot = /** @type {Record<symbol, { dataDir: string, started: DatabaseWorker } | undefined>} */ (globalThis);
  const early = slot[EARLY];
  if (!early || early.dataDir !== dataDir) return undefined;
  slot[EARLY] = undefined;
  return early.started;
}
