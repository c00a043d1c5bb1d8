#!/usr/bin/env node
// Flow latency: place an order -> a subscriber sees it PAID. The whole platform
// (seven subgraphs + router, bench/platform/serve.ts) on real PostgreSQL and
// NATS JetStream; this process is the client: placeOrder over HTTP through the
// router, and the status over a graphql-ws subscription through the router
// (`myOrderUpdates`, subscribed before the order exists, so no step can be missed).
//
//   node bench/flow.mjs            (from the repo root)
//
// Latency of one order = from just before the placeOrder request is sent to the
// moment the PAID update for that order arrives at the subscriber. Orders run with
// bounded concurrency: one worker per customer, one order in flight per worker.
// Writes bench/results/flow-<YYYY-MM-DD>.json and prints a markdown table.
//
// Env: BENCH_FLOW_ORDERS (measured orders, default 500), BENCH_FLOW_CONCURRENCY (default 10),
// BENCH_FLOW_WARMUP (unmeasured orders first, default 30), BENCH_FLOW_ORDER_TIMEOUT_MS
// (an order not PAID by then counts as missing, default 30000), BENCH_FLOW_TIMEOUT_S
// (whole run, default 900), BENCH_NATS_URL (default nats://127.0.0.1:4222),
// BENCH_POOL_SIZE (default 10), BENCH_LOG_LEVEL / BENCH_CHILD_STDERR (the platform's logs).
import "./lib/no-phone-home.mjs";
import { readFileSync } from "node:fs";
import { leftBehind, publishResults } from "./lib/report.mjs";
import os from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { WebSocket } from "ws";
import {
  ROOT,
  cpuMs,
  cpuMsByName,
  createCleanup,
  deleteNatsStreams,
  dropRunDatabases,
  gitInfo,
  isoDate,
  machineInfo,
  machineJiffies,
  makeLog,
  natsInfo,
  natsStreams,
  newRunId,
  num,
  postgresReachable,
  startChild,
} from "./platform/child.mjs";

const log = makeLog("bench flow");
const ORDERS = num("BENCH_FLOW_ORDERS", 500);
const CONCURRENCY = Math.max(1, num("BENCH_FLOW_CONCURRENCY", 10));
const WARMUP = num("BENCH_FLOW_WARMUP", 30);
const ORDER_TIMEOUT_MS = num("BENCH_FLOW_ORDER_TIMEOUT_MS", 30_000);
const TIMEOUT_S = num("BENCH_FLOW_TIMEOUT_S", 900);
const NATS_URL = process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222";
const PAYMENT_TOKEN = "tok_visa"; // subgraphs/payments/src/processor.ts: always captured
const MAX_PROBES = 10; // orders per customer until its subscription is proven live

const op = (path) => readFileSync(join(ROOT, "operations", `${path}.graphql`), "utf8");
const OPS = {
  signIn: op("storefront/SignIn"),
  signUp: op("storefront/SignUp"),
  placeOrder: op("storefront/PlaceOrder"),
  restock: op("backoffice/Restock"),
  myOrderUpdates: op("storefront/MyOrderUpdates"),
};

const started = new Date();
const runId = newRunId("bflow");
const namespace = `${runId}.`;
const { add, cleanup, guard, aborted } = createCleanup(log);
const disarm = guard(TIMEOUT_S);

// ---------------------------------------------------------------- client helpers
let routerUrl = "";
async function gql(query, variables, token) {
  const res = await fetch(routerUrl, {
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
  if (body.errors?.length || !body.data) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 800)}`);
  return body.data;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : null);
function stats(values) {
  const s = values.filter((v) => typeof v === "number").sort((a, b) => a - b);
  if (!s.length) return null;
  const r = (v) => Math.round(v * 10) / 10;
  return { n: s.length, min: r(s[0]), p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s.at(-1)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/**
 * One customer: a graphql-ws connection to the router with `myOrderUpdates`,
 * recording when each status of each of their orders arrived.
 */
function customer(index, token) {
  const seen = new Map(); // orderId -> Map(status -> performance.now())
  const waiters = new Map(); // orderId -> () => void
  let failure;
  const client = createClient({
    url: routerUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    shouldRetry: () => false,
    onNonLazyError: (error) => (failure ??= error),
  });
  const unsubscribe = client.subscribe(
    { query: OPS.myOrderUpdates },
    {
      next: (result) => {
        const at = performance.now();
        const update = result.data?.myOrderUpdates;
        if (!update) {
          failure ??= new Error(`subscription error: ${JSON.stringify(result.errors)}`);
          return;
        }
        let statuses = seen.get(update.id);
        if (!statuses) seen.set(update.id, (statuses = new Map()));
        if (!statuses.has(update.status)) statuses.set(update.status, at);
        waiters.get(update.id)?.();
      },
      error: (error) => {
        failure ??= error instanceof Error ? error : new Error(`subscription ended: ${JSON.stringify(error)}`);
        for (const w of waiters.values()) w();
      },
      complete: () => {
        failure ??= new Error("subscription completed by the server");
        for (const w of waiters.values()) w();
      },
    },
  );
  /** Resolves when `done(statuses)` holds for the order, or with null after timeoutMs (or when the subscription failed). */
  const until = (orderId, done, timeoutMs) =>
    new Promise((resolve) => {
      const check = () => {
        const statuses = seen.get(orderId) ?? new Map();
        if (done(statuses)) return finish(statuses);
        if (failure) return finish(null);
      };
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (value) => {
        clearTimeout(timer);
        waiters.delete(orderId);
        resolve(value);
      };
      waiters.set(orderId, check);
      check();
    });
  return {
    index,
    token,
    seen,
    until,
    get failure() {
      return failure;
    },
    async dispose() {
      unsubscribe();
      await client.dispose();
    },
  };
}

// ---------------------------------------------------------------- main
let exitCode = 0;
try {
  const pgVersion = await postgresReachable();
  if (!pgVersion) throw new Error("PostgreSQL is not reachable at 127.0.0.1:5432 (TEST_DATABASE_URL): this benchmark needs real PostgreSQL");
  const nats = await natsInfo(NATS_URL).catch((error) => {
    throw new Error(`NATS JetStream is not reachable at ${NATS_URL}: ${error.message}`);
  });
  log(`PostgreSQL ${pgVersion}, NATS ${nats.server} (JetStream); run ${runId}, streams ${natsStreams(namespace).join(", ")}`);
  log(`${ORDERS} orders, ${CONCURRENCY} in flight, ${WARMUP} warm-up; order timeout ${ORDER_TIMEOUT_MS} ms; global timeout ${TIMEOUT_S} s`);

  // ---- the platform
  const child = startChild("bench/platform/serve.ts", {
    env: { TEST_RUN_ID: runId, BENCH_EVENTS: "nats", BENCH_NATS_URL: NATS_URL, BENCH_NAMESPACE: namespace },
    log,
  });
  const customers = [];
  add("close the subscribers", async () => {
    await Promise.all(customers.map((c) => c.dispose().catch(() => {})));
  }, 10_000);
  add("stop the platform process", async () => {
    const stopped = await child.stop(60_000);
    return stopped ? { platformStopMs: stopped.platformStopMs, problems: stopped.problems } : "no stopped message (the process was killed)";
  }, 90_000);
  add("drop leftover databases of this run", async () => {
    const dropped = await dropRunDatabases(runId);
    if (dropped.length) log(`dropped ${dropped.length} database(s) the platform left: ${dropped.join(", ")}`);
    return dropped;
  });
  add("delete leftover NATS streams of this run", async () => {
    const deleted = await deleteNatsStreams(NATS_URL, namespace);
    if (deleted.length) log(`deleted NATS stream(s) the platform left: ${deleted.join(", ")}`);
    return deleted;
  });

  log("starting the platform (7 test databases on PostgreSQL, demo data, NATS)");
  const ready = await child.waitFor(["ready", "error"], 240_000);
  if (ready.bench === "error") throw new Error(`the platform did not start:\n${ready.message}`);
  routerUrl = ready.routerUrl;
  log(`platform up in ${(ready.startupMs / 1000).toFixed(1)} s at ${routerUrl}`);

  // ---- customers, stock
  const admin = (await gql(OPS.signIn, { input: ready.admin })).signIn.accessToken;
  const products = ready.products.filter((p) => p.stock >= 20).slice(0, 20);
  const unitsNeeded = ORDERS + WARMUP + CONCURRENCY * MAX_PROBES;
  const restockEach = Math.ceil(unitsNeeded / products.length) + 5;
  for (const p of products) await gql(OPS.restock, { productId: p.id, quantity: restockEach }, admin);
  log(`restocked ${products.length} products by ${restockEach} units each`);

  const tokens = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const input = { email: `${runId}-c${i}@example.com`, name: `Flow bench ${i}`, password: "flow-bench-password" };
    tokens.push((await gql(OPS.signUp, { input })).signUp.accessToken);
  }
  for (let i = 0; i < CONCURRENCY; i++) customers.push(customer(i, tokens[i]));

  let productCursor = 0;
  const place = async (c) => {
    const product = products[productCursor++ % products.length];
    const t0 = performance.now();
    const data = await gql(OPS.placeOrder, { input: { lines: [{ productId: product.id, quantity: 1 }], paymentToken: PAYMENT_TOKEN } }, c.token);
    return { id: data.placeOrder.id, t0, t1: performance.now(), productId: product.id };
  };
  const final = (s) => s.has("PAID") || s.has("CANCELLED");

  // ---- every subscription live: probe orders until one shows up on it (a live
  // subscription sees only what happens after it is established, and nobody says when).
  let probes = 0;
  await Promise.all(
    customers.map(async (c) => {
      for (let attempt = 1; ; attempt++) {
        const { id } = await place(c);
        probes++;
        if (await c.until(id, (s) => s.size > 0, 5_000)) {
          if (!(await c.until(id, final, ORDER_TIMEOUT_MS))) throw new Error(`probe order ${id} of customer ${c.index} never settled${c.failure ? `: ${c.failure.message}` : ""}`);
          return;
        }
        if (c.failure) throw new Error(`customer ${c.index}'s subscription failed: ${c.failure.message ?? c.failure}`);
        if (attempt >= MAX_PROBES) throw new Error(`customer ${c.index}'s subscription saw none of ${attempt} probe orders`);
      }
    }),
  );
  log(`${CONCURRENCY} subscriptions live (${probes} probe orders)`);

  // ---- warm-up, then the measured run: one order in flight per customer
  const runOrders = async (count, record) => {
    let next = 0;
    await Promise.all(
      customers.map(async (c) => {
        while (next < count && !aborted()) {
          const seq = next++;
          let placed;
          try {
            placed = await place(c);
          } catch (error) {
            record?.({ seq, customer: c.index, error: `placeOrder: ${error.message}` });
            continue;
          }
          const statuses = await c.until(placed.id, final, ORDER_TIMEOUT_MS);
          const at = (status) => (statuses?.get(status) !== undefined ? statuses.get(status) - placed.t0 : undefined);
          record?.({
            seq,
            customer: c.index,
            orderId: placed.id,
            placeMs: placed.t1 - placed.t0,
            pendingMs: at("PENDING"),
            awaitingPaymentMs: at("AWAITING_PAYMENT"),
            paidMs: at("PAID"),
            cancelledMs: at("CANCELLED"),
            outcome: !statuses ? "timeout" : statuses.has("PAID") ? "PAID" : "CANCELLED",
            subscriptionFailure: !statuses && c.failure ? String(c.failure.message ?? c.failure) : undefined,
          });
        }
      }),
    );
  };
  if (WARMUP > 0) {
    const warm = [];
    await runOrders(WARMUP, (r) => warm.push(r));
    log(`warm-up: ${warm.length} orders, ${warm.filter((r) => r.outcome === "PAID").length} PAID`);
  }

  const records = [];
  const cpuBefore = cpuMs(child.child.pid);
  const selfBefore = process.cpuUsage();
  const loadBefore = os.loadavg();
  const machineBefore = machineJiffies();
  const serversBefore = cpuMsByName(["postgres", "nats-server"]);
  const t0 = performance.now();
  const progress = setInterval(() => log(`${records.length}/${ORDERS} orders`), 10_000);
  try {
    await runOrders(ORDERS, (r) => records.push(r));
  } finally {
    clearInterval(progress);
  }
  if (aborted()) throw new Error(`aborted (${aborted()})`);
  const measuredS = (performance.now() - t0) / 1000;
  const platformCpuMs = cpuMs(child.child.pid) - cpuBefore;
  const self = process.cpuUsage(selfBefore);
  const loadAfter = os.loadavg();
  const machineAfter = machineJiffies();
  const serversAfter = cpuMsByName(["postgres", "nats-server"]);
  const machineBusy = machineAfter.total > machineBefore.total ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) : null;

  const paid = records.filter((r) => r.outcome === "PAID");
  const missing = records.filter((r) => r.outcome !== "PAID");
  const summary = {
    orders: records.length,
    paid: paid.length,
    notPaidWithinTimeout: missing.length,
    timedOut: records.filter((r) => r.outcome === "timeout").length,
    cancelled: records.filter((r) => r.outcome === "CANCELLED").length,
    placeOrderFailed: records.filter((r) => r.error).length,
    measuredS: Math.round(measuredS * 10) / 10,
    ordersPerS: Math.round((records.length / measuredS) * 10) / 10,
    platformCpuMsPerOrder: Math.round((platformCpuMs / records.length) * 10) / 10,
    clientCpuMsPerOrder: Math.round(((self.user + self.system) / 1000 / records.length) * 10) / 10,
    // Whole machine (every process, ours or not): PostgreSQL backends and nats-server are shared servers.
    postgresCpuMsPerOrder: Math.round(((serversAfter.postgres - serversBefore.postgres) / records.length) * 10) / 10,
    natsCpuMsPerOrder: Math.round(((serversAfter["nats-server"] - serversBefore["nats-server"]) / records.length) * 10) / 10,
    machineCpuBusyPct: machineBusy === null ? null : Math.round(machineBusy * 1000) / 10,
    loadavg: { before: loadBefore, after: loadAfter },
  };
  const latency = {
    placeToPaidMs: stats(paid.map((r) => r.paidMs)),
    placeOrderResponseMs: stats(records.map((r) => r.placeMs)),
    placeToAwaitingPaymentMs: stats(paid.map((r) => r.awaitingPaymentMs)),
    responseToPaidMs: stats(paid.map((r) => r.paidMs - r.placeMs)),
  };
  log(`measured ${records.length} orders in ${measuredS.toFixed(1)} s: p50 ${latency.placeToPaidMs?.p50} ms, p99 ${latency.placeToPaidMs?.p99} ms, not PAID ${missing.length}`);

  // ---- tear down before writing, so the file says whether cleanup was complete
  const cleanupReport = await cleanup();
  disarm();
  const databasesLeft = await dropRunDatabases(runId);
  const streamsLeft = await deleteNatsStreams(NATS_URL, namespace);

  const wallS = (Date.now() - started.getTime()) / 1000;
  const output = {
    date: started.toISOString(),
    wallS: Math.round(wallS * 10) / 10,
    git: gitInfo(),
    machine: { ...machineInfo(), nproc: os.availableParallelism(), postgres: pgVersion, nats: nats.server },
    settings: {
      orders: ORDERS,
      concurrency: CONCURRENCY,
      warmup: WARMUP,
      probeOrders: probes,
      orderTimeoutMs: ORDER_TIMEOUT_MS,
      paymentToken: PAYMENT_TOKEN,
      linesPerOrder: 1,
      products: products.length,
      restockedPerProduct: restockEach,
      events: "nats",
      natsStreams: natsStreams(namespace),
      poolSize: ready.poolSize,
      subscription: "storefront/MyOrderUpdates (myOrderUpdates), one graphql-ws connection per customer, subscribed before any order",
      percentiles: "nearest rank",
    },
    method:
      "Per order: t0 = performance.now() just before the placeOrder POST to the router; PAID = when the myOrderUpdates payload with status PAID " +
      "for that order id reached this process's graphql-ws client (through the router). Latencies in ms from t0. Client and platform are " +
      "separate processes on the same machine (loopback). An order not PAID within orderTimeoutMs counts in notPaidWithinTimeout.",
    runId,
    startupMs: ready.startupMs,
    summary,
    latency,
    failures: missing.slice(0, 50),
    cleanup: { steps: cleanupReport, databasesLeftAfterCleanup: databasesLeft, streamsLeftAfterCleanup: streamsLeft },
    orders: records.map((r) => ({ seq: r.seq, customer: r.customer, outcome: r.outcome, placeMs: round(r.placeMs), awaitingPaymentMs: round(r.awaitingPaymentMs), paidMs: round(r.paidMs) })),
  };
  if (aborted()) throw new Error(`aborted (${aborted()})`);
  publishResults({ name: "flow", date: isoDate(started), output, markdown: table(output), heading: "## Flow latency: place an order, see PAID", log, wallS: wallS.toFixed(1) });
  if (missing.length) {
    log(`${missing.length} order(s) did not reach PAID within ${ORDER_TIMEOUT_MS} ms: ${JSON.stringify(missing.slice(0, 5))}`);
    exitCode = 1;
  }
  if (leftBehind({ databases: databasesLeft, streams: streamsLeft }, log)) exitCode = 1;
} catch (error) {
  console.error(aborted() ? `\nBENCH FLOW ABORTED (${aborted()}): no results written` : `\nBENCH FLOW FAILED: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanup();
  disarm();
}
process.exit(exitCode);

function round(v) {
  return typeof v === "number" ? Math.round(v * 10) / 10 : null;
}

function table(out) {
  const { summary: s, latency: l, settings } = out;
  const row = (label, st) => (st ? `| ${label} | ${st.n} | ${st.min} | **${st.p50}** | ${st.p90} | **${st.p99}** | ${st.max} | ${st.mean} |` : `| ${label} | 0 | – | – | – | – | – | – |`);
  return [
    `### Flow latency: placeOrder → subscriber sees PAID (${s.orders} orders, ${settings.concurrency} in flight, PostgreSQL + NATS JetStream, through the router)`,
    "",
    "| ms | n | min | p50 | p90 | p99 | max | mean |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    row("**place → PAID seen by subscriber**", l.placeToPaidMs),
    row("placeOrder HTTP response", l.placeOrderResponseMs),
    row("place → AWAITING_PAYMENT seen", l.placeToAwaitingPaymentMs),
    row("placeOrder response → PAID seen", l.responseToPaidMs),
    "",
    `Orders not PAID within ${settings.orderTimeoutMs / 1000} s: **${s.notPaidWithinTimeout}** (timed out ${s.timedOut}, cancelled ${s.cancelled}, placeOrder failed ${s.placeOrderFailed}).`,
    `Throughput ${s.ordersPerS} orders/s over ${s.measuredS} s. CPU per order: platform ${s.platformCpuMsPerOrder} ms, PostgreSQL ${s.postgresCpuMsPerOrder} ms, ` +
      `nats-server ${s.natsCpuMsPerOrder} ms, client ${s.clientCpuMsPerOrder} ms; machine CPU busy ${s.machineCpuBusyPct}% of ${out.machine.nproc} CPUs ` +
      `(load average ${s.loadavg.before.map((x) => x.toFixed(2)).join("/")} before, ${s.loadavg.after.map((x) => x.toFixed(2)).join("/")} after).`,
    `Warm-up ${settings.warmup} orders + ${settings.probeOrders} probe orders (not measured). Percentiles: nearest rank.`,
  ].join("\n");
}
