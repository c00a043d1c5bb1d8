/**
 * One embedded PostgreSQL (PGlite) in a worker thread of its own, served on a
 * loopback port over the wire protocol. PGlite runs PostgreSQL as WebAssembly
 * on the thread that calls it: here, each database starts (and later answers
 * queries) beside the others and beside the services, instead of queueing
 * with them all on the main thread.
 *
 * workerData: { dataDir, template? }. A new dataDir starts as a copy of the
 * template (an initdb's result: copying takes milliseconds, initdb seconds);
 * with `template` unset, PGlite runs initdb itself. Posts { port, openMs } when
 * serving, or { error }; on the message "close" it stops and exits.
 * With { makeTemplate: dir } it runs initdb into dir, posts { done } and exits.
 *
 * Plain JavaScript: a worker thread gets none of the TypeScript loader its
 * parent runs under (tsx, vitest).
 */
// @ts-check
import { cpSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

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

/** @param {{ dataDir: string, template?: string }} job */
async function serve({ dataDir, template }) {
  const started = performance.now();
  // PG_VERSION marks a data directory PostgreSQL has initialised; without it, this one is new.
  if (template && !existsSync(join(dataDir, "PG_VERSION"))) cpSync(template, dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  /** @type {PGLiteSocketServer | undefined} */
  let server;
  for (let attempt = 1; !server; attempt += 1) {
    const port = await unusedPort();
    // PGlite is one session: more connections queue, they do not run in parallel.
    const candidate = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 20 });
    try {
      await candidate.start();
      server = candidate;
      parentPort?.postMessage({ port, openMs: Math.round(performance.now() - started) });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== "EADDRINUSE" || attempt === 5) throw error;
    }
  }
  parentPort?.on("message", (message) => {
    if (message !== "close") return;
    void (async () => {
      await server?.stop();
      await db.close();
      process.exit(0);
    })();
  });
}

/** @param {string} dir */
async function makeTemplate(dir) {
  const db = await PGlite.create({ dataDir: dir });
  await db.close();
  parentPort?.postMessage({ done: true });
}

const job = workerData;
("makeTemplate" in job ? makeTemplate(job.makeTemplate) : serve(job)).catch((error) => {
  parentPort?.postMessage({ error: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
});
