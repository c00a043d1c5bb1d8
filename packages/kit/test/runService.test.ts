import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const KIT = fileURLToPath(new URL("../src/index.ts", import.meta.url));

/** Runs runService in a process of its own (it exits), with a service that must never be created. */
async function runServiceWith(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const script = `import { runService } from ${JSON.stringify(KIT)};
await runService({ name: "toy", defaultPort: 0, prismaDir: ".", create: () => { throw new Error("created despite a bad configuration"); } });`;
  try {
    await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 });
    return { code: 0, stderr: "" };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe("runService", () => {
  it("exits 78 naming the OTEL_* variable that is wrong, before creating anything", async () => {
    const { code, stderr } = await runServiceWith({ DATABASE_URL: "postgresql://127.0.0.1:1/x", ROUTER_SIGNING_SECRET: "s".repeat(32), OTEL_TRACES_SAMPLER: "sometimes", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" });
    expect(stderr).toContain("toy: OTEL_TRACES_SAMPLER must be one of");
    expect(code).toBe(78);
  });
});
