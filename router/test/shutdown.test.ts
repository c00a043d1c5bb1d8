import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "@store/kit";
import { eventually } from "@store/testing";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the router process", () => {
  // Apollo Server registers its own SIGTERM handler outside NODE_ENV=test; with
  // ours also calling stop(), @apollo/server 5.5 could wait forever. The router
  // turns Apollo's handlers off, so SIGTERM stops it promptly and cleanly.
  it("exits 0 soon after SIGTERM, in production mode", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "router/src/main.ts"], {
      cwd: root,
      stdio: "ignore",
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        LOG_LEVEL: "warn",
        ROUTER_SIGNING_SECRET: "router-signing-secret-for-tests-0123456789",
        JWT_SECRET: "jwt-secret-for-router-tests-0123456789abcdef",
        SUPERGRAPH_PATH: `${root}supergraph.graphql`,
      },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually(() => fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok), { what: "the router to be ready", timeoutMs: 60_000, intervalMs: 200 });
      const signalled = Date.now();
      child.kill("SIGTERM");
      const code = await exited;
      expect(code).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5_000);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 90_000);
});
