/**
 * Every workspace declares what it imports and imports what it declares: a
 * package that works only because another one hoisted its dependency breaks
 * the day that other one drops it, and an unused dependency is install time
 * and attack surface for nothing. Also refuses deep imports into another
 * package's `dist/` (internal paths that move between patch releases).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[]; devDependencies: Record<string, string> };
/** The root's dev tools (vitest, tsx, typescript...) serve every workspace's tests and scripts. */
const rootTools = new Set(Object.keys(rootManifest.devDependencies));

/** Dependencies used without an import: CLIs run by scripts, type packages, peers a library loads itself. */
const usedWithoutImport: Record<string, readonly string[]> = {
  "*": ["@types/node", "@types/ws", "@types/pg"],
  // Each subgraph's generated Prisma client (not scanned) loads the client's runtime.
  "@store/kit": ["@prisma/client"],
  ...Object.fromEntries(["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"].map((name) => [`@store/${name}`, ["@prisma/client"]])),
  // GraphiQL's page is served from these packages' prebuilt files (router/src/graphiql.ts).
  "@store/router": ["graphiql", "react", "react-dom"],
  // The storefront: React's type packages, and graphql-ws's and urql's peer (its types reach the app through theirs).
  "@store/storefront": ["@types/react", "@types/react-dom", "graphql"],
};

function workspaceDirs(): string[] {
  return rootManifest.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [join(root, pattern)];
    const parent = join(root, pattern.slice(0, -2));
    return readdirSync(parent)
      .map((name) => join(parent, name))
      .filter((dir) => statSync(dir).isDirectory());
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // Prisma's generated client is not ours to check (codegen's output is: it imports typed-document-node).
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" || path.endsWith("/generated/prisma") ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

const IMPORT = /(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[^.\w])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\s)import\s+["']([^"']+)["']/g;

function importedSpecifiers(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((match) => (match[1] ?? match[2] ?? match[3])!);
}

function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

const workspaces = workspaceDirs().map((dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const files = sourceFiles(dir);
  const specifiers = files.flatMap((file) => importedSpecifiers(file).map((specifier) => ({ file: relative(root, file), specifier })));
  return { dir: relative(root, dir), manifest, specifiers };
});

describe.each(workspaces)("workspace $dir", ({ manifest, specifiers }) => {
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
  const available = new Set([...declared, ...rootTools]);
  const imported = new Set(specifiers.map(({ specifier }) => packageOf(specifier)).filter((name): name is string => name !== undefined && name !== manifest.name));

  it("declares every package it imports", () => {
    expect([...imported].filter((name) => !available.has(name)).sort()).toEqual([]);
  });

  it("imports every package it declares", () => {
    const allowed = new Set([...(usedWithoutImport["*"] ?? []), ...(usedWithoutImport[manifest.name] ?? [])]);
    expect([...declared].filter((name) => !imported.has(name) && !allowed.has(name)).sort()).toEqual([]);
  });

  it("imports no package's internal dist/ files", () => {
    expect(specifiers.filter(({ specifier }) => packageOf(specifier) && /\/dist\//.test(specifier)).map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });
});
