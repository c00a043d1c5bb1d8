/**
 * `npm start`: runs scripts/start.ts from a bundle (lib/bundle.mjs says why
 * and how it stays current), or through the TypeScript loader if bundling
 * fails or START_BUNDLE=0 asks for it (stack traces then point at the
 * TypeScript sources). The bundle is made by the install (postinstall runs --prepare) and
 * again by the first start after a file in it changed.
 *
 * Plain JavaScript, so that nothing but Node stands before the bundle.
 */
// @ts-check
import { pathToFileURL } from "node:url";
import { ensureBundle } from "./lib/bundle.mjs";

/**
 * Runs start.ts through tsx: each module from its source, stack traces at TypeScript lines.
 * @param {string} why
 */
async function fromSources(why) {
  console.log(`Running from the sources (${why}).`);
  const { register } = await import("tsx/esm/api");
  register();
  return new URL("./start.ts", import.meta.url).href;
}

let entry;
if (process.env.START_BUNDLE === "0") {
  entry = await fromSources("START_BUNDLE=0");
} else {
  try {
    const started = performance.now();
    const bundle = await ensureBundle("start", "scripts/start.ts");
    if (bundle.made) console.log(`Bundled the sources in ${((performance.now() - started) / 1000).toFixed(1)} s (new, or changed since the last start).`);
    entry = pathToFileURL(bundle.file).href;
  } catch (error) {
    entry = await fromSources(`bundling them failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
}
await import(entry);
