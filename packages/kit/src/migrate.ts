import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { NO_PHONE_HOME_ENV } from "./telemetry.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The Prisma CLI config every subgraph shares; the CLI runs in the subgraph's folder and reads its `prisma/schema.prisma`. */
export const PRISMA_CONFIG_PATH = fileURLToPath(new URL("./prisma.config.ts", import.meta.url));

/** Applies the committed migrations the way production does: `prisma migrate deploy`. */
export async function migrateDeploy(prismaDir: string, databaseUrl: string): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  const timeoutMs = 120_000;
  try {
    await run(process.execPath, [cli, "migrate", "deploy", "--config", PRISMA_CONFIG_PATH], {
      cwd: prismaDir,
      env: { ...process.env, ...NO_PHONE_HOME_ENV, DATABASE_URL: databaseUrl },
      timeout: timeoutMs,
    });
  } catch (error) {
    const { stdout, stderr, killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    // Killed by the timeout, the CLI has said nothing about why: say it here.
    const why = killed ? ` (no answer within ${timeoutMs / 1000} s)` : "";
    throw new Error(`prisma migrate deploy failed in ${prismaDir}${why}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}
