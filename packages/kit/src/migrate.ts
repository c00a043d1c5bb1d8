import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { NO_PHONE_HOME_ENV } from "./telemetry.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Applies the committed migrations the way production does: `prisma migrate deploy`. */
export async function migrateDeploy(prismaDir: string, databaseUrl: string): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  try {
    await run(process.execPath, [cli, "migrate", "deploy"], {
      cwd: prismaDir,
      env: { ...process.env, ...NO_PHONE_HOME_ENV, DATABASE_URL: databaseUrl },
      timeout: 120_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`prisma migrate deploy failed in ${prismaDir}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}
