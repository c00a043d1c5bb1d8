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
 * Dynamic imports stay separate chunks, loaded when the code reaches them.
 *
 * Plain JavaScript: it runs before any TypeScript loader.
 */
// @ts-check
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, version as esbuildVersion } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");
export const BUNDLES = join(ROOT, "node_modules", ".cache", "store-platform", "bundles");

/**
 * Loaded by Node itself, not bundled: graphql is loaded both as ESM (our code)
 * and as CommonJS (Apollo's), and each must stay the one instance Node gives
 * (router/src/graphql.ts picks the CommonJS one); PGlite runs in the
 * databases' workers, never in the bundle.
 */
const EXTERNAL = ["graphql", "@electric-sql/pglite", "@electric-sql/pglite-socket"];

/** @typedef {{ esbuild: string, node: string, dir: string, entry: string, inputs: Record<string, [number, number]> }} Manifest */

/** @type {import("esbuild").Plugin} */
const fileLocations = {
  name: "file-locations",
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?js|[cm]?ts)$/ }, async ({ path }) => {
      let contents = await readFile(path, "utf8");
      if (/import\.meta\.(?:url|dirname|filename)|__dirname|__filename/.test(contents)) {
        contents = contents
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
    if (manifest.esbuild !== esbuildVersion || manifest.node !== process.version) return undefined;
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
  const result = await build({
    entryPoints: [resolve(ROOT, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node.split(".")[0]}`,
    outdir: join(BUNDLES, dir),
    outExtension: { ".js": ".mjs" },
    external: EXTERNAL,
    plugins: [fileLocations],
    metafile: true,
    logLevel: "silent",
    // CommonJS inside an ES module bundle still calls require().
    banner: { js: 'import { createRequire as __bundleCreateRequire } from "node:module"; const require = __bundleCreateRequire(import.meta.url);' },
  });
  /** @type {Manifest["inputs"]} */
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(ROOT, input);
    const stat = statSync(path);
    inputs[path] = [stat.size, stat.mtimeMs];
  }
  const entryFile = `${basename(entry).replace(/\.[cm]?[jt]s$/, "")}.mjs`;
  // The manifest vouches for the folder only once the folder is whole.
  const scratch = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(scratch, JSON.stringify(/** @type {Manifest} */ ({ esbuild: esbuildVersion, node: process.version, dir, entry: entryFile, inputs })));
  renameSync(scratch, manifestFile);
  // The three newest builds stay (a start still running on an earlier one
  // may yet load a chunk of it); older ones go.
  const builds = readdirSync(BUNDLES)
    .filter((other) => new RegExp(`^${name}-[0-9a-z]+-\\d+$`).test(other) && statSync(join(BUNDLES, other)).isDirectory())
    .map((other) => ({ path: join(BUNDLES, other), mtimeMs: statSync(join(BUNDLES, other)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path } of builds.slice(3)) if (path !== join(BUNDLES, dir)) rmSync(path, { recursive: true, force: true });
  return { file: join(BUNDLES, dir, entryFile), made: true };
}
