/**
 * The embedded PostgreSQL of `npm start` (PGlite) in a worker thread, served
 * on a loopback port over the wire protocol (pgliteFront.mjs: many
 * connections, one schema each). PGlite runs PostgreSQL as WebAssembly on the
 * thread that calls it: here it starts (and later answers queries) beside the
 * services instead of queueing with them on the main thread.
 *
 * workerData: { dataDir, template? }. A new dataDir starts as a
 * copy of the template (an initdb's result, or one migrated and seeded by the
 * install: copying takes milliseconds, initdb seconds). The worker listens
 * first and posts { port }, so the services connect (and wait) while
 * PostgreSQL starts; then it posts { opened, openMs } once PostgreSQL serves,
 * or { error }. On { close: true } it stops, posts { closed: true } and exits.
 * With { makeTemplate: dir } it runs initdb into dir, posts { done } and exits.
 *
 * Plain JavaScript: a worker thread gets none of the TypeScript loader its
 * parent runs under (tsx, vitest).
 */
// @ts-check
import { cpSync, existsSync, mkdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { servePglite } from "./pgliteFront.mjs";

/** @typedef {import("@electric-sql/pglite").PGlite} PGlite */

/** PGlite, loaded after the front listens (its module takes a tenth of a second). */
const loadPglite = async () => (await import("@electric-sql/pglite")).PGlite;

/**
 * PostgreSQL's 128 MB of shared buffers are initialised on every start, which
 * was 0.4 s of a database's 1 s; a development store's tables fit in 16 MB.
 * @param {readonly string[]} defaults
 */
const startParams = (defaults) => [...defaults, "-c", "shared_buffers=16MB"];

/**
 * Copies the template into dataDir unless PostgreSQL's PG_VERSION says it has
 * one already: into a scratch folder first, renamed when whole, so a start
 * interrupted while copying leaves no half database behind.
 * @param {string} dataDir
 * @param {string | undefined} template
 */
function copyIfNew(dataDir, template) {
  if (existsSync(join(dataDir, "PG_VERSION"))) return;
  if (!template) {
    mkdirSync(dataDir, { recursive: true });
    return;
  }
  const scratch = `${dataDir}.copying`;
  rmSync(scratch, { recursive: true, force: true });
  cpSync(template, scratch, { recursive: true });
  // An empty folder may be there (made by an earlier version, or by hand);
  // rmdir refuses anything else, which is then reported, never overwritten.
  try {
    if (existsSync(dataDir)) rmdirSync(dataDir);
    renameSync(scratch, dataDir);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

const describe = (/** @type {unknown} */ error) => (error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error));

/**
 * Listens at once and posts { port }, then opens the database (connections
 * made meanwhile wait in the front) and posts { opened, openMs }, or { error }.
 * @param {{ dataDir: string, template?: string }} job
 */
async function serve({ dataDir, template }) {
  const started = performance.now();
  /** @type {(db: PGlite) => void} */
  let resolve = () => {};
  /** @type {(error: unknown) => void} */
  let reject = () => {};
  /** @type {Promise<PGlite>} */
  const opening = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const front = await servePglite(opening);
  parentPort?.on("message", (message) => {
    if (message?.close !== true) return;
    void (async () => {
      try {
        await front.close();
        await (await opening.catch(() => undefined))?.close();
      } finally {
        parentPort?.postMessage({ closed: true });
        process.exit(0);
      }
    })();
  });
  parentPort?.postMessage({ port: front.port });
  try {
    copyIfNew(dataDir, template);
    const PGlite = await loadPglite();
    resolve(await PGlite.create({ dataDir, startParams: startParams(PGlite.defaultStartParams) }));
    parentPort?.postMessage({ opened: true, openMs: Math.round(performance.now() - started) });
  } catch (error) {
    reject(error);
    parentPort?.postMessage({ error: describe(error) });
  }
}

/** @param {string} dir */
async function makeTemplate(dir) {
  const PGlite = await loadPglite();
  const db = await PGlite.create({ dataDir: dir });
  await db.close();
  parentPort?.postMessage({ done: true });
}

const job = workerData;
("makeTemplate" in job ? makeTemplate(job.makeTemplate) : serve(job)).catch((error) => {
  parentPort?.postMessage({ error: describe(error) });
});
