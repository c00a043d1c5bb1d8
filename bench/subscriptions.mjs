#!/usr/bin/env node
// Subscriptions at scale: BENCH_SUBSCRIBERS graphql-ws subscribers on ONE router
// process, stock events committed at a steady rate. `node bench/subscriptions.mjs`
// from the repo root. Needs PostgreSQL (127.0.0.1:5432, or TEST_DATABASE_URL)
// and NATS JetStream (127.0.0.1:4222, or BENCH_NATS_URL).
//
// Processes (all started and stopped here):
//   subgraphs  node --import tsx bench/lib/subscriptions-subgraphs.ts   seven subgraphs (startPlatform), PG test DBs, NATS namespace
//   router     node --import tsx router/src/main.ts                      measured alone (RSS, CPU), pinned to CPU 0
//   clients    node bench/lib/subscriptions-clients.mjs                  the subscribers (raw ws, graphql-transport-ws), CPU 1
// and this process produces the events: admin `restock(productId, quantity: 1)`
// mutations through the router, round-robin over BENCH_PRODUCTS products, at
// BENCH_EVENT_RATE per second (open loop). Each restock moves its product's stock up by
// one, so (productId, stock) names every event. Subscribers are anonymous (stockChanged is
// public), one subscription per socket, spread evenly over the products.
//
// Phases: subgraphs, router; restock calibration (router CPU per mutation, no subscriber);
// connect (bounded handshakes in flight); warm-up (probe restocks until every subscriber
// and tap has seen one: the protocol does not say when a subscription is live upstream);
// production; drain (until every expected delivery arrived); per-subscriber check.
//
// Latency references (one clock: same machine, epoch ms with sub-ms resolution):
//   occurredAt  the StockChanged envelope's timestamp, set inside the committing
//               transaction, read by a NATS tap on this run's namespace (which also gives
//               the stream order every subscriber must see);
//   send/resp   the restock request leaving / its response arriving (after commit);
//   subgraph    a direct subscription to inventory (no router) in the clients process,
//               so "router's share" = subscriber arrival - direct arrival.
//
// Env: BENCH_SUBSCRIBERS (10000), BENCH_EVENT_RATE (events/s, 20), BENCH_EVENTS (200),
// BENCH_PRODUCTS (20), BENCH_SELECTION (local | storefront, see below; default storefront),
// BENCH_CONNECT_IN_FLIGHT (connection handshakes in flight, 200), BENCH_DRAIN_S (30),
// BENCH_TIMEOUT_S (global limit, 600), BENCH_NATS_URL, TEST_DATABASE_URL, BENCH_KEEP_LOGS=1.
//
// Diagnosis: BENCH_ROUTER_NODE_ARGS (extra node flags for the router), BENCH_HOLD_S (pause after warm-up).
//
// Results: bench/results/subscriptions-<YYYY-MM-DD>.json and a markdown table on stdout.
// Exit status 0 when every subscriber received every event of its product exactly
// once and in order; 1 otherwise (or on failure); 124 on the global timeout; 130 on a signal.
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeReadmeSection } from "./lib/readme.mjs";
import { freePort } from "./platform/child.mjs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const rootRequire = createRequire(join(ROOT, "package.json"));
const load = (id) => import(pathToFileURL(rootRequire.resolve(id)).href);

const num = (name, dflt) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${raw})`);
  return value;
};
const SUBSCRIBERS = Math.floor(num("BENCH_SUBSCRIBERS", 10_000));
const EVENT_RATE = num("BENCH_EVENT_RATE", 20);
const EVENTS = Math.floor(num("BENCH_EVENTS", 200));
const PRODUCTS = Math.min(Math.floor(num("BENCH_PRODUCTS", 20)), SUBSCRIBERS);
const IN_FLIGHT = Math.floor(num("BENCH_CONNECT_IN_FLIGHT", 200));
const DRAIN_S = num("BENCH_DRAIN_S", 30);
const TIMEOUT_S = num("BENCH_TIMEOUT_S", 600);
const NATS_URL = process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const RSS_TARGET_MB = 500;
// Diagnosis only: extra node flags for the router (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" or
// "--heapsnapshot-signal=SIGUSR2"), and a pause after warm-up to inspect it.
const ROUTER_NODE_ARGS = (process.env.BENCH_ROUTER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
const HOLD_S = process.env.BENCH_HOLD_S ? num("BENCH_HOLD_S", 0) : 0;

// What each subscriber asks for. "local": only inventory's fields, so every
// event is pure fan-out (no entity fetch). "storefront": the registered
// storefront operation (operations/storefront/StockChanged.graphql), whose
// `name` comes from catalog: the router runs that entity fetch per subscriber per event.
const SELECTIONS = {
  local: "subscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    id\n    stock\n    inStock\n  }\n}\n",
  storefront: readFileSync(join(ROOT, "operations/storefront/StockChanged.graphql"), "utf8"),
};
const SELECTION = process.env.BENCH_SELECTION ?? "storefront";
if (!(SELECTION in SELECTIONS)) throw new Error(`BENCH_SELECTION must be one of ${Object.keys(SELECTIONS).join(", ")}`);
// The direct subgraph tap's subscription (no router): when each event leaves inventory.
const TAP_QUERY = "subscription Tap($productId: ID!) { stockChanged(productId: $productId) { id stock } }";
const RESTOCK = "mutation BenchRestock($productId: ID!) { restock(productId: $productId, quantity: 1) { id stock } }";

const started = Date.now();
const log = (...args) => console.error(`[subs ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- run identity
const RUN = `benchsubs${randomBytes(4).toString("hex")}`;
const NAMESPACE = `${RUN}.`;
const STREAM_PREFIX = NAMESPACE.toUpperCase().replace(/\W/g, "_");
const DB_PREFIX = `test_${RUN}_`;
const SECRETS = { ROUTER_SIGNING_SECRET: randomBytes(32).toString("hex"), JWT_SECRET: randomBytes(32).toString("hex") };

// ---------------------------------------------------------------- limits and pinning
const sh = (cmd) => spawnSync("sh", ["-c", cmd]).stdout?.toString().trim();
const FD_SOFT = Number(sh("ulimit -n")) || 1024;
const FD_HARD = sh("ulimit -Hn") === "unlimited" ? Infinity : Number(sh("ulimit -Hn")) || FD_SOFT;
const FD_NEEDED = SUBSCRIBERS + 2048; // per process: the router and the clients each hold one socket per subscriber
if (FD_HARD < FD_NEEDED) {
  console.error(`bench: ${SUBSCRIBERS} subscribers need ${FD_NEEDED} file descriptors per process; the hard limit is ${FD_HARD}. Lower BENCH_SUBSCRIBERS or raise the limit.`);
  process.exit(2);
}
const FD_TARGET = FD_SOFT >= FD_NEEDED ? undefined : FD_NEEDED; // raised in each child's shell (FD_HARD >= FD_NEEDED)
const NCPU = os.availableParallelism();
const HAVE_TASKSET = NCPU >= 2 && spawnSync("taskset", ["-V"]).status === 0;
// Router alone on CPU 0; subscribers, subgraphs (and the producer) share the rest.
const CPUS = HAVE_TASKSET ? { router: "0", clients: "1", subgraphs: NCPU >= 3 ? `2-${NCPU - 1}` : "1" } : null;

// ---------------------------------------------------------------- processes
const children = new Set();
function launch(label, cpus, args, opts = {}) {
  // sh raises the fd limit (when needed) and execs taskset, which execs node: the pid stays node's.
  let argv = [process.execPath, ...args];
  if (CPUS && cpus) argv = ["taskset", "-c", cpus, ...argv];
  if (FD_TARGET) argv = ["sh", "-c", `ulimit -n ${FD_TARGET} && exec "$@"`, "sh", ...argv];
  // Own process group (detached): a terminal's Ctrl-C reaches only this script, which stops them in order.
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, detached: true, stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe", ...(opts.ipc ? ["ipc"] : [])], env: opts.env ?? process.env });
  child.label = label;
  child.stderrTail = "";
  child.stdoutTail = "";
  child.stderr.on("data", (d) => (child.stderrTail = (child.stderrTail + d).slice(-6000)));
  // Always drained: a full pipe would block the child (the router logs to stdout).
  child.stdout.on("data", (d) => (child.stdoutTail = (child.stdoutTail + d).slice(-6000)));
  if (process.env.BENCH_KEEP_LOGS) {
    child.stderr.on("data", (d) => process.stderr.write(`[${label}] ${d}`));
    child.stdout.on("data", (d) => process.stderr.write(`[${label}] ${d}`));
  }
  children.add(child);
  // The subgraphs child stops itself (and drops its databases and streams) when its stdin closes.
  watch(child.pid, opts.stdin ? 45 : 0);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (!cleaningUp) log(`${label} exited (${code ?? signal})`);
  });
  return child;
}
// A watchdog outlives this script only to SIGKILL what it started if this
// script itself is SIGKILLed (no handler runs then); it exits when they are gone.
let watchdog;
function watch(pid, graceS = 0) {
  if (!watchdog) {
    const code = `const parent = ${process.pid}; const pids = new Set();
process.stdin.setEncoding("utf8");
let buf = "";
process.stdin.on("data", (d) => { buf += d; const lines = buf.split("\\n"); buf = lines.pop(); for (const l of lines) { const [p, g] = l.split(" ").map(Number); pids.add([p, g]); } });
process.stdin.on("end", () => {});
const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
let orphanedAt;
setInterval(() => {
  if (alive(parent)) return;
  orphanedAt ??= Date.now();
  for (const entry of pids) {
    const [p, graceS] = entry;
    if (!alive(p)) pids.delete(entry);
    else if (Date.now() - orphanedAt >= graceS * 1000) { try { process.kill(p, "SIGKILL"); } catch {} pids.delete(entry); }
  }
  if (pids.size === 0) process.exit(0);
}, 500);`;
    watchdog = spawn(process.execPath, ["-e", code], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    watchdog.unref();
    watchdog.stdin.on("error", () => {});
    process.on("exit", () => watchdog.kill("SIGKILL"));
  }
  watchdog.stdin.write(`${pid} ${graceS}\n`);
}
const alive = (child) => child && child.exitCode === null && child.signalCode === null;
async function stop(child, graceMs) {
  if (!alive(child)) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- /proc
const CLK_TCK = Number(sh("getconf CLK_TCK")) || 100;
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK; // utime + stime
  } catch {
    return NaN;
  }
}
function memMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}
/** ms the process's main thread ran, and ms it was runnable but waited for a CPU (/proc/<pid>/schedstat). */
function schedMs(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    return { run: run / 1e6, wait: wait / 1e6 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}
/** Busy and total jiffies of the whole machine (all CPUs), from /proc/stat. */
function machineTicks() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const loadavg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);
const round = (v, d = 1) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : null);

// ---------------------------------------------------------------- cleanup (always)
let cleaningUp = false;
let cleanupDone;
const state = { subgraphs: undefined, router: undefined, clients: undefined, nc: undefined };
function cleanup() {
  cleanupDone ??= (async () => {
    cleaningUp = true;
    const step = async (what, fn) => {
      const t = Date.now();
      try {
        await fn();
      } catch (error) {
        log(`cleanup: ${what} failed: ${error?.message ?? error}`);
      }
      if (Date.now() - t > 3000) log(`cleanup: ${what} took ${round((Date.now() - t) / 1000)} s`);
    };
    await step("clients", async () => {
      if (!alive(state.clients)) return;
      const exited = new Promise((resolve) => state.clients.once("exit", resolve));
      if (state.clients.connected) state.clients.send({ cmd: "close" });
      await Promise.race([exited, sleep(8000)]);
      await stop(state.clients, 2000);
    });
    await step("router", () => stop(state.router, 10_000));
    await step("subgraphs", async () => {
      const sg = state.subgraphs;
      if (alive(sg)) {
        // Not a signal: see bench/lib/subscriptions-subgraphs.ts (ApolloServer's own signal handlers).
        const exited = new Promise((resolve) => sg.once("exit", resolve));
        sg.stdin?.write("STOP\n");
        await Promise.race([exited, sleep(30_000)]);
      }
      await stop(sg, 30_000);
      const notes = state.subgraphs?.stderrTail.split("\n").filter((l) => /did not finish|stop failed/.test(l)) ?? [];
      for (const note of notes) log(`cleanup: ${note}`);
    });
    for (const child of [...children]) await step(child.label, () => stop(child, 2000));
    await step("databases", async () => {
      const { default: pg } = await load("pg");
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      try {
        const { rows } = await admin.query("SELECT datname FROM pg_database WHERE left(datname, $1) = $2", [DB_PREFIX.length, DB_PREFIX]);
        for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        if (rows.length) log(`dropped ${rows.length} leftover test database(s) ${DB_PREFIX}*`);
      } finally {
        await admin.end();
      }
    });
    await step("nats streams", async () => {
      const { connect } = await load("@nats-io/transport-node");
      const { jetstreamManager } = await load("@nats-io/jetstream");
      const nc = state.nc && !state.nc.isClosed() ? state.nc : await connect({ servers: NATS_URL });
      const jsm = await jetstreamManager(nc);
      for (const stream of [`${STREAM_PREFIX}EVENTS`, `${STREAM_PREFIX}DEADLETTER`]) await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    });
  })();
  return cleanupDone;
}
let exiting = false;
async function bail(code, why) {
  if (exiting) return;
  exiting = true;
  if (why) log(why);
  await cleanup();
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => void bail(130, `${sig}: stopping everything this bench started`));
process.on("exit", () => {
  for (const child of children) if (alive(child)) child.kill("SIGKILL");
});
const globalTimer = setTimeout(() => void bail(124, `global timeout (${TIMEOUT_S} s): stopping everything`), TIMEOUT_S * 1000);
globalTimer.unref();

// ---------------------------------------------------------------- helpers
async function post(url, query, variables, token) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
async function waitFor(what, check, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && !alive(child)) throw new Error(`${child.label} exited before ${what}:\n${child.stderrTail}`);
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${child ? `\n${child.stderrTail}` : ""}`);
    await sleep(200);
  }
}
async function routerMetrics(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const pick = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^(router_(?:ws_connections|subscriptions_active|upstream_subscriptions|subscription_events_total|ws_disconnects_total|graphql_errors_total|nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|nodejs_eventloop_lag_p99_seconds|nodejs_eventloop_lag_max_seconds|nodejs_gc_duration_seconds_sum))(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) pick[`${m[1]}${m[2] ?? ""}`] = Number(m[3]);
  }
  return pick;
}
/** Requests over IPC to the clients process, answered in order by message type. */
function clientsRpc(child) {
  const waiting = new Map();
  child.on("message", (message) => {
    if (message.type === "progress") return log(`  … ${message.opened}/${SUBSCRIBERS} subscribed`);
    if (message.type === "failed") {
      for (const [, w] of waiting) w.reject(new Error(`clients: ${message.error}`));
      waiting.clear();
      return;
    }
    const w = waiting.get(message.type);
    if (w) {
      waiting.delete(message.type);
      w.resolve(message);
    }
  });
  child.on("exit", () => {
    for (const [, w] of waiting) w.reject(new Error(`clients process exited:\n${child.stderrTail}`));
    waiting.clear();
  });
  return (cmd, reply, payload = {}) =>
    new Promise((resolve, reject) => {
      waiting.set(reply, { resolve, reject });
      child.send({ cmd, ...payload });
    });
}

// ---------------------------------------------------------------- main
async function main() {
  log(`run ${RUN}: ${SUBSCRIBERS} subscribers over ${PRODUCTS} products, ${EVENTS} events at ${EVENT_RATE}/s, selection "${SELECTION}"`);
  log(`fds: soft ${FD_SOFT}, hard ${FD_HARD}${FD_TARGET ? `, children raised to ${FD_TARGET}` : ""}; cpus ${NCPU}${CPUS ? ` (router on ${CPUS.router}, clients on ${CPUS.clients}, subgraphs on ${CPUS.subgraphs})` : " (no pinning)"}`);

  // NATS tap first: every StockChanged of this namespace, in stream order, with its occurredAt.
  const { connect } = await load("@nats-io/transport-node");
  state.nc = await connect({ servers: NATS_URL, name: `bench-${RUN}-tap` });
  /** key "productId:stock" -> { occurredAt, tapAt, seq } */
  const tapped = new Map();
  let tapSeq = 0;
  const tapSub = state.nc.subscribe(`${NAMESPACE}events.inventory.StockChanged.*`);
  void (async () => {
    for await (const msg of tapSub) {
      const tapAt = performance.timeOrigin + performance.now();
      try {
        const event = JSON.parse(new TextDecoder().decode(msg.data));
        tapped.set(`${event.payload.productId}:${event.payload.available}`, { occurredAt: Date.parse(event.occurredAt), tapAt, seq: tapSeq++ });
      } catch {}
    }
  })();

  // Subgraphs.
  log("starting the subgraphs (PostgreSQL test databases, migrations, seed)…");
  const subgraphs = (state.subgraphs = launch("subgraphs", CPUS?.subgraphs, ["--import", "tsx", join(BENCH, "lib/subscriptions-subgraphs.ts")], {
    stdin: true,
    env: { ...process.env, ...SECRETS, BENCH_NATS_URL: NATS_URL, BENCH_NAMESPACE: NAMESPACE, BENCH_PRODUCTS: String(PRODUCTS), TEST_RUN_ID: RUN, TEST_DATABASE_URL: PG_ADMIN_URL, NODE_ENV: "production" },
  }));
  const ready = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: subgraphs.stdout });
    rl.on("line", (line) => line.startsWith("READY ") && resolve(JSON.parse(line.slice(6))));
    subgraphs.once("exit", () => reject(new Error(`subgraphs exited before ready:\n${subgraphs.stderrTail}`)));
    setTimeout(() => reject(new Error(`subgraphs not ready after 180 s:\n${subgraphs.stderrTail}`)), 180_000).unref();
  });
  const productIds = ready.productIds;
  if (productIds.length < PRODUCTS) throw new Error(`only ${productIds.length} demo products`);
  log(`subgraphs ready (pid ${ready.pid})`);

  // Router.
  const port = await freePort();
  const routerBase = `http://127.0.0.1:${port}`;
  const routerUrl = `${routerBase}/graphql`;
  const router = (state.router = launch("router", CPUS?.router, [...ROUTER_NODE_ARGS, "--import", "tsx", "router/src/main.ts"], {
    env: {
      ...process.env,
      ...SECRETS,
      NODE_ENV: "production",
      SUPERGRAPH_PATH: join(ROOT, "supergraph.graphql"),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SUBSCRIPTIONS_MAX_PER_ROUTER: String(SUBSCRIBERS + 100),
      ...Object.fromEntries(Object.entries(ready.subgraphUrls).map(([name, url]) => [`SUBGRAPH_${name.toUpperCase()}_URL`, url])),
    },
  }));
  await waitFor("the router to be ready", async () => (await fetch(`${routerBase}/ready`)).ok || undefined, 60_000, router);
  const probe = await post(routerUrl, `{ p: stockLevel(productId: "${productIds[0]}") { available } }`, {}, ready.adminToken);
  if (probe.status !== 200 || probe.body?.errors) throw new Error(`router smoke query failed: ${JSON.stringify(probe)}`);
  // Calibration: the router's CPU for the restock mutations alone (no subscriber yet),
  // at the same rate, so that the per-delivery figure can be given without them.
  const calibrateN = Math.min(40, EVENTS);
  for (let i = 0; i < 60; i++) await post(routerUrl, RESTOCK, { productId: productIds[i % PRODUCTS] }, ready.adminToken); // JIT warm-up, not measured
  const calStart = { t: Date.now(), cpu: cpuMs(router.pid) };
  for (let i = 0; i < calibrateN; i++) {
    const due = Date.now() + 1000 / EVENT_RATE;
    const r = await post(routerUrl, RESTOCK, { productId: productIds[i % PRODUCTS] }, ready.adminToken);
    if (typeof r.body?.data?.restock?.stock !== "number") throw new Error(`restock failed: ${JSON.stringify(r)}`);
    await sleep(Math.max(0, due - Date.now()));
  }
  const calibration = { mutations: calibrateN, routerCpuMs: cpuMs(router.pid) - calStart.cpu, seconds: (Date.now() - calStart.t) / 1000 };
  calibration.routerCpuMsPerMutation = calibration.routerCpuMs / calibrateN;
  const baseline = { cpuMs: cpuMs(router.pid), ...memMb(router.pid) };
  log(`router ready (pid ${router.pid}, ${round(baseline.rss)} MB RSS)`);

  // RSS/CPU sampler for the router, the clients and the subgraphs.
  const samples = [];
  const sampler = setInterval(() => {
    const t = Date.now();
    samples.push({ t, router: { cpuMs: cpuMs(router.pid), ...memMb(router.pid) }, clients: state.clients ? cpuMs(state.clients.pid) : NaN, subgraphs: cpuMs(subgraphs.pid) });
  }, 1000);
  sampler.unref();

  // Subscribers.
  const clients = (state.clients = launch("clients", CPUS?.clients, [join(BENCH, "lib/subscriptions-clients.mjs")], { ipc: true }));
  const hello = new Promise((resolve) => clients.on("message", (m) => m.type === "hello" && resolve()));
  const rpc = clientsRpc(clients);
  await waitFor("the clients process", async () => (await Promise.race([hello.then(() => true), sleep(100)])) || undefined, 15_000, clients);
  log(`opening ${SUBSCRIBERS} subscriptions (${IN_FLIGHT} handshakes in flight)…`);
  const wsUrl = `${routerUrl.replace(/^http/, "ws")}`;
  const cpuBeforeConnect = cpuMs(router.pid);
  const connected = await rpc("connect", "connected", { url: wsUrl, query: SELECTIONS[SELECTION], productIds, subscribers: SUBSCRIBERS, inFlight: IN_FLIGHT });
  const cpuAfterConnect = cpuMs(router.pid);
  const afterConnectMem = memMb(router.pid);
  const taps = await rpc("taps", "taps", { url: ready.subgraphUrls.inventory.replace(/^http/, "ws"), secret: SECRETS.ROUTER_SIGNING_SECRET, query: TAP_QUERY, productIds });
  if (!taps.ok) log("warning: the direct subgraph tap did not connect; router-added latency will be missing");
  log(`subscribed: ${connected.ok} ok, ${connected.failed} failed in ${round(connected.ms / 1000)} s; router ${round(afterConnectMem.rss)} MB RSS`);
  if (connected.failed > 0) log(`  sample failures: ${JSON.stringify(connected.sampleErrors)}`);
  const metricsAfterConnect = await routerMetrics(routerBase).catch((e) => ({ error: String(e) }));

  // Warm-up: one restock per product until every subscriber has seen one after it
  // subscribed (the protocol does not say when a subscription is live upstream).
  log("warm-up: probing until every subscription is live…");
  const warmup = {};
  const warmupDeadline = Date.now() + 60_000;
  let pending = [...productIds];
  let warmupRounds = 0;
  while (pending.length) {
    if (exiting) throw new Error("stopped during warm-up");
    warmupRounds += 1;
    for (const productId of pending) {
      const r = await post(routerUrl, RESTOCK, { productId }, ready.adminToken);
      const stock = r.body?.data?.restock?.stock;
      if (typeof stock !== "number") throw new Error(`warm-up restock failed: ${JSON.stringify(r)}`);
      warmup[productId] = stock;
    }
    const until = Date.now() + 5000;
    let missing = {};
    let tapsMissing = [];
    while (Date.now() < until) {
      await sleep(250);
      const answer = await rpc("missing", "missing", { keys: Object.fromEntries(pending.map((p) => [p, warmup[p]])) });
      missing = answer.byProduct;
      tapsMissing = taps.ok ? answer.taps : [];
      if (Object.keys(missing).length === 0 && tapsMissing.length === 0) break;
    }
    pending = [...new Set([...Object.keys(missing), ...tapsMissing])];
    if (pending.length && Date.now() > warmupDeadline) {
      const problems = await rpc("problems", "problems");
      throw new Error(`warm-up: subscribers still not live after 60 s: ${JSON.stringify(missing)}; subscribers with errors or closed: ${JSON.stringify(problems)}; router: ${JSON.stringify(await routerMetrics(routerBase).catch(() => ({})))}`);
    }
    if (pending.length) log(`  ${Object.values(missing).reduce((a, b) => a + b, 0)} subscribers and ${tapsMissing.length} taps on ${pending.length} products not live yet; probing again`);
  }
  log(`all live after ${warmupRounds} probe round(s)`);
  await sleep(1000); // let the warm-up fan-out settle before the window opens
  if (HOLD_S) {
    log(`holding ${HOLD_S} s (BENCH_HOLD_S): router pid ${router.pid}`);
    await sleep(HOLD_S * 1000);
  }

  // Steady-rate production (open loop: each mutation leaves on schedule).
  log(`producing ${EVENTS} events at ${EVENT_RATE}/s…`);
  const produced = []; // { productId, sent, resp, stock, error }
  const measureStart = { t: Date.now(), cpuMs: cpuMs(router.pid), clientsCpu: cpuMs(clients.pid), subgraphsCpu: cpuMs(subgraphs.pid), selfCpu: process.cpuUsage(), machine: machineTicks(), loadavg: loadavg(), sched: schedMs(router.pid) };
  const t0 = performance.now() + 50;
  const inflight = [];
  for (let i = 0; i < EVENTS; i++) {
    if (exiting) throw new Error("stopped while producing");
    const due = t0 + (i * 1000) / EVENT_RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const productId = productIds[i % PRODUCTS];
    const entry = { productId, sent: performance.timeOrigin + performance.now(), lag: performance.now() - due };
    produced.push(entry);
    inflight.push(
      post(routerUrl, RESTOCK, { productId }, ready.adminToken)
        .then((r) => {
          entry.resp = performance.timeOrigin + performance.now();
          entry.stock = r.body?.data?.restock?.stock;
          if (typeof entry.stock !== "number") entry.error = JSON.stringify(r).slice(0, 300);
        })
        .catch((error) => {
          entry.resp = performance.timeOrigin + performance.now();
          entry.error = String(error);
        }),
    );
  }
  await Promise.all(inflight);
  const produceEnd = Date.now();
  const cpuAtProduceEnd = cpuMs(router.pid);
  const failedMutations = produced.filter((e) => e.error);
  if (failedMutations.length) log(`${failedMutations.length} restocks failed, e.g. ${failedMutations[0].error}`);
  const ok = produced.filter((e) => !e.error);
  const keys = ok.map((e) => `${e.productId}:${e.stock}`);
  const perProductSubscribers = new Map();
  for (let i = 0; i < SUBSCRIBERS; i++) perProductSubscribers.set(productIds[i % PRODUCTS], (perProductSubscribers.get(productIds[i % PRODUCTS]) ?? 0) + 1);
  const expectedDeliveries = ok.reduce((n, e) => n + perProductSubscribers.get(e.productId), 0);

  // Drain: until every expected delivery arrived, or BENCH_DRAIN_S passed.
  log(`produced in ${round((produceEnd - measureStart.t) / 1000)} s; waiting for ${expectedDeliveries} deliveries…`);
  const drainDeadline = Date.now() + DRAIN_S * 1000;
  let deliveries = 0;
  for (;;) {
    if (exiting) throw new Error("stopped while draining");
    deliveries = (await rpc("count", "count", { keys })).deliveries;
    if (deliveries >= expectedDeliveries || Date.now() > drainDeadline) break;
    await sleep(100);
  }
  const measureEnd = { t: Date.now(), cpuMs: cpuMs(router.pid), clientsCpu: cpuMs(clients.pid), subgraphsCpu: cpuMs(subgraphs.pid), selfCpu: process.cpuUsage(), machine: machineTicks(), loadavg: loadavg(), sched: schedMs(router.pid) };
  const drained = deliveries >= expectedDeliveries;
  log(drained ? `all ${deliveries} deliveries in` : `drain timed out: ${deliveries}/${expectedDeliveries} deliveries; problems: ${JSON.stringify(await rpc("problems", "problems"))}`);
  await sleep(1000); // anything late (duplicates) still counts below
  clearInterval(sampler);

  // Reference times: occurredAt and stream order from the tap; send/response from the producer.
  const events = ok
    .map((e) => {
      const key = `${e.productId}:${e.stock}`;
      const tap = tapped.get(key);
      return { key, productId: e.productId, stock: e.stock, sent: e.sent, resp: e.resp, occurredAt: tap?.occurredAt ?? null, tapAt: tap?.tapAt ?? null, seq: tap?.seq ?? Infinity };
    })
    .sort((a, b) => a.seq - b.seq || a.stock - b.stock);
  const untapped = events.filter((e) => e.occurredAt === null).length;
  const report = await rpc("report", "report", { events, warmup });
  const metricsEnd = await routerMetrics(routerBase).catch((e) => ({ error: String(e) }));
  const routerMem = memMb(router.pid);

  // Figures.
  const windowS = (measureEnd.t - measureStart.t) / 1000;
  const routerCpu = measureEnd.cpuMs - measureStart.cpuMs;
  const steady = samples.filter((s) => s.t >= measureStart.t + 1000 && s.t <= produceEnd);
  const steadyPct = steady.length >= 2 ? ((steady.at(-1).router.cpuMs - steady[0].router.cpuMs) / (steady.at(-1).t - steady[0].t)) * 100 : null;
  const clientsPct = ((measureEnd.clientsCpu - measureStart.clientsCpu) / (measureEnd.t - measureStart.t)) * 100;
  const subgraphsPct = ((measureEnd.subgraphsCpu - measureStart.subgraphsCpu) / (measureEnd.t - measureStart.t)) * 100;
  const selfPct = ((measureEnd.selfCpu.user + measureEnd.selfCpu.system - measureStart.selfCpu.user - measureStart.selfCpu.system) / 1000 / (measureEnd.t - measureStart.t)) * 100;
  const machineBusyPct = ((measureEnd.machine.busy - measureStart.machine.busy) / (measureEnd.machine.total - measureStart.machine.total)) * 100 * NCPU;
  const oursPct = ((measureEnd.cpuMs - measureStart.cpuMs + measureEnd.clientsCpu - measureStart.clientsCpu + measureEnd.subgraphsCpu - measureStart.subgraphsCpu) / (measureEnd.t - measureStart.t)) * 100 + selfPct;
  const producerLag = produced.map((e) => e.lag).sort((a, b) => a - b);
  const mutationMs = ok.map((e) => e.resp - e.sent).sort((a, b) => a - b);
  const pct = (arr, p) => (arr.length ? arr[Math.min(arr.length - 1, Math.ceil((p / 100) * arr.length) - 1)] : null);
  const lat = report.latencyMs;
  const lost = report.lost;
  const result = {
    benchmark: "subscriptions",
    date: new Date().toISOString(),
    run: RUN,
    command: [...Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_")).map(([k, v]) => `${k}=${v}`), "node bench/subscriptions.mjs"].join(" "),
    config: { subscribers: SUBSCRIBERS, products: PRODUCTS, subscribersPerProduct: SUBSCRIBERS / PRODUCTS, eventRatePerS: EVENT_RATE, events: EVENTS, selection: SELECTION, query: SELECTIONS[SELECTION], connectInFlight: IN_FLIGHT, oneSubscriptionPerSocket: true, anonymous: true },
    machine: { cpus: NCPU, model: os.cpus()[0]?.model, node: process.version, pinning: CPUS, fdLimit: FD_TARGET ?? FD_SOFT },
    latencyReference:
      untapped === 0
        ? "occurredAt: the StockChanged envelope's timestamp, set inside the committing transaction (ms resolution, just before COMMIT), read from a NATS tap; also shown from the restock request leaving the producer (upper bound) and its response arriving (after commit, so a lower bound)"
        : `occurredAt missing for ${untapped} events (NATS tap); those fall back to the mutation response time`,
    connect: { ok: connected.ok, failed: connected.failed, seconds: round(connected.ms / 1000, 2), routerCpuMs: round(cpuAfterConnect - cpuBeforeConnect, 0), routerRssMbAfter: round(afterConnectMem.rss), sampleErrors: connected.sampleErrors },
    warmupRounds,
    delivery: {
      expected: report.expected,
      delivered: report.delivered,
      lost,
      duplicates: report.duplicates,
      outOfOrder: report.outOfOrder,
      unexpected: report.unexpected,
      subscribersMissingEvents: report.subscribersMissing,
      subscribersClosed: report.subscribersClosed,
      subscribersWithErrors: report.subscribersWithErrors,
      drainedWithinS: drained ? round(windowS, 2) : null,
      failedMutations: failedMutations.length,
      sampleProblems: report.sampleProblems,
    },
    latencyMs: lat,
    perEvent: { reference: "occurredAt (or the mutation response when the tap missed it)", columns: report.perEventColumns, rows: report.perEvent },
    router: {
      pid: router.pid,
      peakRssMb: round(routerMem.hwm),
      rssMbAtEnd: round(routerMem.rss),
      rssMbIdle: round(baseline.rss),
      rssTargetMb: RSS_TARGET_MB,
      cpuMsInWindow: round(routerCpu, 0),
      windowS: round(windowS, 2),
      cpuMsPerDeliveredEvent: report.delivered ? round(routerCpu / report.delivered, 4) : null,
      // The same, less the mutations' own cost measured before any subscriber (calibration).
      cpuMsPerDeliveredEventWithoutMutations: report.delivered ? round((routerCpu - ok.length * calibration.routerCpuMsPerMutation) / report.delivered, 4) : null,
      calibration: { mutations: calibration.mutations, routerCpuMsPerMutation: round(calibration.routerCpuMsPerMutation, 2), idleRouterCpuPctOfCoreAtEventRate: round((calibration.routerCpuMs / (calibration.seconds * 1000)) * 100) },
      cpuPctOfCoreWindow: round((routerCpu / (windowS * 1000)) * 100),
      cpuPctOfCoreSteady: round(steadyPct),
      cpuNote: "router CPU in the window includes handling the restock mutations themselves (EVENT_RATE per second through the router)",
      cpuCountsDuringProduction: round(cpuAtProduceEnd - measureStart.cpuMs, 0),
      // The router's main thread, runnable but waiting for a CPU (other processes on its core): a direct cause of latency.
      mainThreadRunQueueWaitMs: round(measureEnd.sched.wait - measureStart.sched.wait, 0),
      mainThreadRunQueueWaitPctOfWindow: round(((measureEnd.sched.wait - measureStart.sched.wait) / (measureEnd.t - measureStart.t)) * 100),
      // Running plus waiting to run: near 100 % means the main thread was never idle (saturated).
      mainThreadRunnablePctOfWindow: round(((measureEnd.sched.wait - measureStart.sched.wait + measureEnd.sched.run - measureStart.sched.run) / (measureEnd.t - measureStart.t)) * 100),
      metricsAfterConnect,
      metricsAtEnd: metricsEnd,
    },
    otherProcesses: {
      clientsCpuPctOfCore: round(clientsPct),
      subgraphsCpuPctOfCore: round(subgraphsPct),
      producerCpuPctOfCore: round(selfPct),
      machineBusyPctOfCores: round(machineBusyPct),
      machineCores: NCPU,
      // Everything busy on the machine that is not one of this bench's node processes:
      // PostgreSQL and NATS doing this bench's work, plus anything else running meanwhile.
      notOurNodeProcessesPctOfCore: round(machineBusyPct - oursPct),
      loadavgAtStart: measureStart.loadavg,
      loadavgAtEnd: measureEnd.loadavg,
    },
    producer: { lagMsP99: round(pct(producerLag, 99), 2), mutationMsP50: round(pct(mutationMs, 50), 2), mutationMsP99: round(pct(mutationMs, 99), 2) },
    rssTimeline: samples.map((s) => ({ s: round((s.t - started) / 1000), routerRssMb: round(s.router.rss), routerCpuMs: round(s.router.cpuMs, 0) })),
    wallSeconds: null,
    pass: {
      noEventsLost: lost === 0 && report.duplicates === 0 && report.outOfOrder === 0 && report.unexpected === 0 && failedMutations.length === 0 && connected.failed === 0,
      rssWithinTarget: routerMem.hwm <= RSS_TARGET_MB,
    },
  };
  return result;
}

let result;
try {
  result = await main();
} catch (error) {
  log(`FAILED: ${error?.stack ?? error}`);
}
log("stopping every process and removing the databases and streams…");
await cleanup();
if (!result) process.exit(exiting ? 130 : 1);
result.wallSeconds = round((Date.now() - started) / 1000);

const day = new Date().toISOString().slice(0, 10);
mkdirSync(join(BENCH, "results"), { recursive: true });
const file = join(BENCH, "results", `subscriptions-${day}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const L = result.latencyMs;
const ref = L.fromOccurredAt ? "occurredAt (commit)" : "mutation response";
const main_ = L.fromOccurredAt ?? L.fromMutationResponse;
const d = result.delivery;
const r = result.router;
const o = result.otherProcesses;
const ms = (x) => (x ? `${x.p50} / ${x.p99} ms` : "–");
const rows = [
  ["subscribers (sockets)", `${result.connect.ok} / ${SUBSCRIBERS} (${PRODUCTS} products, ${SUBSCRIBERS / PRODUCTS} each; selection "${SELECTION}")`],
  ["events", `${EVENTS} at ${EVENT_RATE}/s → ${d.expected} deliveries expected`],
  [`**latency p50 from ${ref}**`, `**${main_?.p50 ?? "–"} ms**`],
  [`**latency p99 from ${ref}**`, `**${main_?.p99 ?? "–"} ms**`],
  ["latency p50 / p99 from mutation send / response", `${ms(L.fromMutationSend)} / ${ms(L.fromMutationResponse)}`],
  ["router's share: p50 / p99 over a direct subgraph subscription", ms(L.routerAddedOverSubgraphTap)],
  ["fan-out spread, first → last subscriber of an event, p50 / p99", ms(L.fanOutSpreadFirstToLast)],
  ["**events lost**", `**${d.lost}** (duplicates ${d.duplicates}, out of order ${d.outOfOrder}, unexpected ${d.unexpected}, sockets closed ${d.subscribersClosed})`],
  ["**router peak RSS (VmHWM)**", `**${r.peakRssMb} MB** (target ≤ ${RSS_TARGET_MB}; idle ${r.rssMbIdle} MB, after connect ${result.connect.routerRssMbAfter} MB)`],
  ["**router CPU per delivered event**", `**${r.cpuMsPerDeliveredEvent} ms** (${r.cpuMsPerDeliveredEventWithoutMutations} ms without the restock mutations' own ${r.calibration.routerCpuMsPerMutation} ms each)`],
  ["**router CPU, % of one core**", `**${r.cpuPctOfCoreSteady ?? r.cpuPctOfCoreWindow} %** while producing (${r.cpuPctOfCoreWindow} % over the ${r.windowS} s window)`],
  ["connect + subscribe", `${result.connect.seconds} s, router ${result.connect.routerCpuMs} ms CPU`],
  ["machine", `${o.machineBusyPctOfCores} % of ${o.machineCores} cores busy; ${o.notOurNodeProcessesPctOfCore} % of a core not this bench's node processes (PostgreSQL, NATS, anything else); router main thread waited for a CPU ${r.mainThreadRunQueueWaitPctOfWindow} % of the window (runnable ${r.mainThreadRunnablePctOfWindow} %)`],
  ["wall time", `${result.wallSeconds} s`],
];
const section = [
  `## Subscriptions at scale\n`,
  `Generated by \`npm run bench:subscriptions\` (bench/subscriptions.mjs). Last run: ${result.date ?? day}; raw figures in [\`results/subscriptions-${day}.json\`](results/subscriptions-${day}.json).\n`,
  "| measure | value |",
  "|---|---|",
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
].join("\n");
console.log(`\n${section}`);
writeReadmeSection("subscriptions", section);
if (o.notOurNodeProcessesPctOfCore > 40) console.log(`\nNote: the machine was busy with other work during the window (load average ${o.loadavgAtEnd.join(", ")}); latency is sensitive to that, CPU ms per event much less.`);
console.log(`\nresults: ${file}`);
console.log(`delivery: ${result.pass.noEventsLost ? "PASS (every subscriber got every event once, in order)" : "FAIL"} · router peak RSS: ${result.pass.rssWithinTarget ? "within" : "OVER"} the ${RSS_TARGET_MB} MB target`);
// Exit status: 0 when every event reached every subscriber (whatever the RSS), 1 otherwise.
process.exit(result.pass.noEventsLost ? 0 : 1);
