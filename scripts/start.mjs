/**
 * `npm start`: runs scripts/start.ts from a bundle (lib/bundle.mjs says why
 * and how it stays current, and how V8's code cache makes it start fast), or
 * through the TypeScript loader if bundling fails or START_BUNDLE=0 asks for
 * it (stack traces then point at the TypeScript sources). The bundle is made
 * by the install (postinstall runs --prepare) and again by the first start
 * after a file in it changed.
 *
 * Plain JavaScript, so that nothing but Node stands before the bundle.
 */
// @ts-check
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { embeddedClusterDir, startEarly } from "../apps/platform/src/databaseWorker.mjs";
import { ensureBundle, runBundle } from "./lib/bundle.mjs";

// A database from an earlier start starts now, on the other core, while this
// one reads and compiles the bundle; start.ts takes it over (same folder as
// start.ts computes: DATA_DIR, default .data).
const clusterDir = embeddedClusterDir(resolve(process.env.DATA_DIR ?? ".data"));
const serving = !process.argv.slice(2).some((arg) => arg === "--prepare" || arg === "--reset-only");
if (serving && existsSync(join(clusterDir, "PG_VERSION"))) startEarly(clusterDir);

/**
 * Runs start.ts through tsx: each module from its source, stack traces at TypeScript lines.
 * @param {string} why
 */
async function fromSources(why) {
  console.log(`Running from the sources (${why}).`);
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("./start.ts", import.meta.url).href);
}

if (process.env.START_BUNDLE === "0") {
  await fromSources("START_BUNDLE=0");
} else {
  /** @type {string | undefined} */
  let file;
  try {
    const started = performance.now();
    const bundle = await ensureBundle("start", "scripts/start.ts");
    if (bundle.made) console.log(`Bundled the sources in ${((performance.now() - started) / 1000).toFixed(1)} s (new, or changed since the last start).`);
    file = bundle.file;
  } catch (error) {
    await fromSources(`bundling them failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  if (file) runBundle(file);
}
