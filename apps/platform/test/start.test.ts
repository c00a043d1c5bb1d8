/**
 * `npm start` as a user runs it (the npm script, in a process of its own):
 * a line per service as it comes up, a query answered through the router, a
 * clean stop on Ctrl-C, and a second start on the same data folder that
 * finds its data (the demo sign-in works, and seeding again added nothing).
 * The first start copies the store's seeded template (made by the install,
 * as beforeAll makes it here: one database, a schema per service) and runs
 * from the bundle; START_BUNDLE=0 runs from the sources.
 * Every server listens on a free port (PORT=0), so runs beside each other
 * and beside a real `npm start` do not collide.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "@store/testing";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
const running = new Set<ChildProcess>();
const services = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"];

afterAll(async () => {
  for (const child of running) ctrlC(child, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** What Ctrl-C in a terminal does: the signal to the whole process group. */
function ctrlC(child: ChildProcess, signal: NodeJS.Signals = "SIGINT"): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // gone already
  }
}

function npmStart(env: Record<string, string>) {
  // A process group of its own, as in a terminal: Ctrl-C signals npm, its shell, tsx and node alike.
  const child = spawn("npm", ["start", "--silent"], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  // npm ends itself by the signal it got (code null), the platform under it with 0 or 1.
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  return { child, output: () => output, exited };
}

async function startAndWait() {
  const started = npmStart({ PORT: "0" });
  await Promise.race([
    eventually(() => /Ready in [\d.]+ s/.test(started.output()), { what: "npm start to say Ready", timeoutMs: 240_000, intervalMs: 100 }),
    started.exited.then((code) => {
      throw new Error(`npm start exited (${code}):\n${started.output()}`);
    }),
  ]);
  const routerUrl = /Router \(GraphQL \+ GraphiQL\)\s+(\S+)/.exec(started.output())![1]!;
  return { ...started, routerUrl };
}

/** Ctrl-C ended every process of the group, and the platform said nothing went wrong while stopping. */
async function stopped(started: { child: ChildProcess; output: () => string; exited: Promise<unknown> }): Promise<void> {
  expect([0, "SIGINT"]).toContain(await started.exited);
  await eventually(
    () => {
      try {
        process.kill(-started.child.pid!, 0);
        return false;
      } catch {
        return true;
      }
    },
    { what: "every process of npm start to end", timeoutMs: 30_000 },
  );
  // npm reports the signal whatever the platform under it did: a crash while stopping shows only in what it printed.
  expect(started.output()).not.toMatch(/graceful shutdown timed out|error while shutting down|Unhandled 'error' event|^Node\.js v/m);
}

async function graphql(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

const signIn = `mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken user { role } } }`;
const products = `{ products(first: 100) { edges { node { id name inStock } } } }`;

beforeAll(async () => {
  // What the install does (postinstall): the bundle and the seeded template,
  // made again only if a source changed since.
  const prepare = spawn(process.execPath, ["scripts/start.mjs", "--prepare"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  prepare.stdout.on("data", (d: Buffer) => (output += d.toString()));
  prepare.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => prepare.once("exit", resolve));
  if (code !== 0) throw new Error(`npm start --prepare exited (${code}):\n${output}`);
}, 300_000);

describe("npm start", () => {
  it("comes up with a line per service, answers through the router, stops on Ctrl-C, and starts again on its data", async () => {
    const cold = await startAndWait();
    // A new data folder: one database, a copy of the seeded template, a schema per service.
    expect(cold.output()).toMatch(/^ {2}postgres\s+database\s+[\d.]+ s {2}opened in [\d.]+ s, new: a copy of the seeded template$/m);
    for (const name of services) expect(cold.output()).toMatch(new RegExp(`^  ${name}\\s+serving\\s+[\\d.]+ s  http://127\\.0\\.0\\.1:\\d+/graphql`, "m"));
    const first = await graphql(cold.routerUrl, products);
    expect(first.errors).toBeUndefined();
    const count = first.data!.products.edges.length;
    expect(count).toBeGreaterThan(0);
    expect(first.data!.products.edges.every((e: { node: { inStock: boolean } }) => typeof e.node.inStock === "boolean")).toBe(true);

    ctrlC(cold.child);
    await stopped(cold);

    const warm = await startAndWait();
    expect(warm.output()).toMatch(/^ {2}postgres\s+database\s+[\d.]+ s {2}opened in [\d.]+ s$/m);
    // Seeding again on the same data added nothing, and the demo customer still signs in.
    expect((await graphql(warm.routerUrl, products)).data!.products.edges.length).toBe(count);
    const session = await graphql(warm.routerUrl, signIn, { input: { email: "ada@example.com", password: "storefront-demo-1" } });
    expect(session.errors).toBeUndefined();
    expect(session.data!.signIn).toMatchObject({ accessToken: expect.any(String), user: { role: "CUSTOMER" } });
    ctrlC(warm.child);
    await stopped(warm);
  }, 600_000);

  it("refuses a PORT it cannot honour, with exit code 78", async () => {
    const bad = npmStart({ PORT: "5000" });
    expect(await bad.exited).toBe(78);
    expect(bad.output()).toMatch(/PORT: 5000 is not 4000/);
    expect(bad.output()).not.toMatch(/Running from the sources/);
  }, 120_000);

  it("runs from the TypeScript sources when START_BUNDLE=0 asks for it", async () => {
    const fromSources = npmStart({ PORT: "5000", START_BUNDLE: "0" });
    expect(await fromSources.exited).toBe(78);
    expect(fromSources.output()).toMatch(/^Running from the sources \(START_BUNDLE=0\)\.$/m);
    expect(fromSources.output()).toMatch(/PORT: 5000 is not 4000/);
  }, 120_000);
});
