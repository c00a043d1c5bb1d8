// Runs in the image after `npm ci --omit=dev`: removes the packages the
// lockfile marks `devOptional`, those a production package names only as an
// optional peer (or optional dependency) while the root's devDependencies are
// what install them. npm keeps such a package unless optional dependencies are
// omitted as well, and --omit=optional would also drop esbuild's platform
// binary, which tsx needs. Today that is TypeScript and the Prisma CLI
// (optional peers of @prisma/client): migrations run in process, without the
// CLI. Optional by definition: nothing at run time needs them.
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const pruned = Object.entries(lock.packages)
  .filter(([path, entry]) => path.includes("node_modules/") && entry.devOptional === true)
  .map(([path]) => path);
for (const path of pruned) rmSync(path, { recursive: true, force: true });

// Their commands (tsc, prisma) would be left as links to nothing.
const binDirs = new Set(pruned.map((path) => `${path.slice(0, path.lastIndexOf("node_modules/"))}node_modules/.bin`));
for (const dir of binDirs) {
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const link = join(dir, name);
    if (lstatSync(link).isSymbolicLink() && !existsSync(link)) rmSync(link);
  }
}
console.log(`pruned ${pruned.length} dev-only optional peer(s): ${pruned.map((p) => p.slice(p.lastIndexOf("node_modules/") + 13)).join(", ") || "none"}`);
