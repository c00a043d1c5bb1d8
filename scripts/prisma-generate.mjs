// Generates every subgraph's Prisma client (src/generated/prisma, not committed).
// Runs on `npm install` (postinstall); the WASM query compiler needs no download.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
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
console.log(`prisma generate: ${subgraphs.join(", ")}`);
