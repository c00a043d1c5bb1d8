/**
 * ensureBundle and runBundle (bundle.mjs), on a small fixture tree of its
 * own: the first call builds and the bundle runs; an unchanged tree reuses it
 * and a changed file, or a build of an earlier layout, builds again; what the
 * code reads beside itself is found beside its source, not beside the
 * bundle; the bundle is one CommonJS file whose dynamic imports still run
 * when it is compiled from V8's code cache; graphql is bundled once, shared
 * by an import and a createRequire; the code cache is written after the
 * start, used by the next run, and replaced when V8 refuses it; three builds
 * of a name are kept; a build that fails leaves the last good one vouched for.
 *
 * The fixtures live under the repository's node_modules (so `graphql`
 * resolves) and each bundle name is this run's own, so the real bundles in
 * BUNDLES are never touched.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLES, ensureBundle } from "./bundle.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUN = randomBytes(4).toString("hex");
const FIXTURES = join(ROOT, "node_modules", ".cache", `bundle-test-${RUN}`);

const SOURCES: Record<string, string> = {
  "entry.ts": `
    import { readFileSync } from "node:fs";
    import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from "graphql";
    import { besideCjs, cjsFilename } from "./reader.cjs";
    import { RequiredSchema, validateWithRequired } from "./required.ts";
    import { version } from "./version.ts";

    // No top-level await: the bundle is CommonJS.
    async function main(): Promise<void> {
      const beside: string = readFileSync(new URL("./data.txt", import.meta.url), "utf8");
      const lazy = await import("./lazy.ts");
      // A specifier esbuild cannot follow stays Node's to load, at run time.
      const os = await import(["node", "os"].join(":"));
      const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: "Query", fields: { ping: { type: GraphQLString } } }) });
      console.log(JSON.stringify({
        version,
        beside,
        besideCjs: besideCjs(),
        cjsFilename,
        dirname: import.meta.dirname,
        filename: import.meta.filename,
        lazy: lazy.lazyValue(),
        computedImport: typeof os.platform,
        kind: parse("{ ping }").definitions[0]?.kind,
        sameGraphql: RequiredSchema === GraphQLSchema,
        validated: validateWithRequired(schema),
      }));
      // What npm start emits once it serves: runBundle writes the code cache then.
      process.emit("store-platform:started");
    }
    void main();
  `,
  "version.ts": `export const version: number = 1;\n`,
  "reader.cjs": `
    const { readFileSync } = require("node:fs");
    const { join } = require("node:path");
    exports.besideCjs = () => readFileSync(join(__dirname, "x.txt"), "utf8");
    exports.cjsFilename = __filename;
  `,
  // As router/src/graphql.ts gets its graphql.
  "required.ts": `
    import { createRequire } from "node:module";
    const graphql = createRequire(import.meta.url)("graphql") as typeof import("graphql");
    export const RequiredSchema = graphql.GraphQLSchema;
    export function validateWithRequired(schema: unknown): string[] | string {
      try {
        return graphql.validateSchema(schema as import("graphql").GraphQLSchema).map((error) => error.message);
      } catch (error) {
        return String(error);
      }
    }
  `,
  "lazy.ts": `export function lazyValue(): string { return "from the lazy import"; }\n`,
  "data.txt": "data beside the entry",
  "x.txt": "x beside the CommonJS file",
};

interface Output {
  version: number;
  beside: string;
  besideCjs: string;
  cjsFilename: string;
  dirname: string;
  filename: string;
  lazy: string;
  computedImport: string;
  kind: string;
  sameGraphql: boolean;
  validated: string[] | string;
}

interface Run {
  output: Output;
  /** What runBundle said of the code cache. */
  cache: string;
}

let fixtures = 0;

/** A fresh copy of the fixture tree and a bundle name of its own. */
function fixture(): { dir: string; name: string; entry: string } {
  fixtures += 1;
  const dir = join(FIXTURES, String(fixtures));
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(dir, file), text);
  return { dir, name: `test-${RUN}-${fixtures}`, entry: relative(ROOT, join(dir, "entry.ts")) };
}

/** As scripts/start.mjs runs a bundle: from an ES module, through runBundle, which says what became of the cache. */
const RUNNER = `
  const { runBundle } = await import(${JSON.stringify(new URL("./bundle.mjs", import.meta.url).href)});
  process.stderr.write("cache: " + runBundle(process.argv[1]) + "\\n");
`;

/** Runs a bundle's entry file in a Node of its own, as `npm start` does, and returns what it printed. */
async function run(file: string): Promise<Run> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", RUNNER, file], { cwd: ROOT });
  const cache = /^cache: (\w+)$/m.exec(stderr)?.[1];
  if (cache === undefined) throw new Error(`the runner did not say what became of the cache:\n${stderr}`);
  return { output: JSON.parse(stdout) as Output, cache };
}

/** Moves a file's mtime on by two seconds, leaving its content alone. */
function touch(path: string): void {
  const { atime, mtime } = statSync(path);
  utimesSync(path, atime, new Date(mtime.getTime() + 2000));
}

/** The build folders of `name` in BUNDLES. */
function buildsOf(name: string): string[] {
  return readdirSync(BUNDLES).filter((entry) => entry.startsWith(`${name}-`)).sort();
}

afterAll(() => {
  rmSync(FIXTURES, { recursive: true, force: true });
  for (const entry of readdirSync(BUNDLES)) {
    if (entry.startsWith(`test-${RUN}-`)) rmSync(join(BUNDLES, entry), { recursive: true, force: true });
  }
});

describe("ensureBundle", () => {
  it("builds on the first call, and the bundle finds the files beside its sources", async () => {
    const { dir, name, entry } = fixture();
    const { file, made } = await ensureBundle(name, entry);
    expect(made).toBe(true);
    expect(dirname(dirname(file))).toBe(BUNDLES);
    expect(basename(file)).toBe("entry.cjs");
    const { output } = await run(file);
    expect(output).toMatchObject({
      version: 1,
      beside: "data beside the entry",
      besideCjs: "x beside the CommonJS file",
      cjsFilename: join(dir, "reader.cjs"),
      dirname: dir,
      filename: join(dir, "entry.ts"),
    });
  });

  it("reuses the bundle when no file it was made from changed", async () => {
    const { name, entry } = fixture();
    const first = await ensureBundle(name, entry);
    const second = await ensureBundle(name, entry);
    expect(second).toEqual({ file: first.file, made: false });
    expect(buildsOf(name)).toHaveLength(1);
  });

  it("builds again when the manifest is of an earlier layout", async () => {
    const { name, entry } = fixture();
    await ensureBundle(name, entry);
    const manifestFile = join(BUNDLES, `${name}.json`);
    const current = (): Record<string, unknown> => JSON.parse(readFileSync(manifestFile, "utf8")) as Record<string, unknown>;

    // The manifest as written is vouched for, rewritten or not ...
    writeFileSync(manifestFile, JSON.stringify(current()));
    expect((await ensureBundle(name, entry)).made).toBe(false);
    // ... but not once it says nothing of its layout, or names the ES module one.
    const { layout: _, ...withoutLayout } = current();
    writeFileSync(manifestFile, JSON.stringify(withoutLayout));
    expect((await ensureBundle(name, entry)).made).toBe(true);
    writeFileSync(manifestFile, JSON.stringify({ ...current(), layout: "esm" }));
    expect((await ensureBundle(name, entry)).made).toBe(true);
  });

  it("builds again when a source changes, and the new code is what runs", async () => {
    const { dir, name, entry } = fixture();
    const first = await ensureBundle(name, entry);
    writeFileSync(join(dir, "version.ts"), `export const version: number = 22;\n`);
    const second = await ensureBundle(name, entry);
    expect(second.made).toBe(true);
    expect(dirname(second.file)).not.toBe(dirname(first.file));
    expect((await run(second.file)).output.version).toBe(22);
  });

  it("builds again when only a source's mtime changes", async () => {
    const { dir, name, entry } = fixture();
    const first = await ensureBundle(name, entry);
    touch(join(dir, "reader.cjs"));
    const second = await ensureBundle(name, entry);
    expect(second.made).toBe(true);
    expect(dirname(second.file)).not.toBe(dirname(first.file));
  });

  it("builds again when only a source's size changes, its mtime put back", async () => {
    const { dir, name, entry } = fixture();
    const versionFile = join(dir, "version.ts");
    const then = new Date(1_700_000_000_000);
    utimesSync(versionFile, then, then);
    await ensureBundle(name, entry);
    writeFileSync(versionFile, `export const version: number = 333;\n`);
    utimesSync(versionFile, then, then);
    const second = await ensureBundle(name, entry);
    expect(second.made).toBe(true);
    expect((await run(second.file)).output.version).toBe(333);
  });

  it("makes one CommonJS file whose dynamic imports run, also when compiled from the code cache", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    expect(readdirSync(dirname(file))).toEqual(["entry.cjs"]);
    expect(readFileSync(file, "utf8")).toContain("from the lazy import");

    // A script compiled from a code cache has no dynamic import callback, so
    // an import() left in the bundle would fail on the second run only.
    const first = await run(file);
    expect(first.cache).toBe("none");
    const second = await run(file);
    expect(second.cache).toBe("accepted");
    for (const { output } of [first, second]) {
      expect(output.lazy).toBe("from the lazy import");
      expect(output.computedImport).toBe("function");
    }
  });

  it("bundles graphql once, the same for an import and a createRequire", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    const bundled = readFileSync(file, "utf8");
    expect(bundled).not.toMatch(/require\(\s*"graphql"\s*\)/);
    // GraphQLSchema's toStringTag getter: once per copy of graphql in the bundle.
    expect(bundled.match(/return\s*"GraphQLSchema"/g)).toHaveLength(1);
    const { output } = await run(file);
    expect(output.kind).toBe("OperationDefinition");
    expect(output.sameGraphql).toBe(true);
    // A schema from one graphql and validateSchema from another: "from another module or realm".
    expect(output.validated).toEqual([]);
  });

  it("keeps only the three newest builds of a name", async () => {
    const { dir, name, entry } = fixture();
    const folders = [dirname((await ensureBundle(name, entry)).file)];
    for (let i = 0; i < 4; i += 1) {
      touch(join(dir, "version.ts"));
      const { file, made } = await ensureBundle(name, entry);
      expect(made).toBe(true);
      folders.push(dirname(file));
    }
    expect(new Set(folders).size).toBe(5);
    expect(buildsOf(name)).toEqual(folders.slice(2).map((folder) => basename(folder)).sort());
    expect((await run(join(folders[4]!, "entry.cjs"))).output.version).toBe(1);
  });

  it("rejects a source that does not compile, leaving the last good build's manifest as it was", async () => {
    const { dir, name, entry } = fixture();
    const good = await ensureBundle(name, entry);
    const manifestFile = join(BUNDLES, `${name}.json`);
    const manifest = readFileSync(manifestFile, "utf8");

    const versionFile = join(dir, "version.ts");
    writeFileSync(versionFile, `export const version: number = ;\n`);
    await expect(ensureBundle(name, entry)).rejects.toThrow(/version\.ts/);
    expect(readFileSync(manifestFile, "utf8")).toBe(manifest);
    expect(buildsOf(name)).toEqual([basename(dirname(good.file))]);

    writeFileSync(versionFile, `export const version: number = 3;\n`);
    const fixed = await ensureBundle(name, entry);
    expect(fixed.made).toBe(true);
    expect((await run(fixed.file)).output.version).toBe(3);
  });
});

describe("runBundle", () => {
  it("writes the code cache once the start is done, and the next run uses it", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    const cacheFile = `${file}.v8-cache`;

    const first = await run(file);
    expect(first.cache).toBe("none");
    expect(statSync(cacheFile).size).toBeGreaterThan(0);
    // Nothing else beside it: the scratch file it was written to was renamed.
    expect(readdirSync(dirname(file)).sort()).toEqual(["entry.cjs", "entry.cjs.v8-cache"]);

    const cached = readFileSync(cacheFile);
    const second = await run(file);
    expect(second.cache).toBe("accepted");
    expect(second.output).toEqual(first.output);
    // An accepted cache is left as it is.
    expect(readFileSync(cacheFile).equals(cached)).toBe(true);
  });

  it("runs without a cache V8 refuses, and writes a good one in its place", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    const cacheFile = `${file}.v8-cache`;
    const expected = (await run(file)).output;
    expect(existsSync(cacheFile)).toBe(true);

    const garbage = randomBytes(4096);
    writeFileSync(cacheFile, garbage);
    const refused = await run(file);
    expect(refused.cache).toBe("rejected");
    expect(refused.output).toEqual(expected);
    expect(readFileSync(cacheFile).equals(garbage)).toBe(false);

    const next = await run(file);
    expect(next.cache).toBe("accepted");
    expect(next.output).toEqual(expected);
  });

  it("writes no cache until the process says the start is done", async () => {
    const { dir, name, entry } = fixture();
    // The same entry without the event at its end.
    writeFileSync(join(dir, "entry.ts"), SOURCES["entry.ts"]!.replace(`process.emit("store-platform:started");`, ""));
    const { file } = await ensureBundle(name, entry);
    expect((await run(file)).cache).toBe("none");
    expect(existsSync(`${file}.v8-cache`)).toBe(false);
  });
});
