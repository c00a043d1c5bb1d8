/**
 * ensureBundle (bundle.mjs), on a small fixture tree of its own: the first
 * call builds and the bundle runs; an unchanged tree reuses it and a changed
 * file builds again; what the code reads beside itself is found beside its
 * source, not beside the bundle; dynamic imports stay separate chunks;
 * graphql stays Node's to load; three builds of a name are kept; a build
 * that fails leaves the last good one vouched for.
 *
 * The fixtures live under the repository's node_modules (so `graphql`
 * resolves) and each bundle name is this run's own, so the real bundles in
 * BUNDLES are never touched.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
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
    import { parse } from "graphql";
    import { besideCjs, cjsFilename } from "./reader.cjs";
    import { version } from "./version.ts";

    const beside: string = readFileSync(new URL("./data.txt", import.meta.url), "utf8");
    const lazy = await import("./lazy.ts");
    const kind = parse("{ ping }").definitions[0]?.kind;
    console.log(JSON.stringify({
      version,
      beside,
      besideCjs: besideCjs(),
      cjsFilename,
      dirname: import.meta.dirname,
      filename: import.meta.filename,
      lazy: lazy.lazyValue(),
      kind,
    }));
  `,
  "version.ts": `export const version: number = 1;\n`,
  "reader.cjs": `
    const { readFileSync } = require("node:fs");
    const { join } = require("node:path");
    exports.besideCjs = () => readFileSync(join(__dirname, "x.txt"), "utf8");
    exports.cjsFilename = __filename;
  `,
  "lazy.ts": `export function lazyValue(): string { return "from the lazy chunk"; }\n`,
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
  kind: string;
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

/** Runs a bundle's entry file in a Node of its own, as `npm start` does, and returns what it printed. */
async function run(file: string): Promise<Output> {
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: ROOT });
  return JSON.parse(stdout) as Output;
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
    expect(basename(file)).toBe("entry.mjs");
    const output = await run(file);
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

  it("builds again when a source changes, and the new code is what runs", async () => {
    const { dir, name, entry } = fixture();
    const first = await ensureBundle(name, entry);
    writeFileSync(join(dir, "version.ts"), `export const version: number = 22;\n`);
    const second = await ensureBundle(name, entry);
    expect(second.made).toBe(true);
    expect(dirname(second.file)).not.toBe(dirname(first.file));
    expect((await run(second.file)).version).toBe(22);
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
    expect((await run(second.file)).version).toBe(333);
  });

  it("keeps a dynamic import as a chunk of its own, loaded when called", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    const folder = dirname(file);
    const withLazyCode = readdirSync(folder).filter((chunk) => readFileSync(join(folder, chunk), "utf8").includes("from the lazy chunk"));
    expect(withLazyCode).toHaveLength(1);
    expect(withLazyCode[0]).not.toBe(basename(file));
    expect(withLazyCode[0]).toMatch(/\.mjs$/);
    expect((await run(file)).lazy).toBe("from the lazy chunk");
  });

  it("leaves graphql for Node to load instead of bundling it", async () => {
    const { name, entry } = fixture();
    const { file } = await ensureBundle(name, entry);
    const folder = dirname(file);
    const bundled = readdirSync(folder).map((chunk) => readFileSync(join(folder, chunk), "utf8")).join("\n");
    expect(bundled).toMatch(/from\s*"graphql"/);
    expect(bundled).not.toContain("class Lexer");
    expect(bundled).not.toContain("class Parser");
    expect((await run(file)).kind).toBe("OperationDefinition");
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
    expect((await run(join(folders[4]!, "entry.mjs"))).version).toBe(1);
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
    expect((await run(fixed.file)).version).toBe(3);
  });
});
