import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningSubgraph } from "@store/kit";
import { eventually } from "@store/testing";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SIGNING = "router-signing-secret-for-tests-0123456789";
const hasStrace = spawnSync("strace", ["-V"]).status === 0;

/**
 * The addresses of `connect()` calls in an strace log (`-e trace=connect`)
 * that leave this machine: anything but AF_UNIX, AF_UNSPEC (a UDP socket's
 * disconnect), 127.0.0.0/8 and ::1. A DNS lookup of an outside name shows up
 * as a connect to the resolver, which is outside loopback on most machines.
 */
export function outsideConnects(log: string): string[] {
  const outside: string[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes("connect(")) continue;
    if (/sa_family=AF_(UNIX|UNSPEC|LOCAL)/.test(line)) continue;
    const v4 = /sin_addr=inet_addr\("([^"]+)"\)/.exec(line)?.[1];
    if (v4 !== undefined) {
      if (!v4.startsWith("127.")) outside.push(v4);
      continue;
    }
    const v6 = /inet_pton\(AF_INET6, "([^"]+)"/.exec(line)?.[1];
    if (v6 !== undefined) {
      if (v6 !== "::1" && !/^::ffff:127\./.test(v6)) outside.push(v6);
      continue;
    }
    if (/sa_family=/.test(line)) outside.push(line.trim());
  }
  return outside;
}

describe("outsideConnects", () => {
  it("keeps loopback and local sockets, reports everything else", () => {
    const log = [
      '123 connect(21, {sa_family=AF_INET, sin_port=htons(4002), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS',
      '123 connect(22, {sa_family=AF_INET6, sin6_port=htons(4000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '123 connect(23, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
      '124 connect(24, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("169.254.169.254")}, 16) = -1 EINPROGRESS',
      '124 connect(25, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0',
      '124 connect(26, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    ].join("\n");
    expect(outsideConnects(log)).toEqual(["169.254.169.254", "10.0.0.2", "2001:db8::1"]);
  });
});

describe.skipIf(!hasStrace && !process.env.CI)("a router process", () => {
  let dir: string;
  let books: ReturnType<typeof createBooksSubgraph>;
  let reviews: ReturnType<typeof createReviewsSubgraph>;
  let booksHttp: RunningSubgraph;
  let reviewsHttp: RunningSubgraph;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "router-no-calls-out-"));
    books = createBooksSubgraph();
    reviews = createReviewsSubgraph();
    booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
    reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
    writeFileSync(join(dir, "supergraph.graphql"), composeBookshop({ books: booksHttp.url, reviews: reviewsHttp.url }));
  });

  afterAll(async () => {
    await books?.stop();
    await reviews?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Apollo's gateway telemetry probes cloud metadata addresses at every start
  // unless switched off; the router switches it off itself, so the caller's
  // environment (here: without any such variable) does not matter.
  it("opens no connection outside loopback while it starts and serves a query", async () => {
    expect(hasStrace, "strace is needed for this test (apt-get install strace)").toBe(true);
    const port = await freePort();
    const trace = join(dir, "connect.log");
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      LOG_LEVEL: "warn",
      ROUTER_SIGNING_SECRET: SIGNING,
      JWT_SECRET: "jwt-secret-for-router-tests-0123456789abcdef",
      SUPERGRAPH_PATH: join(dir, "supergraph.graphql"),
    };
    for (const name of ["APOLLO_TELEMETRY_DISABLED", "DO_NOT_TRACK", "CHECKPOINT_DISABLE"]) delete env[name];
    const child = spawn("strace", ["-f", "-qq", "-e", "trace=connect", "-o", trace, process.execPath, "--import", "tsx", "router/src/main.ts"], { cwd: root, stdio: ["ignore", "ignore", "pipe"], env, detached: true });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      // A router that exits (its port taken by another run meanwhile) is reported with what it said, not waited for.
      await Promise.race([
        eventually(() => fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok), { what: "the router to be ready", timeoutMs: 90_000, intervalMs: 200 }),
        exited.then(() => {
          throw new Error("the router exited before it was ready");
        }),
      ]).catch((error: Error) => {
        throw new Error(`${error.message}: ${stderr.slice(-2000)}`);
      });
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ books { title reviews { stars } } }" }) });
      const body = (await response.json()) as { data?: { books: unknown[] }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data?.books.length).toBeGreaterThan(0);
    } finally {
      // strace outlives a signal of its own; the router's process group (strace
      // and the traced router) stops on SIGTERM, strace with it.
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch (error) {
        // Gone already: the failure above says why.
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
      await exited;
    }
    const log = readFileSync(trace, "utf8");
    // The trace did see the router's own fetches to the subgraphs on loopback.
    expect(log).toContain(`htons(${booksHttp.port})`);
    expect(outsideConnects(log)).toEqual([]);
  }, 150_000);
});
