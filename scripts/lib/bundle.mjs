/**
 * `npm start` runs its TypeScript as a bundle instead of about 2,400 modules
 * through the TypeScript loader: resolving, transforming and source-mapping
 * each of them took about 2.5 s of the start, more than running them.
 *
 * The bundle is a cache, never a source. It is kept under node_modules/.cache
 * with the list of files it was made from (path, size, mtime) and made again
 * when any of them changed, so an edited source is what runs. esbuild makes
 * it; each file's own location is written into it in place of
 * `import.meta.url`, `__dirname` and `__filename`, so what is read beside the
 * code (schema.graphql, migrations, assets, workers) is found where it is.
 *
 * It is one CommonJS file, run by `runBundle` with V8's code cache: compiling
 * 16 MB of JavaScript as an ES module took about 0.6 s of every start (and
 * decoding it 0.2 s more), where a script compiled from its cache takes a
 * fraction of that. Node 20 caches no module's code itself, and only a
 * script's compilation can be given a cache; so no top-level await in the
 * entry, and dynamic imports are part of the one file (V8 compiles a
 * function only when it first runs, and its cache then holds it).
 *
 * Plain JavaScript: it runs before any TypeScript loader.
 */
// @ts-check
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

const ROOT = resolve(import.meta.dirname, "../..");
/** esbuild's version, read without loading esbuild: a start with a current bundle never needs it (0.15 s). */
const esbuildVersion = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("esbuild/package.json"), "utf8")).version;
export const BUNDLES = join(ROOT, "node_modules", ".cache", "store-platform", "bundles");

/** Loaded by Node itself, not bundled: PGlite runs in the database's worker, never in the bundle. */
const EXTERNAL = ["@electric-sql/pglite"];

/** What a bundle is: a build of another layout (the ES module chunks of earlier versions) is made again. */
const LAYOUT = "cjs-v8-cache";

/** @typedef {{ layout: string, esbuild: string, node: string, dir: string, entry: string, inputs: Record<string, [number, number]> }} Manifest */

/** @type {import("esbuild").Plugin} */
const fileLocations = {
  name: "file-locations",
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?js|[cm]?ts)$/ }, async ({ path }) => {
      let contents = await readFile(path, "utf8");
      if (/import\.meta\.(?:url|dirname|filename)|__dirname|__filename/.test(contents)) {
        contents = contents
          // A require made for an ES module is a plain one here, which esbuild
          // follows: router/src/graphql.ts's graphql is then the bundle's one
          // graphql, the one every library in it uses.
          .replaceAll("createRequire(import.meta.url)(", "require(")
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(path).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(path)))
          .replaceAll("import.meta.filename", JSON.stringify(path))
          .replace(/\b__dirname\b/g, JSON.stringify(dirname(path)))
          .replace(/\b__filename\b/g, JSON.stringify(path));
      }
      return { contents, loader: /\.[cm]?ts$/.test(path) ? "ts" : "js", resolveDir: dirname(path) };
    });
  },
};

/**
 * @param {string} manifestFile
 * @returns {Manifest | undefined} the manifest, if every file it lists is unchanged
 */
function currentManifest(manifestFile) {
  if (!existsSync(manifestFile)) return undefined;
  try {
    /** @type {Manifest} */
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    if (manifest.layout !== LAYOUT || manifest.esbuild !== esbuildVersion || manifest.node !== process.version) return undefined;
    if (!existsSync(join(BUNDLES, manifest.dir, manifest.entry))) return undefined;
    const unchanged = Object.entries(manifest.inputs).every(([path, [size, mtimeMs]]) => {
      const stat = statSync(path, { throwIfNoEntry: false });
      return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs;
    });
    return unchanged ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bundle of `entry` (a path under the repository): its entry file, made
 * again first if any file it was made from changed (`made`).
 * @param {string} name
 * @param {string} entry
 * @returns {Promise<{ file: string, made: boolean }>}
 */
export async function ensureBundle(name, entry) {
  const manifestFile = join(BUNDLES, `${name}.json`);
  const current = currentManifest(manifestFile);
  if (current) return { file: join(BUNDLES, current.dir, current.entry), made: false };

  mkdirSync(BUNDLES, { recursive: true });
  // A folder of its own per build: a start running the previous bundle keeps
  // its files, and two starts building at once do not mix theirs.
  const dir = `${name}-${Date.now().toString(36)}-${process.pid}`;
  const entryFile = `${basename(entry).replace(/\.[cm]?[jt]s$/, "")}.cjs`;
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [resolve(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "cjs",
    // ASCII only, so runBundle reads it as Latin-1 with no UTF-8 decoding.
    charset: "ascii",
    // What stays an import() (Node's modules, graphql, paths computed at run
    // time) becomes a require(): V8 drops a script's dynamic import callback
    // when it is compiled from a code cache (Node 20: "A dynamic import
    // callback was not specified").
    supported: { "dynamic-import": false },
    // A quarter smaller, so a quarter less to read at every start; names are
    // kept, so stack traces still say which function threw.
    minifyWhitespace: true,
    minifySyntax: true,
    target: `node${process.versions.node.split(".")[0]}`,
    outfile: join(BUNDLES, dir, entryFile),
    external: EXTERNAL,
    plugins: [fileLocations],
    metafile: true,
    logLevel: "silent",
  });
  /** @type {Manifest["inputs"]} */
  const inputs = {};
  // This file too: a bundle made with other options is made again.
  for (const input of [...Object.keys(result.metafile.inputs), import.meta.filename]) {
    const path = resolve(ROOT, input);
    const stat = statSync(path);
    inputs[path] = [stat.size, stat.mtimeMs];
  }
  // The manifest vouches for the folder only once the folder is whole.
  const scratch = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(scratch, JSON.stringify(/** @type {Manifest} */ ({ layout: LAYOUT, esbuild: esbuildVersion, node: process.version, dir, entry: entryFile, inputs })));
  renameSync(scratch, manifestFile);
  // The three newest builds stay (a start still running on an earlier one
  // may yet write its code cache there); older ones go.
  const builds = readdirSync(BUNDLES)
    .filter((other) => new RegExp(`^${name}-[0-9a-z]+-\\d+$`).test(other) && statSync(join(BUNDLES, other)).isDirectory())
    .map((other) => ({ path: join(BUNDLES, other), mtimeMs: statSync(join(BUNDLES, other)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path } of builds.slice(3)) if (path !== join(BUNDLES, dir)) rmSync(path, { recursive: true, force: true });
  return { file: join(BUNDLES, dir, entryFile), made: true };
}

/**
 * Runs a bundle made by ensureBundle as Node runs a CommonJS file, compiled
 * from V8's code cache beside it (`<file>.v8-cache`) when that is current.
 * Without one (the first start after a build), or when V8 refuses it (another
 * Node), the cache is written once the process emits `cacheEvent`: by then
 * the functions the start ran are compiled and go into it.
 * @param {string} file
 * @param {{ cacheEvent?: string }} [options]
 * @returns {"accepted" | "none" | "rejected"} what became of the cache
 */
export function runBundle(file, { cacheEvent = "store-platform:started" } = {}) {
  const cacheFile = `${file}.v8-cache`;
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "latin1")}\n})`;
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  const cache = cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "accepted";
  if (cache !== "accepted") {
    process.once(cacheEvent, () => {
      try {
        const scratch = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(scratch, script.createCachedData());
        renameSync(scratch, cacheFile);
      } catch {
        // Only a cache: the next start compiles without it.
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return cache;
}
