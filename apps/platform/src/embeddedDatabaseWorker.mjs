/**
 * Embedded PostgreSQL (PGlite) databases in a worker thread, each served on a
 * loopback port over the wire protocol. PGlite runs PostgreSQL as WebAssembly
 * on the thread that calls it: here the databases start (and later answer
 * queries) beside the services instead of queueing with them on the main
 * thread.
 *
 * Several databases share one worker on purpose: they share its compiled and
 * tiered-up WebAssembly code, so the second one starts in about half the time
 * of the first (a worker per database paid the first one's price seven times).
 *
 * workerData: { databases: [{ name, dataDir, template? }], template?, wasmModule? }.
 * A new dataDir starts as a copy of its own template or the common one (an initdb's result: copying
 * takes milliseconds, initdb seconds). The databases open one after another;
 * for each the worker posts { name, port, openMs } when it serves, or
 * { name, error }. On { close: name } it stops that one and posts
 * { closed: name }; it exits when none is left.
 * With { makeTemplate: dir } it runs initdb into dir, posts { done } and exits.
 *
 * Plain JavaScript: a worker thread gets none of the TypeScript loader its
 * parent runs under (tsx, vitest).
 */
// @ts-check
import { cpSync, existsSync, mkdirSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * PostgreSQL's 128 MB of shared buffers are initialised on every start, which
 * was 0.4 s of each database's 1 s; a development store's tables fit in 16 MB.
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

/**
 * A port nobody listens on now. Another process may take it before the server does: start() then fails and we try again.
 * @returns {Promise<number>}
 */
function unusedPort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/** @type {Map<string, () => Promise<void>>} how to stop each database that serves */
const serving = new Map();

/**
 * @param {string} dataDir
 * @param {WebAssembly.Module | undefined} wasmModule
 * @returns {Promise<{ port: number, stop: () => Promise<void> }>}
 */
async function serve(dataDir, wasmModule) {
  const db = await PGlite.create({ dataDir, startParams: START_PARAMS, ...(wasmModule ? { wasmModule } : {}) });
  for (let attempt = 1; ; attempt += 1) {
    const port = await unusedPort();
    // PGlite is one session: more connections queue, they do not run in parallel.
    const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 20 });
    try {
      await server.start();
      return {
        port,
        stop: async () => {
          await server.stop();
          await db.close();
        },
      };
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "EADDRINUSE" || attempt === 5) {
        await db.close();
        throw error;
      }
    }
  }
}

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

/** @param {{ databases: { name: string, dataDir: string, template?: string }[], template?: string, wasmModule?: WebAssembly.Module }} job */
async function serveAll({ databases, template, wasmModule }) {
  let closing = false;
  parentPort?.on("message", (message) => {
    if (typeof message?.close !== "string") return;
    const name = message.close;
    void (async () => {
      const stop = serving.get(name);
      serving.delete(name);
      try {
        await stop?.();
      } finally {
        parentPort?.postMessage({ closed: name });
        if (serving.size === 0 && closing) process.exit(0);
      }
    })();
  });
  for (const { name, dataDir, template: own } of databases) {
    const started = performance.now();
    try {
      copyIfNew(dataDir, own ?? template);
      const { port, stop } = await serve(dataDir, wasmModule);
      serving.set(name, stop);
      parentPort?.postMessage({ name, port, openMs: Math.round(performance.now() - started) });
    } catch (error) {
      parentPort?.postMessage({ name, error: describe(error) });
    }
  }
  // Every database has answered; the worker ends once the last one is closed.
  closing = true;
  if (serving.size === 0) process.exit(0);
}

/** @param {string} dir */
async function makeTemplate(dir) {
  const db = await PGlite.create({ dataDir: dir });
  await db.close();
  parentPort?.postMessage({ done: true });
}

const job = workerData;
("makeTemplate" in job ? makeTemplate(job.makeTemplate) : serveAll(job)).catch((error) => {
  parentPort?.postMessage({ error: describe(error) });
});
