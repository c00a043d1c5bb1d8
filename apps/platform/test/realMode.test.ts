import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CUSTOMER_PASSWORD, demoProducts, demoUsers } from "@store/demo-data";
import { partitionDurables, streamNames } from "@store/events";
import { freePort } from "@store/kit";
import { connectTestClient, DEFAULT_ADMIN_URL, eventually } from "@store/testing";
import { operation, PLATFORM_POLL_MS, request } from "./harness.ts";
import { SHARED_NATS_URL } from "./natsServer.ts";
import { sagaClient } from "./saga.ts";

/**
 * The README's "Running it for real", followed as written: its block is read
 * from README.md and each command run in a shell of its own (exports carry
 * over, as in one terminal), through the same npm scripts, each service and
 * the router in a process of its own. The only changes are what keeps this
 * run apart from others on the machine's PostgreSQL and NATS: a database
 * name prefix, an events namespace, and free ports (PORT per process,
 * SUBGRAPH_<NAME>_URL for the router, the router's port in the curl).
 * Then an order placed through the router must be moved to PAID and
 * shipped by inventory, payments, orders and shipping, each in its own
 * process, over NATS in that namespace.
 */

const root = fileURLToPath(new URL("../../..", import.meta.url));
const SUBGRAPHS = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"] as const;
/** The services that consume events (each has one durable consumer, `<name>-saga`). */
const CONSUMING = ["inventory", "cart", "orders", "payments", "shipping"] as const;
const README_ROUTER = "127.0.0.1:4000";

const id = randomBytes(3).toString("hex");
// test_<run>_ lets the global teardown find (and refuse) databases this run leaves behind.
const databasePrefix = `test_${process.env.TEST_RUN_ID ?? "adhoc"}_rm${id}_`;
const eventsNamespace = `rm${id}`;
const adminPassword = `real-mode-admin-${randomBytes(6).toString("hex")}`;

/** The first `sh` block of the README's "Running it for real", one command per entry (continuations joined, comments dropped). */
function readmeCommands(): string[] {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const section = readme.slice(readme.indexOf("## Running it for real"));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!block) throw new Error("README.md has no sh block under \"Running it for real\"");
  return block
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** What a terminal starts with: no variables of this test runner's. */
const shellEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/tmp",
  DATABASE_NAME_PREFIX: databasePrefix,
  EVENTS_NAMESPACE: eventsNamespace,
  // Eight processes at the default 10 connections each would take most of a
  // PostgreSQL's 100 from the test runs sharing it; this journey needs few.
  DATABASE_POOL_SIZE: "3",
});

/** Variables a shell keeps for itself, not the user's exports. */
const SHELL_OWN = new Set(["_", "SHLVL", "PWD", "OLDPWD"]);

/**
 * Runs one foreground command in a shell of its own with `env`, and returns
 * its output and the environment it ended with (written to fd 3), so that an
 * `export` carries over to the next command as it would in a terminal.
 */
function runForeground(command: string, env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string; env: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `${command}\n__status=$?\nenv -0 >&3\nexit $__status`], { cwd: root, env, stdio: ["pipe", "pipe", "pipe", "pipe"] });
    const out: Record<"stdout" | "stderr" | "env", Buffer[]> = { stdout: [], stderr: [], env: [] };
    child.stdout!.on("data", (chunk: Buffer) => out.stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => out.stderr.push(chunk));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => out.env.push(chunk));
    child.stdin!.end(input ?? "");
    child.once("error", reject);
    child.once("close", (code) => {
      const after = Buffer.concat(out.env).toString("utf8").split("\0").filter(Boolean);
      const nextEnv = Object.fromEntries(
        after.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)] as const).filter(([name]) => !SHELL_OWN.has(name) && name !== "__status"),
      );
      resolve({ code, stdout: Buffer.concat(out.stdout).toString("utf8"), stderr: Buffer.concat(out.stderr).toString("utf8"), env: nextEnv });
    });
  });
}

interface Background {
  name: string;
  port: number;
  child: ChildProcess;
  /** The newest output, for the failure message of a process that died. */
  output(): string;
  exited: Promise<number | null>;
}

/** A `&` command: a process group of its own (npm, sh, tsx, node), so stop() reaches all of it. */
function startBackground(name: string, port: number, command: string, env: Record<string, string>): Background {
  const child = spawn("bash", ["-c", `exec ${command}`], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, port, child, output: () => tail, exited };
}

/** SIGTERM to the process group, so each service shuts down as in production; SIGKILL to what is left after 30 s. */
async function stop(background: Background): Promise<void> {
  const group = -background.child.pid!;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(group, name);
      return true;
    } catch {
      return false; // No process of the group is left.
    }
  };
  if (!signal("SIGTERM")) return;
  // npm may exit before the node process it started has finished shutting down: wait for the whole group.
  await eventually(() => !signal(0), { what: `${background.name} to stop`, timeoutMs: 30_000, intervalMs: 200 }).catch(() => signal("SIGKILL"));
}

/** Until GET /ready answers 200; fails at once with its output when the process ends instead. */
async function ready(background: Background): Promise<void> {
  let exitCode: number | null | undefined;
  void background.exited.then((code) => (exitCode = code));
  const outcome = await eventually(
    async () => {
      if (exitCode !== undefined) return "exited" as const;
      const response = await fetch(`http://127.0.0.1:${background.port}/ready`, { signal: AbortSignal.timeout(5_000) });
      return response.ok ? ("ready" as const) : undefined;
    },
    // Eight tsx processes starting at once on two busy cores.
    { what: `${background.name} to be ready on port ${background.port}`, timeoutMs: 300_000, intervalMs: 500 },
  );
  if (outcome === "exited") throw new Error(`${background.name} exited (${exitCode}) before it was ready:\n${background.output()}`);
}

const started: Background[] = [];
const transcript: { command: string; stdout: string; stderr: string }[] = [];
let routerUrl = "";

beforeAll(async () => {
  const subgraphPorts = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (name) => [name, await freePort()] as const)));
  const routerPort = await freePort();
  const routerEnv = Object.fromEntries(SUBGRAPHS.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, `http://127.0.0.1:${subgraphPorts[name]}/graphql`]));
  routerUrl = `http://127.0.0.1:${routerPort}/graphql`;
  let env = shellEnv();
  let waiting: Background[] = [];
  for (const command of readmeCommands()) {
    if (command.endsWith("&")) {
      const line = command.slice(0, -1).trim();
      const subgraph = /start:subgraph -- (\w+)$/.exec(line)?.[1] as (typeof SUBGRAPHS)[number] | undefined;
      if (subgraph && subgraphPorts[subgraph]) waiting.push(startBackground(subgraph, subgraphPorts[subgraph], line, { ...env, PORT: String(subgraphPorts[subgraph]) }));
      else if (/start:router$/.test(line)) waiting.push(startBackground("router", routerPort, line, { ...env, ...routerEnv, PORT: String(routerPort) }));
      else throw new Error(`the README starts something this test does not know in the background: ${line}`);
      started.push(waiting.at(-1)!);
      continue;
    }
    // What the README asks a person to do before the next command: wait until what it started is ready.
    await Promise.all(waiting.map(ready));
    waiting = [];
    // admin:create reads the password from stdin, as typed at a terminal.
    const input = command.includes("admin:create") ? `${adminPassword}\n` : undefined;
    const result = await runForeground(command.replaceAll(README_ROUTER, `127.0.0.1:${routerPort}`), env, input);
    transcript.push({ command, stdout: result.stdout, stderr: result.stderr });
    if (result.code !== 0) throw new Error(`\`${command}\` exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    env = result.env;
  }
  await Promise.all(waiting.map(ready));
}, 1_200_000);

afterAll(async () => {
  await Promise.all(started.map(stop));
  const admin = await connectTestClient(DEFAULT_ADMIN_URL);
  try {
    for (const name of SUBGRAPHS) await admin.query(`DROP DATABASE IF EXISTS "${databasePrefix}${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const nc = await connect({ servers: SHARED_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    // Every stream named after the namespace, also ones a bus that got the namespace wrong would make.
    const ours: string[] = [];
    for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(eventsNamespace.toUpperCase())) ours.push(stream.config.name);
    for (const stream of ours) await jsm.streams.delete(stream).catch(() => {});
  } finally {
    await nc.close();
  }
}, 120_000);

const outputOf = (script: string) => transcript.find((step) => step.command.includes(script));

describe("the README's real mode, one process per service", { timeout: 300_000 }, () => {
  it("creates the seven databases, migrates and seeds them, and answers the README's query", () => {
    const created = outputOf("db:create")!.stdout;
    for (const name of SUBGRAPHS) expect(created).toContain(`${databasePrefix}${name}: created`);
    expect(outputOf("seed -- all")!.stdout).toContain(`seeded ${SUBGRAPHS.join(", ")}`);
    const curl = JSON.parse(outputOf("curl")!.stdout) as { data?: { products: { edges: { node: { name: string; stock: number } }[] } }; errors?: unknown };
    expect(curl.errors).toBeUndefined();
    expect(curl.data?.products.edges).toHaveLength(2);
  });

  it("signs in the admin that admin:create made, as an admin, and a seeded customer", async () => {
    const admin = await request(routerUrl, operation("storefront/SignIn"), { input: { email: "ops@example.com", password: adminPassword } });
    expect(admin.errors).toBeUndefined();
    expect(admin.data.signIn.user.role).toBe("ADMIN");
    // An admin-only query: the role is in the token the router checks.
    const stock = await request(routerUrl, operation("backoffice/StockLevel"), { productId: demoProducts[0]!.id }, admin.data.signIn.accessToken);
    expect(stock.errors).toBeUndefined();
    expect(stock.data.stockLevel.onHand).toBe(demoProducts[0]!.stock);
    const customer = demoUsers.find((user) => user.role === "CUSTOMER")!;
    const signedIn = await request(routerUrl, operation("storefront/SignIn"), { input: { email: customer.email, password: DEMO_CUSTOMER_PASSWORD } });
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data.signIn.user.role).toBe("CUSTOMER");
  });

  it("takes an order to PAID with a shipment: inventory, payments, orders and shipping, each in its own process, over NATS", async () => {
    const client = sagaClient(routerUrl);
    const customer = demoUsers.find((user) => user.role === "CUSTOMER")!;
    const token = await client.signIn(customer.email, DEMO_CUSTOMER_PASSWORD);
    const product = demoProducts.find((p) => p.stock >= 10)!;
    const orderId = await client.placeOrder(token, [{ productId: product.id, quantity: 1 }]);
    const paid = await client.waitForStatus(token, orderId, "PAID", 180_000);
    expect(paid.statusHistory.map((change: { to: string }) => change.to)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID"]);
    expect(paid.payment.status).toBe("CAPTURED");
    const shipment = await eventually(async () => (await client.order(token, orderId)).shipment ?? undefined, { what: `a shipment for ${orderId}`, timeoutMs: 180_000, intervalMs: PLATFORM_POLL_MS });
    expect(shipment.status).toBe("PENDING");
  });

  it("keeps its events in EVENTS_NAMESPACE: streams, durable consumers and subjects", async () => {
    const namespace = `${eventsNamespace}.`;
    const nc = await connect({ servers: SHARED_NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const streams = streamNames(namespace);
      const events = await jsm.streams.info(streams.events);
      expect(events.config.subjects).toEqual([`${namespace}events.>`]);
      expect(events.state.messages).toBeGreaterThan(0);
      expect((await jsm.streams.info(streams.deadLetter)).config.subjects).toEqual([`${namespace}deadletter.>`]);
      const durables: string[] = [];
      for await (const consumer of await jsm.consumers.list(streams.events)) if (consumer.config.durable_name) durables.push(consumer.config.durable_name);
      expect(durables.sort()).toEqual(CONSUMING.flatMap((name) => partitionDurables(namespace, `${name}-saga`)).sort());
    } finally {
      await nc.close();
    }
  });
});
