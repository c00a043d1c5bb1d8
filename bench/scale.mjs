#!/usr/bin/env node
// The order saga at scale: every service in its own process, as in production
// (README "Running it for real"), on real PostgreSQL and NATS JetStream, at 1
// and 2 instances per service and with the simulated card processor answering
// at once or after 100 ms (CARD_PROCESSOR_LATENCY_MS). For each variant:
// orders/s, place -> PAID p50/p99, orders lost, and CPU per order per component.
//
//   npm run bench:scale            (from the repo root)
//
// One order: placeOrder (one line, tok_visa) through the router, then the saga
// over NATS (inventory reserves, orders asks for payment, payments charges,
// orders marks it PAID, shipping makes a shipment). Customers each keep one
// order in flight: place, wait for PAID, place the next. PAID is read from the
// orders database (OrderStatusChange.at), polled every 100 ms for every order
// still pending in one query; an order not PAID within the order timeout is lost.
//
// Env: BENCH_SCALE_ORDERS (measured orders per variant, default 300),
// BENCH_SCALE_CONCURRENCY (customers, one order in flight each, default 64),
// BENCH_SCALE_WARMUP (unmeasured orders first, default 30),
// BENCH_SCALE_VARIANTS (default "1x0,1x100,2x0,2x100": instances x processor ms),
// BENCH_SCALE_ORDER_TIMEOUT_MS (default 60000), BENCH_SCALE_IDLE_S (idle CPU
// sample before each run, default 5), BENCH_SCALE_TIMEOUT_S (whole run, default
// 900), BENCH_SCALE_LOG_LEVEL (the services', default warn), BENCH_NATS_URL
// (default nats://127.0.0.1:4222), TEST_DATABASE_URL (the server's postgres database),
// BENCH_SCALE_PROFILE (a folder: every process writes a V8 CPU profile there as it exits).
import "./lib/no-phone-home.mjs";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import pg from "pg";
import { backendsDelta, postgresBackendsCpu } from "./lib/processCpu.mjs";
import { leftBehind, publishResults } from "./lib/report.mjs";
import {
  ADMIN_URL,
  ROOT,
  cpuMs,
  cpuMsByName,
  createCleanup,
  dropRunDatabases,
  freePort,
  gitInfo,
  isoDate,
  machineInfo,
  machineJiffies,
  makeLog,
  natsInfo,
  newRunId,
  num,
  postgresReachable,
} from "./platform/child.mjs";

const log = makeLog("bench scale");
const SUBGRAPHS = ["accounts", "catalog", "inventory", "cart", "orders", "payments", "shipping"];
/** The services with a saga consumer: they get the bigger share of connections. */
const CONSUMING = new Set(["inventory", "cart", "orders", "payments", "shipping"]);
const ORDERS = num("BENCH_SCALE_ORDERS", 300);
const CONCURRENCY = Math.max(1, num("BENCH_SCALE_CONCURRENCY", 64));
const WARMUP = num("BENCH_SCALE_WARMUP", 30);
const ORDER_TIMEOUT_MS = num("BENCH_SCALE_ORDER_TIMEOUT_MS", 60_000);
const IDLE_S = num("BENCH_SCALE_IDLE_S", 5);
const TIMEOUT_S = num("BENCH_SCALE_TIMEOUT_S", 900);
const LOG_LEVEL = process.env.BENCH_SCALE_LOG_LEVEL || "warn";
const NATS_URL = process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const VARIANTS = parseVariants(process.env.BENCH_SCALE_VARIANTS || "1x0,1x100,2x0,2x100");
const PAYMENT_TOKEN = "tok_visa"; // subgraphs/payments/src/processor.ts: always captured
const POLL_MS = 100;
/** Connections per process of a service with a consumer: 2 instances of 7 services must fit beside the other test runs in PostgreSQL's 100. */
const POOL_BY_INSTANCES = { 1: 8, 2: 5 };
/** Before partitions a consumer had one event in flight: with the processor taking 100 ms, at most 10 orders/s. */
const SERIAL_BOUND_AT_100MS = 10;
const TARGETS = { speedupAt100Ms: 10, servicesCpuMsPerOrder: 15, withServersCpuMsPerOrder: 25 };

const started = new Date();
const runId = newRunId("bscale");
const databasePrefix = `test_${runId}_`; // dropRunDatabases(runId) finds them, and so does the test suite's teardown
const namespace = runId; // EVENTS_NAMESPACE: streams <RUNID>_EVENTS, <RUNID>_DEADLETTER
const serverUrl = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = "";
  return url.toString().replace(/\/$/, "");
})();
const dbUrl = (service) => `${serverUrl}/${databasePrefix}${service}`;
const { add, cleanup, guard, aborted } = createCleanup(log);
const disarm = guard(TIMEOUT_S);

function parseVariants(raw) {
  return raw.split(",").map((token) => {
    const match = /^\s*([12])x(\d+)\s*$/.exec(token);
    if (!match) throw new Error(`BENCH_SCALE_VARIANTS: "${token}" is not <instances 1|2>x<processor ms>, e.g. 2x100`);
    return { instances: Number(match[1]), latencyMs: Number(match[2]) };
  });
}

// ---------------------------------------------------------------- processes
/**
 * What a process of ours is started with: the README's variables, nothing of
 * this shell's (no DATABASE_URL or NODE_ENV from whoever runs the bench).
 */
const secrets = { ROUTER_SIGNING_SECRET: randomBytes(32).toString("base64"), JWT_SECRET: randomBytes(32).toString("base64") };
const baseEnv = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/tmp",
  APOLLO_TELEMETRY_DISABLED: "true",
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  DO_NOT_TRACK: "1",
  DATABASE_SERVER_URL: serverUrl,
  DATABASE_NAME_PREFIX: databasePrefix,
  NATS_URL,
  EVENTS_NAMESPACE: namespace,
  LOG_LEVEL,
  ...secrets,
};

/** Every process started and not yet known to have exited: the cleanup stops what is left. */
const live = new Set();

/** `node --import tsx <script> ...args`, in a process group of its own (tsx and anything it starts go with it). */
function startProcess(label, script, args, env) {
  // BENCH_SCALE_PROFILE=<dir>: each process writes a V8 CPU profile into <dir>/<label> as it exits.
  const profile = process.env.BENCH_SCALE_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${join(process.env.BENCH_SCALE_PROFILE, label)}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", script, ...args], { cwd: ROOT, env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let tail = "";
  const keep = (chunk) => {
    tail = (tail + chunk.toString("utf8")).slice(-6_000);
    if (process.env.BENCH_CHILD_STDERR) process.stderr.write(chunk);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const proc = { label, child, pid: child.pid, output: () => tail };
  live.add(proc);
  proc.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

const signalGroup = (proc, signal) => {
  try {
    process.kill(-proc.pid, signal);
    return true;
  } catch {
    return false; // nothing of the group is left
  }
};

/** SIGTERM to the group, so each service shuts down as in production; SIGKILL after graceMs. */
async function stopProcess(proc, graceMs = 30_000) {
  if (!live.has(proc)) return;
  signalGroup(proc, "SIGTERM");
  const timer = setTimeout(() => {
    log(`${proc.label} did not stop within ${graceMs / 1000} s: SIGKILL`);
    signalGroup(proc, "SIGKILL");
  }, graceMs);
  await proc.exited;
  clearTimeout(timer);
  // tsx may leave nothing, but a group member that outlived the leader goes too.
  signalGroup(proc, "SIGKILL");
}

/** Runs a script to its end (db:create, migrate, seed, admin:create); throws with its output when it fails. */
async function runScript(script, args, env = {}) {
  const proc = startProcess(script, script, args, env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${script} ${args.join(" ")} exited ${code}:\n${proc.output()}`);
  return proc.output();
}

/** Until GET /ready answers 200; fails at once with the output of a process that exits instead. */
async function ready(proc, port, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  let exitCode;
  void proc.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline && !aborted()) {
    if (exitCode !== undefined) throw new Error(`${proc.label} exited (${exitCode}) before it was ready:\n${proc.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(500);
  }
  throw new Error(`${proc.label} not ready on port ${port} within ${timeoutMs / 1000} s:\n${proc.output()}`);
}

// ---------------------------------------------------------------- client
const op = (path) => readFileSync(join(ROOT, "operations", `${path}.graphql`), "utf8");
const OPS = { signIn: op("storefront/SignIn"), signUp: op("storefront/SignUp"), placeOrder: op("storefront/PlaceOrder"), restock: op("backoffice/Restock") };
const PRODUCTS = "query ScaleBenchProducts { products(first: 20) { edges { node { id stock } } } }";

async function gql(url, query, variables, token) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (body.errors?.length || !body.data) {
    const error = new Error(`HTTP ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 800)}`);
    error.retryAfterS = body.errors?.find((e) => e.extensions?.code === "SERVICE_OVERLOADED")?.extensions.retryAfterSeconds;
    throw error;
  }
  return body.data;
}
/** Attempts per placeOrder: a 503 SERVICE_OVERLOADED is the platform's back-pressure, and a client waits Retry-After and tries again. */
const PLACE_ATTEMPTS = 5;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for orders to end PAID (or CANCELLED), reading the orders database:
 * one query every POLL_MS for all orders still pending, so the cost to the
 * system measured is one cheap query per tick whatever the concurrency.
 */
function createOutcomeTracker(ordersDbUrl) {
  const db = new pg.Client({ connectionString: ordersDbUrl });
  const pending = new Map(); // orderId -> { deadline, resolve }
  let running = true;
  let failure;
  const loop = (async () => {
    await db.connect();
    while (running) {
      if (pending.size > 0) {
        try {
          const { rows } = await db.query(
            `SELECT "orderId", "toStatus", (extract(epoch from "at") * 1000)::float8 AS at FROM "OrderStatusChange"
              WHERE "orderId" = ANY($1::uuid[]) AND "toStatus" IN ('PAID', 'CANCELLED')`,
            [[...pending.keys()]],
          );
          for (const row of rows) {
            pending.get(row.orderId)?.resolve({ status: row.toStatus, at: row.at });
            pending.delete(row.orderId);
          }
        } catch (error) {
          failure ??= error;
        }
        const now = Date.now();
        for (const [id, waiter] of pending) {
          if (now < waiter.deadline && !failure) continue;
          waiter.resolve(null);
          pending.delete(id);
        }
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    /** Resolves with { status, at (epoch ms, the database's) }, or null when not final within timeoutMs. */
    wait: (orderId, timeoutMs) => new Promise((resolve) => pending.set(orderId, { deadline: Date.now() + timeoutMs, resolve })),
    get failure() {
      return failure;
    },
    async close() {
      running = false;
      await loop.catch(() => {});
      for (const waiter of pending.values()) waiter.resolve(null);
      await db.end().catch(() => {});
    },
  };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : null);
const r1 = (v) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
function stats(values) {
  const s = values.filter((v) => typeof v === "number").sort((a, b) => a - b);
  if (!s.length) return null;
  return { n: s.length, min: r1(s[0]), p50: r1(percentile(s, 50)), p90: r1(percentile(s, 90)), p99: r1(percentile(s, 99)), max: r1(s.at(-1)), mean: r1(s.reduce((a, b) => a + b, 0) / s.length) };
}

// ---------------------------------------------------------------- the run's databases and NATS streams
async function prepareDatabases() {
  add("drop the run's databases", async () => {
    const dropped = await dropRunDatabases(runId);
    if (dropped.length) log(`dropped ${dropped.length} database(s)`);
    return dropped;
  }, 60_000);
  await runScript("scripts/db-create.ts", []);
  await runScript("scripts/migrate.ts", ["all"]);
  await runScript("scripts/seed.ts", ["all"]);
}

/** Every stream of the run's namespace (events and dead letters), as the README's real-mode test cleans up. */
async function deleteNamespaceStreams() {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: NATS_URL, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    const ours = [];
    for await (const stream of jsm.streams.list()) if (stream.config.name.startsWith(namespace.toUpperCase())) ours.push(stream.config.name);
    for (const stream of ours) await jsm.streams.delete(stream).catch(() => {});
    return ours;
  } finally {
    await nc.close();
  }
}

// ---------------------------------------------------------------- one variant
/** What each process of a deployment is, and its CPU so far. */
function cpuSample(processes) {
  return {
    processes: new Map(processes.map((p) => [p, cpuMs(p.pid)])),
    backends: postgresBackendsCpu(databasePrefix),
    servers: cpuMsByName(["postgres", "nats-server"]),
    client: process.cpuUsage(),
    machine: machineJiffies(),
    at: performance.now(),
  };
}

/** CPU ms per component between two samples: each service summed over its instances, the router, PostgreSQL, NATS, this client. */
function cpuBetween(before, after) {
  const byService = Object.fromEntries(SUBGRAPHS.map((s) => [s, 0]));
  let router = 0;
  for (const [proc, ms] of after.processes) {
    const delta = ms - (before.processes.get(proc) ?? 0);
    if (proc.service) byService[proc.service] += delta;
    else router += delta;
  }
  const backends = backendsDelta(before.backends, after.backends);
  const client = process.cpuUsage(before.client);
  const machineBusy = after.machine.total > before.machine.total ? (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total) : null;
  return {
    byService,
    services: Object.values(byService).reduce((a, b) => a + b, 0),
    router,
    postgresOurBackends: backends.ms,
    postgresBackendsVanished: backends.vanished,
    postgresAllProcesses: after.servers.postgres - before.servers.postgres,
    nats: after.servers["nats-server"] - before.servers["nats-server"],
    client: (client.user + client.system) / 1000,
    machineBusyPct: machineBusy === null ? null : Math.round(machineBusy * 1000) / 10,
    seconds: (after.at - before.at) / 1000,
  };
}
const perUnit = (cpu, n) => ({
  services: r1(cpu.services / n),
  byService: Object.fromEntries(Object.entries(cpu.byService).map(([k, v]) => [k, r1(v / n)])),
  router: r1(cpu.router / n),
  postgres: r1(cpu.postgresOurBackends / n),
  postgresAllProcesses: r1(cpu.postgresAllProcesses / n),
  nats: r1(cpu.nats / n),
  servicesPostgresNats: r1((cpu.services + cpu.postgresOurBackends + cpu.nats) / n),
  client: r1(cpu.client / n),
});

let customerTokens; // signed up once per run; tokens outlive a router restart (same JWT_SECRET)
const admin = { email: `ops-${runId}@example.com`, password: randomBytes(12).toString("hex") };

async function runVariant({ instances, latencyMs }) {
  const label = `${instances}x${latencyMs}`;
  const deployment = [];
  const stopAll = () => Promise.all(deployment.map((p) => stopProcess(p)));
  try {
    // ---- the deployment: instances of each service, then the router on the first instance of each
    const t0 = performance.now();
    const ports = new Map();
    for (const service of SUBGRAPHS) {
      for (let i = 0; i < instances; i++) {
        const port = await freePort();
        const proc = startProcess(`${service}#${i + 1}`, "scripts/start-subgraph.ts", [service], {
          PORT: String(port),
          // 100 connections are shared with every test run on the machine: the consumers get most of ours.
          DATABASE_POOL_SIZE: String(CONSUMING.has(service) ? POOL_BY_INSTANCES[instances] : 2),
          CARD_PROCESSOR_LATENCY_MS: String(latencyMs),
        });
        proc.service = service;
        deployment.push(proc);
        if (i === 0) ports.set(service, port);
        proc.port = port;
      }
    }
    const routerPort = await freePort();
    const router = startProcess("router", "router/src/main.ts", [], {
      PORT: String(routerPort),
      // The router takes one URL per subgraph: HTTP goes to the first instance, events reach all of them.
      ...Object.fromEntries(SUBGRAPHS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, `http://127.0.0.1:${ports.get(s)}/graphql`])),
    });
    router.port = routerPort;
    deployment.push(router);
    await Promise.all(deployment.map((p) => ready(p, p.port)));
    const startupS = r1((performance.now() - t0) / 1000);
    const url = `http://127.0.0.1:${routerPort}/graphql`;
    log(`${label}: ${deployment.length} processes ready in ${startupS} s (router ${url})`);

    // ---- stock for every order of this variant, customers
    const adminToken = (await gql(url, OPS.signIn, { input: admin })).signIn.accessToken;
    const products = (await gql(url, PRODUCTS, {})).products.edges.map((e) => e.node).filter((p) => p.stock >= 1);
    if (!products.length) throw new Error("no demo product in stock");
    const restockEach = Math.ceil((ORDERS + WARMUP + CONCURRENCY) / products.length) + 5;
    for (const p of products) await gql(url, OPS.restock, { productId: p.id, quantity: restockEach }, adminToken);
    if (!customerTokens) {
      customerTokens = [];
      for (let i = 0; i < CONCURRENCY; i++) {
        const input = { email: `${runId}-c${i}@example.com`, name: `Scale bench ${i}`, password: "scale-bench-password" };
        customerTokens.push((await gql(url, OPS.signUp, { input })).signUp.accessToken);
      }
    }

    // ---- closed loop: each customer one order in flight
    const tracker = createOutcomeTracker(dbUrl("orders"));
    let productCursor = 0;
    const runOrders = async (count) => {
      const records = [];
      let next = 0;
      await Promise.all(
        customerTokens.map(async (token, customer) => {
          while (next < count && !aborted()) {
            const seq = next++;
            const product = products[productCursor++ % products.length];
            const placedAt = Date.now();
            const p0 = performance.now();
            let id;
            let retries = 0;
            try {
              for (;;) {
                try {
                  id = (await gql(url, OPS.placeOrder, { input: { lines: [{ productId: product.id, quantity: 1 }], paymentToken: PAYMENT_TOKEN } }, token)).placeOrder.id;
                  break;
                } catch (error) {
                  if (error.retryAfterS === undefined || retries + 1 >= PLACE_ATTEMPTS) throw error;
                  retries++;
                  await sleep(error.retryAfterS * 1000);
                }
              }
            } catch (error) {
              records.push({ seq, customer, placedAt, retries, outcome: "placeFailed", error: String(error.message).slice(0, 300) });
              continue;
            }
            const placeMs = performance.now() - p0;
            const outcome = await tracker.wait(id, ORDER_TIMEOUT_MS);
            records.push({ seq, customer, orderId: id, placedAt, placeMs, retries, outcome: outcome?.status ?? "timeout", finalAt: outcome?.at, paidMs: outcome?.status === "PAID" ? outcome.at - placedAt : undefined });
          }
        }),
      );
      return records;
    };
    try {
      if (WARMUP > 0) {
        const warm = await runOrders(WARMUP);
        log(`${label}: warm-up ${warm.length} orders, ${warm.filter((r) => r.outcome === "PAID").length} PAID`);
      }
      // Idle: what the deployment costs doing nothing (relays polling, consumers pulling), to read the figures against.
      const idleBefore = cpuSample(deployment);
      if (IDLE_S > 0) await sleep(IDLE_S * 1000);
      const idle = cpuBetween(idleBefore, cpuSample(deployment));

      const before = cpuSample(deployment);
      const loadBefore = os.loadavg();
      const progress = setInterval(() => log(`${label}: placing...`), 15_000);
      let records;
      try {
        records = await runOrders(ORDERS);
      } finally {
        clearInterval(progress);
      }
      // The saga's last step (shipping's shipment for PaymentCaptured) belongs to the order's cost too.
      const paidIds = records.filter((r) => r.outcome === "PAID").map((r) => r.orderId);
      const shipped = await waitForShipments(paidIds, 30_000);
      const after = cpuSample(deployment);
      const loadAfter = os.loadavg();
      if (aborted()) throw new Error(`aborted (${aborted()})`);

      const paid = records.filter((r) => r.outcome === "PAID");
      const firstPlaced = Math.min(...records.filter((r) => r.placedAt !== undefined).map((r) => r.placedAt));
      const lastPaid = Math.max(...paid.map((r) => r.finalAt));
      const spanS = paid.length ? (lastPaid - firstPlaced) / 1000 : null;
      const cpu = cpuBetween(before, after);
      const result = {
        variant: label,
        instancesPerService: instances,
        processorLatencyMs: latencyMs,
        processes: deployment.length,
        startupS,
        orders: records.length,
        paid: paid.length,
        lost: records.filter((r) => r.outcome === "timeout").length,
        cancelled: records.filter((r) => r.outcome === "CANCELLED").length,
        placeFailed: records.filter((r) => r.outcome === "placeFailed").length,
        placeRetried: records.filter((r) => r.retries > 0).length,
        shipmentsMade: shipped,
        firstPlaceToLastPaidS: r1(spanS),
        ordersPerS: spanS ? r1(paid.length / spanS) : null,
        latency: { placeToPaidMs: stats(paid.map((r) => r.paidMs)), placeOrderResponseMs: stats(records.map((r) => r.placeMs)) },
        cpuMsPerOrder: perUnit(cpu, records.length),
        cpuWindowS: r1(cpu.seconds),
        idleCpuMsPerS: perUnit(idle, Math.max(idle.seconds, 1e-9)),
        postgresBackendsVanished: cpu.postgresBackendsVanished,
        machineCpuBusyPct: cpu.machineBusyPct,
        loadavg: { before: loadBefore.map(r1), after: loadAfter.map(r1) },
        failures: records.filter((r) => r.outcome !== "PAID").slice(0, 20),
      };
      log(
        `${label}: ${result.paid}/${result.orders} PAID, ${result.ordersPerS} orders/s, p50 ${result.latency.placeToPaidMs?.p50} ms, p99 ${result.latency.placeToPaidMs?.p99} ms, ` +
          `lost ${result.lost}; CPU/order services ${result.cpuMsPerOrder.services} ms, +PostgreSQL+NATS ${result.cpuMsPerOrder.servicesPostgresNats} ms`,
      );
      return result;
    } finally {
      await tracker.close();
    }
  } finally {
    await stopAll();
    log(`${label}: stopped`);
  }
}

/** Waits until shipping has a shipment for each of the orders (or timeoutMs); returns how many it has. */
async function waitForShipments(orderIds, timeoutMs) {
  if (!orderIds.length) return 0;
  const db = new pg.Client({ connectionString: dbUrl("shipping") });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "Shipment" WHERE "orderId" = ANY($1::uuid[])`, [orderIds]);
      if (rows[0].n >= orderIds.length || Date.now() > deadline || aborted()) return rows[0].n;
      await sleep(POLL_MS);
    }
  } finally {
    await db.end();
  }
}

// ---------------------------------------------------------------- main
let exitCode = 0;
const loadAtStart = os.loadavg().map(r1);
add("stop every process started", async () => {
  const left = [...live];
  await Promise.all(left.map((p) => stopProcess(p, 15_000)));
  return left.map((p) => p.label);
}, 60_000);
// Last resort if this process is ended some other way: nothing it started outlives it.
process.on("exit", () => {
  for (const p of live) signalGroup(p, "SIGKILL");
});
try {
  const pgVersion = await postgresReachable();
  if (!pgVersion) throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL} (TEST_DATABASE_URL): this benchmark needs real PostgreSQL`);
  const nats = await natsInfo(NATS_URL).catch((error) => {
    throw new Error(`NATS JetStream is not reachable at ${NATS_URL}: ${error.message}`);
  });
  add("delete the run's NATS streams", deleteNamespaceStreams);
  log(`PostgreSQL ${pgVersion}, NATS ${nats.server}; run ${runId} (databases ${databasePrefix}*, EVENTS_NAMESPACE ${namespace})`);
  log(`variants ${VARIANTS.map((v) => `${v.instances}x${v.latencyMs}`).join(", ")}; ${ORDERS} orders each (+${WARMUP} warm-up), ${CONCURRENCY} customers; timeout ${TIMEOUT_S} s`);

  await prepareDatabases();
  await runScript("scripts/create-admin.ts", ["--email", admin.email, "--name", "Scale bench"], { ADMIN_PASSWORD: admin.password });
  log("7 databases created, migrated and seeded; admin created");

  const variants = [];
  for (const variant of VARIANTS) {
    if (aborted()) break;
    variants.push(await runVariant(variant));
  }
  if (aborted()) throw new Error(`aborted (${aborted()})`);

  // ---- tear down before writing, so the file says whether cleanup was complete
  const cleanupReport = await cleanup();
  disarm();
  const databasesLeft = await dropRunDatabases(runId);
  const streamsLeft = await deleteNamespaceStreams();

  const output = {
    date: started.toISOString(),
    wallS: r1((Date.now() - started.getTime()) / 1000),
    git: gitInfo(),
    machine: { ...machineInfo(), nproc: os.availableParallelism(), postgres: pgVersion, nats: nats.server, loadavgAtStart: loadAtStart },
    settings: {
      ordersPerVariant: ORDERS,
      warmupPerVariant: WARMUP,
      customers: CONCURRENCY,
      inFlight: `${CONCURRENCY} (one order per customer: place, wait for PAID, place the next)`,
      orderTimeoutMs: ORDER_TIMEOUT_MS,
      idleSampleS: IDLE_S,
      paymentToken: PAYMENT_TOKEN,
      linesPerOrder: 1,
      logLevel: LOG_LEVEL,
      eventsPartitions: "16 (default)",
      databasePoolSize: "services with a consumer 8 per process at 1 instance, 5 at 2; accounts and catalog 2 per process",
      placeOrderRetries: `a 503 SERVICE_OVERLOADED is retried after its Retry-After, up to ${PLACE_ATTEMPTS} attempts; latency counts from the first`,
      router: "one process, SUBGRAPH_<NAME>_URL = each service's first instance (it takes one URL per subgraph)",
      percentiles: "nearest rank",
    },
    method:
      "Every service and the router in its own process (node --import tsx), on PostgreSQL with the run's seven databases and NATS JetStream in the run's " +
      "EVENTS_NAMESPACE; processes started afresh for each variant (same databases). placedAt = Date.now() just before the placeOrder POST; PAID at = " +
      "OrderStatusChange.at (the orders service's write; placedAt is the first attempt's when a 503 was retried), polled every 100 ms. orders/s = PAID orders / (last PAID - first place). Lost = placed and " +
      "not PAID within orderTimeoutMs. CPU = utime+stime from /proc over the measured window (first place until every PAID order has its shipment): " +
      "per service summed over instances, the router, the PostgreSQL backends connected to the run's databases, nats-server (shared with anything else " +
      "on the machine), this client; divided by orders. idleCpuMsPerS: the same processes over an idle window before, in ms per second.",
    targets: {
      ordersPerSAt100Ms: SERIAL_BOUND_AT_100MS * TARGETS.speedupAt100Ms,
      serialBoundAt100Ms: SERIAL_BOUND_AT_100MS,
      servicesCpuMsPerOrderAt0Ms: TARGETS.servicesCpuMsPerOrder,
      servicesPostgresNatsCpuMsPerOrderAt0Ms: TARGETS.withServersCpuMsPerOrder,
    },
    verdict: verdict(variants),
    runId,
    variants,
    cleanup: { steps: cleanupReport, databasesLeftAfterCleanup: databasesLeft, streamsLeftAfterCleanup: streamsLeft },
  };
  publishResults({ name: "scale", date: isoDate(started), output, markdown: table(output), heading: "### Results: the saga at 1 and 2 instances per service", log, wallS: output.wallS });
  const lost = variants.reduce((n, v) => n + v.lost + v.cancelled + v.placeFailed, 0);
  if (lost) {
    log(`${lost} order(s) not PAID`);
    exitCode = 1;
  }
  if (leftBehind({ databases: databasesLeft, streams: streamsLeft }, log)) exitCode = 1;
} catch (error) {
  console.error(aborted() ? `\nBENCH SCALE ABORTED (${aborted()}): no results written` : `\nBENCH SCALE FAILED: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanup();
  disarm();
}
process.exit(exitCode);

// ---------------------------------------------------------------- report

function verdict(variants) {
  const at100 = variants.filter((v) => v.processorLatencyMs === 100);
  const at0 = variants.filter((v) => v.processorLatencyMs === 0);
  return {
    ordersPerSAt100Ms: at100.map((v) => ({ variant: v.variant, ordersPerS: v.ordersPerS, xSerialBound: r1(v.ordersPerS / SERIAL_BOUND_AT_100MS), met: v.ordersPerS >= SERIAL_BOUND_AT_100MS * TARGETS.speedupAt100Ms })),
    cpuAt0Ms: at0.map((v) => ({
      variant: v.variant,
      services: v.cpuMsPerOrder.services,
      servicesMet: v.cpuMsPerOrder.services <= TARGETS.servicesCpuMsPerOrder,
      servicesPostgresNats: v.cpuMsPerOrder.servicesPostgresNats,
      servicesPostgresNatsMet: v.cpuMsPerOrder.servicesPostgresNats <= TARGETS.withServersCpuMsPerOrder,
    })),
    lost: variants.reduce((n, v) => n + v.lost, 0),
  };
}

function table(out) {
  const rows = out.variants.map((v) => {
    const c = v.cpuMsPerOrder;
    const l = v.latency.placeToPaidMs;
    return `| ${v.instancesPerService} | ${v.processorLatencyMs} | ${v.paid}/${v.orders} | **${v.ordersPerS}** | ${l?.p50 ?? "–"} | ${l?.p99 ?? "–"} | **${v.lost}** | ${v.placeFailed} / ${v.placeRetried} | **${c.services}** | ${c.router} | ${c.postgres} | ${c.nats} | **${c.servicesPostgresNats}** | ${v.machineCpuBusyPct}% | ${v.loadavg.before[0]} |`;
  });
  const services = out.variants.map((v) => `| ${v.variant} | ${SUBGRAPHS.map((s) => v.cpuMsPerOrder.byService[s]).join(" | ")} | ${v.cpuMsPerOrder.client} |`);
  const idle = out.variants.map((v) => {
    const i = v.idleCpuMsPerS;
    return `| ${v.variant} | ${i.services} | ${i.router} | ${i.postgres} | ${i.nats} |`;
  });
  const s = out.settings;
  return [
    `${s.ordersPerVariant} orders per variant (+${s.warmupPerVariant} warm-up), ${s.customers} customers with one order in flight each, one line, \`${s.paymentToken}\`; ` +
      `${out.machine.nproc} CPUs (${out.machine.cpus}), Node ${out.machine.node}, PostgreSQL ${out.machine.postgres}, NATS ${out.machine.nats}; load average ${out.machine.loadavgAtStart.join("/")} at the start (a shared machine).`,
    "",
    "| instances per service | processor ms | PAID | orders/s | place → PAID p50 ms | p99 ms | lost | placeOrder failed / retried (503) | CPU ms/order: services | router | PostgreSQL | NATS | services + PostgreSQL + NATS | machine busy | load avg |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `CPU ms per order by service (summed over instances), and this client:`,
    "",
    `| variant | ${SUBGRAPHS.join(" | ")} | client |`,
    `|---|${SUBGRAPHS.map(() => "---:").join("|")}|---:|`,
    ...services,
    "",
    `Idle cost of the same processes (CPU ms per second, measured for ${s.idleSampleS} s before each run):`,
    "",
    "| variant | services | router | PostgreSQL | NATS |",
    "|---|---:|---:|---:|---:|",
    ...idle,
    "",
    `Targets: at 100 ms processor latency, orders/s ≥ ${out.targets.ordersPerSAt100Ms} (10 × the serial bound of ${out.targets.serialBoundAt100Ms}); at 0 ms, CPU per order ≤ ${out.targets.servicesCpuMsPerOrderAt0Ms} ms in the services, ≤ ${out.targets.servicesPostgresNatsCpuMsPerOrderAt0Ms} ms with PostgreSQL and NATS; 0 lost.`,
  ].join("\n");
}
