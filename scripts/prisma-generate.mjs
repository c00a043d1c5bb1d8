// Generates every subgraph's Prisma client (src/generated/prisma, not committed).
// Runs on `npm install` (postinstall); the WASM query compiler needs no download.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
// One config for every subgraph (the kit's); it reads the schema under the working directory.
const config = resolve("packages/kit/src/prisma.config.ts");
const subgraphs = readdirSync("subgraphs").filter((name) => existsSync(`subgraphs/${name}/prisma/schema.prisma`));
for (const name of subgraphs) {
  try {
    execFileSync(process.execPath, [cli, "generate", "--config", config], {
      cwd: `subgraphs/${name}`,
      stdio: "pipe",
      // No update checkpoint or notice from the Prisma CLI: nothing leaves loopback.
      env: { ...process.env, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1", DO_NOT_TRACK: "1" },
    });
  } catch (error) {
    process.stderr.write(`prisma generate failed for ${name}:\n${error.stdout ?? ""}${error.stderr ?? ""}\n`);
    process.exit(1);
  }
}
// Every client compiles the same query compiler (2 MB of WebAssembly, kept
// as base64): decoding and compiling it cost about 35 ms per client, seven
// times in \`npm start\`. Each generated client shares one compiled module per
// process instead (a Module holds no state; each client instantiates its
// own). Prisma's generated code is patched after generation; if its shape
// ever changes, the patch is skipped with a warning and each client compiles
// its own, as before.
const LOADER = /getQueryCompilerWasmModule: async \(\) => \{\n(\s+)const \{ wasm \} = await import\(("[^"]+")\)\n\s+return await decodeBase64AsWasm\(wasm\)\n(\s+)\}/;
for (const name of subgraphs) {
  const file = `subgraphs/${name}/src/generated/prisma/internal/class.ts`;
  const source = readFileSync(file, "utf8");
  const patched = source.replace(
    LOADER,
    (_, indent, runtime, close) =>
      `getQueryCompilerWasmModule: async () => {\n${indent}// One compiled module per process, for every generated client (scripts/prisma-generate.mjs).\n${indent}const shared = globalThis as Record<symbol, Promise<WebAssembly.Module> | undefined>\n${indent}return await (shared[Symbol.for(${runtime})] ??= import(${runtime}).then(({ wasm }) => decodeBase64AsWasm(wasm)))\n${close}}`,
  );
  if (patched === source) process.stderr.write(`prisma generate: ${name}'s query compiler loader has an unknown shape; left unshared\n`);
  else writeFileSync(file, patched);
}
console.log(`prisma generate: ${subgraphs.join(", ")}`);
