#!/usr/bin/env node
// Query-throughput benchmark: our router vs Hive Gateway vs stock @apollo/gateway
// on synthetic in-memory subgraphs and on our seven subgraphs on PostgreSQL.
// `npm run bench:throughput` (from the repo root).
//
// Env: BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (s, default 3),
// BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (A B C rounds, default 2),
// BENCH_GATEWAYS (comma list of GATEWAYS ids below; default all), BENCH_SETS
// (synthetic,platform), BENCH_QUERIES (shallow,deep,list50),
// BENCH_MAX_CONTENTION_PCT (default 25) and BENCH_RETRIES (default 2): a run
// during which other processes took more of the gateway's CPU is measured again.
// BENCH_PROFILE=1 runs our router under --cpu-prof and writes only
// results/throughput-profile-<date>.json: where its time went, and the share of
// it the edge features (operation limits, rate limits, deadline) take, per query
// (BENCH_KEEP_PROFILES=1 keeps the .cpuprofile files in bench/profiles/).
// BENCH_OUTPUT=<name> writes results/<name>-<date>.json and leaves README.md
// alone (a side experiment, e.g. rate limits on and off over many rounds).
// BENCH_RENDER=results/throughput-<date>.json rewrites README.md's section from
// a run's results without measuring anything.
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PLATFORM_IDENTITY, PLATFORM_QUERIES, SYNTHETIC_QUERIES } from "./lib/queries.mjs";
import { writeReadmeSection } from "./lib/readme.mjs";
import { dropRunDatabases, freePort } from "./platform/child.mjs";
import { edgeShares, summarizeProfile } from "./lib/profile.mjs";
import { fetchesBetween, readFetchCounts } from "./lib/fetchCounter.mjs";
import { startOtlpSink } from "./lib/otlpSink.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const DURATION = num("BENCH_DURATION", 10);
const WARMUP = num("BENCH_WARMUP", 3);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const ROUNDS = num("BENCH_ROUNDS", 2);
// A measured run during which other processes took more than this share of
// the gateway's CPU (wall time) is measured again, up to BENCH_RETRIES times.
const MAX_CONTENTION_PCT = num("BENCH_MAX_CONTENTION_PCT", 25);
const RETRIES = num("BENCH_RETRIES", 2);
const OUTPUT = process.env.BENCH_OUTPUT ?? "throughput";
if (!/^[\w-]+$/.test(OUTPUT)) throw new Error(`BENCH_OUTPUT must be a plain name, not ${OUTPUT}`);
// BENCH_PROFILE=1: run our router under --cpu-prof and report where its time went.
// One directory per run: profiles of earlier runs are not read again.
const PROFILE_DIR = process.env.BENCH_PROFILE === "1" ? join(BENCH, "profiles", `run-${process.pid}`) : undefined;
/** Each measured run of a profiled router: its pid, query and time window, to cut its profile by. */
const profileWindows = [];
// Sampling interval of --cpu-prof (µs): a 10 s run at one busy core gives ~20,000 samples.
const PROFILE_INTERVAL_US = num("BENCH_PROFILE_INTERVAL_US", 500);
/** Microseconds on the monotonic clock V8 stamps .cpuprofile samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

// ---------------------------------------------------------------- dependencies
if (!existsSync(join(BENCH, "node_modules"))) {
  log("installing bench dependencies into bench/node_modules (once)");
  const r = spawnSync("npm", ["install", "--prefix", BENCH, "--no-audit", "--no-fund"], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) throw new Error("npm install --prefix bench failed");
}

// ---------------------------------------------------------------- processes
const children = new Set();
function track(child, label) {
  children.add(child);
  child.label = label;
  child.on("exit", () => children.delete(child));
  return child;
}
function killAll(signal = "SIGKILL") {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
process.on("exit", () => killAll("SIGKILL"));
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    log(`${sig}: stopping every process the bench started`);
    killAll("SIGTERM");
    setTimeout(() => process.exit(130), 1500).unref();
  });
}
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  // A process that owns databases drops them on SIGTERM: give it time to.
  const timer = setTimeout(() => child.kill("SIGKILL"), child.graceMs ?? 5000);
  await exited;
  clearTimeout(timer);
}

const NCPU = os.availableParallelism();
const HAVE_TASKSET = spawnSync("taskset", ["-V"]).status === 0 && NCPU >= 2;
// Gateway alone on CPU 0; the load generator on CPU 1; subgraphs on the rest
// (on a 2-CPU machine they share CPU 1 with the load generator).
const CPUS = HAVE_TASKSET
  ? { gateway: "0", load: "1", subgraphs: NCPU >= 4 ? `2-${NCPU - 1}` : NCPU === 3 ? "2" : "1" }
  : null;
function launch(label, cpus, cmd, args, opts = {}) {
  const [c, a] = CPUS && cpus ? ["taskset", ["-c", cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  track(child, label);
  child.stderrTail = "";
  child.stderr.on("data", (d) => (child.stderrTail = (child.stderrTail + d).slice(-4000)));
  return child;
}

// ---------------------------------------------------------------- /proc
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
function tree(pid) {
  const pids = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (kids) for (const k of kids.split(/\s+/)) pids.push(...tree(Number(k)));
    }
  } catch {}
  return pids;
}
function cpuMs(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]); // utime + stime
    } catch {}
  }
  return (ticks * 1000) / CLK_TCK;
}
/** Busy, idle and steal ticks of one CPU from /proc/stat. */
function cpuTicks(cpu) {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}
/**
 * How much of the gateway's CPU went to something else during a run: other
 * processes on it (the machine is shared; pinning keeps only our processes
 * apart), and time the hypervisor took (steal), each as % of the run's wall time.
 */
function gatewayCpuContention(before, after, gatewayCpuMs, wallMs) {
  if (!before || !after) return undefined;
  const ms = (ticks) => (ticks * 1000) / CLK_TCK;
  return {
    othersPct: Math.max(0, (100 * (ms(after.busy - before.busy) - gatewayCpuMs)) / wallMs),
    stealPct: (100 * ms(after.steal - before.steal)) / wallMs,
  };
}
function peakRssMb(pid) {
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

// ---------------------------------------------------------------- http
async function post(url, query, headers = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
  return { status: res.status, text: await res.text() };
}
async function waitReady(url, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${child.label} exited (${child.exitCode}) before it was ready:\n${child.stderrTail}`);
    try {
      const r = await post(url, "{ __typename }");
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.label} not ready at ${url} after 60 s:\n${child.stderrTail}`);
}

// ---------------------------------------------------------------- gateways
const SECRET = randomBytes(32).toString("hex");
const JWT_SECRET = randomBytes(32).toString("hex");
const tsx = ["--import", "tsx"];
// Every gateway runs with the same Node flags. A larger young generation
// (V8 semi-space) cuts the scavenges a gateway's short-lived per-request
// objects cause; docker/Dockerfile sets the same for the router.
const NODE_FLAGS = process.env.BENCH_NODE_OPTIONS ?? "--max-semi-space-size=32";
const gatewayEnv = () => ({ ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, NODE_FLAGS].filter(Boolean).join(" ") });
// Our router as shipped, with two budgets raised so that the bench's traffic
// (far more than one client's worth, from one user) is served, not refused:
// - the per-client rate limit (1200 queries/60 s by default) stays on, counted
//   in memory as in a single instance, with a budget it never reaches, so its
//   cost is in the figures ("rate limits off" rows measure it);
// - the cost limit (5000 by default): the synthetic deep query costs 11105
//   (lists without `first` count 10 each). Every operation is measured either
//   way; only the threshold moves.
const ROUTER_BENCH_ENV = { RATE_LIMIT_QUERY_POINTS: "100000000", ROUTER_MAX_COST: "1000000" };
// Tracing's cost: our router exporting OTLP/HTTP to a sink in this process,
// sampling 1% and 100% of operations (parent-based ratio, as deployed).
const otlpSink = await startOtlpSink();
const traceEnv = (ratio) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink.url, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: ratio });
const GATEWAYS = {
  router: { label: "our router", start: (sg, port, setEnv) => startRouter("router", sg, port, setEnv, {}) },
  "router-noratelimit": { label: "our router, rate limits off", start: (sg, port, setEnv) => startRouter("router-noratelimit", sg, port, setEnv, { ROUTER_RATE_LIMIT: "false" }) },
  "router-trace1": { label: "our router, tracing 1%", start: (sg, port, setEnv) => startRouter("router-trace1", sg, port, setEnv, traceEnv("0.01")) },
  "router-trace100": { label: "our router, tracing 100%", start: (sg, port, setEnv) => startRouter("router-trace100", sg, port, setEnv, traceEnv("1")) },
  "router-nodedupe": { label: "our router, no fetch dedupe", start: (sg, port, setEnv) => startRouter("router-nodedupe", sg, port, setEnv, { SUBGRAPH_DEDUPLICATE: "false" }) },
  hive: { label: "Hive Gateway", start: (sg, port, setEnv) => startHive("hive", sg, port, setEnv, {}) },
  "hive-nodedupe": { label: "Hive Gateway, no fetch dedupe", start: (sg, port, setEnv) => startHive("hive-nodedupe", sg, port, setEnv, { BENCH_HIVE_DEDUPE: "false" }) },
  apollo: { label: "stock @apollo/gateway", start: async (sg, port, setEnv) => launch("apollo", CPUS?.gateway, process.execPath, [join(BENCH, "gateways/apollo.mjs")], { cwd: ROOT, env: { ...gatewayEnv(), ...setEnv, SUPERGRAPH_PATH: sg, PORT: String(port), ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production" } }) },
};
async function startRouter(label, sg, port, setEnv, extraEnv) {
  const args = [...tsx, ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`] : []), "router/src/main.ts"];
  // In production the router serves /metrics on a port of its own (9464 by default): a free one, so that
  // another router on this machine cannot keep it from starting.
  const metricsPort = String(await freePort());
  return launch(label, CPUS?.gateway, process.execPath, args, {
    cwd: ROOT,
    env: { ...gatewayEnv(), SUPERGRAPH_PATH: sg, PORT: String(port), HOST: "127.0.0.1", METRICS_PORT: metricsPort, ROUTER_SIGNING_SECRET: SECRET, JWT_SECRET, LOG_LEVEL: "warn", NODE_ENV: "production", ...ROUTER_BENCH_ENV, ...setEnv, ...extraEnv },
  });
}
async function startHive(label, sg, port, setEnv, extraEnv) {
  return launch(label, CPUS?.gateway, process.execPath, [join(BENCH, "node_modules/@graphql-hive/gateway/dist/bin.js"), "supergraph", sg, "--port", String(port), "--host", "127.0.0.1", "--config-path", join(BENCH, "gateways/hive.config.mjs")], {
    cwd: BENCH,
    env: { ...gatewayEnv(), ...setEnv, ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production", ...extraEnv },
  });
}
const ORDER = (process.env.BENCH_GATEWAYS ?? "router,router-trace1,router-trace100,router-noratelimit,router-nodedupe,hive,hive-nodedupe,apollo").split(",").map((s) => s.trim()).filter(Boolean);
for (const g of ORDER) if (!GATEWAYS[g]) throw new Error(`unknown gateway ${g}`);

/** Fetches per response are counted from 20% to 90% of the run (see bench/lib/load.mjs). */
const FETCH_WINDOW = [0.2, 0.9];
function load(url, query, duration, expectBody, headers, statsUrls) {
  return new Promise((resolve, reject) => {
    const options = { url, body: JSON.stringify({ query }), headers, connections: CONNECTIONS, duration, expectBody, ...(statsUrls ? { statsUrls, window: FETCH_WINDOW.map((f) => f * duration) } : {}) };
    const child = launch("autocannon", CPUS?.load, process.execPath, [join(BENCH, "lib/load.mjs"), JSON.stringify(options)], { cwd: BENCH });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1))) : reject(new Error(`autocannon failed (${code}):\n${child.stderrTail}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const version = (dir) => {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
};
async function firstLine(child, what, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}):\n${child.stderrTail}`)));
    setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs / 1000} s`)), timeoutMs).unref();
  });
}

// ---------------------------------------------------------------- subgraph sets
// A set starts its subgraphs and returns the supergraph every gateway loads,
// its queries, who is asking (`token` for our router, which verifies JWTs; the
// same identity signed by the peer gateways' plugin, BENCH_IDENTITY), and
// `fetchCounts()`: the requests its subgraphs have served so far.
const SETS = {
  synthetic: {
    label: "synthetic in-memory subgraphs (cheap: isolates the gateway's own cost)",
    async start(tmpDir) {
      const names = ["products", "reviews", "users", "inventory"];
      const started = await Promise.all(
        names.map(async (name) => {
          const child = launch(`subgraph ${name}`, CPUS?.subgraphs, process.execPath, [...tsx, join(BENCH, "subgraphs/serve.ts"), name], { cwd: ROOT, env: { ...process.env, ROUTER_SIGNING_SECRET: SECRET } });
          return JSON.parse(await firstLine(child, `subgraph ${name}`));
        }),
      );
      const urls = Object.fromEntries(started.map((s) => [s.name, s.url]));
      const statsUrls = started.map((s) => s.statsUrl);
      const supergraph = join(tmpDir, "synthetic.graphql");
      const composed = spawnSync(process.execPath, [...tsx, join(BENCH, "subgraphs/compose.ts"), supergraph, JSON.stringify(urls)], { cwd: ROOT, encoding: "utf8" });
      if (composed.status !== 0) throw new Error(`composition failed:\n${composed.stderr}`);
      return { supergraph, queries: SYNTHETIC_QUERIES, identity: null, processes: [], statsUrls, fetchCounts: () => readFetchCounts(statsUrls) };
    },
  },
  platform: {
    label: "our seven subgraphs on PostgreSQL (demo data, signed in as a customer)",
    async start(tmpDir) {
      // bench/platform/serve.ts: the seven services on fresh, migrated, seeded test
      // databases (plus an in-process router this bench does not use).
      const child = launch("platform subgraphs", CPUS?.subgraphs, process.execPath, [...tsx, join(BENCH, "platform/serve.ts")], {
        cwd: ROOT,
        env: { ...process.env, BENCH_EVENTS: "in-process", BENCH_COUNT_FETCHES: "1", ROUTER_SIGNING_SECRET: SECRET, JWT_SECRET, TEST_RUN_ID: RUN_ID },
        // serve.ts stops when its stdin closes (its parent went away): keep a pipe open.
        stdio: ["pipe", "pipe", "pipe"],
      });
      child.graceMs = 60_000;
      const ready = await new Promise((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on("line", (line) => {
          let message;
          try {
            message = JSON.parse(line);
          } catch {
            return;
          }
          if (message.bench === "ready") resolve(message);
          if (message.bench === "error") reject(new Error(`platform subgraphs failed: ${message.message}`));
        });
        child.once("exit", (code) => reject(new Error(`platform subgraphs exited (${code}):\n${child.stderrTail}`)));
        setTimeout(() => reject(new Error("platform subgraphs did not start in 180 s")), 180_000).unref();
      });
      const urls = ready.subgraphUrls;
      // The committed supergraph, routed to this run's subgraphs.
      const sdl = readFileSync(join(ROOT, "supergraph.graphql"), "utf8").replace(/@join__graph\(name: "(\w+)", url: "[^"]*"\)/g, (all, name) => (urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : all));
      const supergraph = join(tmpDir, "platform.graphql");
      writeFileSync(supergraph, sdl);
      // PostgreSQL is not ours to pin: the SQL a gateway causes runs on its CPU too, so
      // contention there is not only other work, and no run is measured again for it.
      return { supergraph, queries: PLATFORM_QUERIES, identity: PLATFORM_IDENTITY, processes: [child], contentionIncludes: "PostgreSQL", statsUrls: [ready.statsUrl], fetchCounts: () => readFetchCounts([ready.statsUrl]) };
    },
  },
};
const RUN_ID = `bench${process.pid}`;

const SET_ORDER = (process.env.BENCH_SETS ?? "synthetic,platform").split(",").map((s) => s.trim()).filter(Boolean);
for (const id of SET_ORDER) if (!SETS[id]) throw new Error(`unknown subgraph set ${id}`);

function tokenFor(identity) {
  const r = spawnSync(process.execPath, [...tsx, join(BENCH, "lib/token.ts"), JWT_SECRET, identity.userId, identity.roles[0]], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not issue a token:\n${r.stderr}`);
  return r.stdout.trim();
}

/** One measured run of one query against a started gateway: figures, CPU, fetch counts, contention. */
async function measureRun({ url, query, body, headers, set, child, label, q }) {
  const countsBefore = await set.fetchCounts();
  const before = cpuMs(child.pid);
  const gatewayCpuBefore = CPUS ? cpuTicks(CPUS.gateway) : undefined;
  const startedUs = monotonicUs();
  const r = await load(url, query, DURATION, body, headers, set.statsUrls);
  const endedUs = monotonicUs();
  const cpu = cpuMs(child.pid) - before;
  const contention = CPUS ? gatewayCpuContention(gatewayCpuBefore, cpuTicks(CPUS.gateway), cpu, (endedUs - startedUs) / 1000) : undefined;
  const fetched = fetchesBetween(countsBefore, await set.fetchCounts());
  const bad = r.errors + r.timeouts + r.mismatches + r.non2xx;
  if (bad > 0) throw new Error(`${label} ${q}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.mismatches} body mismatches, ${r.non2xx} non-2xx under load`);
  if (r.requests === 0) throw new Error(`${label} ${q}: no response in ${DURATION} s`);
  // Too slow to answer inside the window: the whole run, in-flight requests' fetches included (an overestimate).
  const steady = r.fetchWindow?.responses > 0;
  if (!steady) log(`  ${label} ${q}: no response between ${FETCH_WINDOW.join(" and ")} of the run; fetches per request over the whole run (overstated)`);
  return {
    rps: r.rps,
    p50Ms: r.p50,
    p99Ms: r.p99,
    requests: r.requests,
    cpuMsPerRequest: cpu / r.requests,
    peakRssMb: peakRssMb(child.pid),
    // Steady state: fetches and responses in the same window of the run.
    fetchesPerRequest: steady ? r.fetchWindow.fetches / r.fetchWindow.responses : fetched.total / r.requests,
    fetchesPerRequestBySubgraph: Object.fromEntries(Object.entries(steady ? r.fetchWindow.bySubgraph : fetched.bySubgraph).map(([name, n]) => [name, n / (steady ? r.fetchWindow.responses : r.requests)])),
    fetchesCountedOver: steady ? "window" : "whole run",
    fetchWindow: r.fetchWindow,
    // The whole run, requests still in flight at its end included.
    fetchesWholeRun: fetched.total,
    gatewayCpuContention: contention,
    startedUs,
    endedUs,
  };
}

/** Every gateway, alternated per round, on one subgraph set; returns the measured rows and the response sizes. */
async function measureSet(setId, set) {
  const queries = Object.fromEntries(Object.entries(set.queries).filter(([q]) => !process.env.BENCH_QUERIES || process.env.BENCH_QUERIES.split(",").includes(q)));
  const setEnv = set.identity ? { BENCH_IDENTITY: JSON.stringify(set.identity) } : {};
  const token = set.identity ? tokenFor(set.identity) : undefined;
  const reference = {}; // query -> response from the first gateway
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Every other round in reverse (A B C, C B A, ...): no gateway always runs first, or always after the same one.
    for (const id of round % 2 ? ORDER : [...ORDER].reverse()) {
      const gw = GATEWAYS[id];
      // Only our router verifies the caller's token; the peers forward the set's identity as configured.
      const headers = token && id.startsWith("router") ? { authorization: `Bearer ${token}` } : {};
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/graphql`;
      log(`${setId} round ${round}: starting ${gw.label}`);
      const child = await gw.start(set.supergraph, port, setEnv);
      try {
        await waitReady(url, child);
        // Identical, error-free responses, or no numbers at all.
        const bodies = {};
        const alone = {}; // query -> subgraph fetches of one request on its own
        for (const [q, query] of Object.entries(queries)) {
          const countsBefore = await set.fetchCounts();
          const r = await post(url, query, headers);
          alone[q] = fetchesBetween(countsBefore, await set.fetchCounts());
          let parsed;
          try {
            parsed = JSON.parse(r.text);
          } catch {
            throw new Error(`${gw.label} ${q}: not JSON (HTTP ${r.status}): ${r.text.slice(0, 500)}`);
          }
          if (r.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${gw.label} ${q}: HTTP ${r.status} with errors: ${r.text.slice(0, 1000)}`);
          if (alone[q].refused > 0) throw new Error(`${gw.label} ${q}: the subgraphs refused ${alone[q].refused} of its fetches`);
          if (!reference[q]) reference[q] = { by: gw.label, text: JSON.stringify(parsed), bytes: r.text.length };
          else if (JSON.stringify(parsed) !== reference[q].text) {
            writeFileSync(join(tmp, `${setId}-${id}-${q}.json`), r.text);
            throw new Error(`${gw.label} ${q}: response differs from ${reference[q].by}'s (saved in ${tmp})`);
          }
          bodies[q] = r.text;
        }
        for (const [q, query] of Object.entries(queries)) {
          const countsBeforeWarmup = await set.fetchCounts();
          if (WARMUP > 0) await load(url, query, WARMUP, bodies[q], headers);
          // A run during which other processes took much of the gateway's CPU is measured again (the machine is shared).
          let row;
          for (let attempt = 1; attempt <= 1 + RETRIES; attempt++) {
            const measured = await measureRun({ url, query, body: bodies[q], headers, set, child, label: gw.label, q });
            const refused = fetchesBetween(countsBeforeWarmup, await set.fetchCounts()).refused;
            if (refused > 0) throw new Error(`${gw.label} ${q}: the subgraphs refused ${refused} fetches (signature or replay)`);
            const candidate = { set: setId, round, gateway: id, query: q, ...measured, refusedFetches: refused, attempt };
            // Keep the least disturbed attempt.
            if (!row || (candidate.gatewayCpuContention?.othersPct ?? 0) < (row.gatewayCpuContention?.othersPct ?? 0)) row = candidate;
            const others = candidate.gatewayCpuContention?.othersPct;
            const line = `  ${id.padEnd(18)} ${q.padEnd(7)} ${candidate.rps.toFixed(0).padStart(6)} rps  p50 ${candidate.p50Ms} ms  p99 ${candidate.p99Ms} ms  cpu ${candidate.cpuMsPerRequest.toFixed(3)} ms/req  rss ${candidate.peakRssMb.toFixed(0)} MB  fetches/req ${candidate.fetchesPerRequest.toFixed(2)} (alone ${alone[q].total})${others === undefined ? "" : `  others on gateway CPU ${others.toFixed(0)}%`}`;
            if (others === undefined || others <= MAX_CONTENTION_PCT || set.contentionIncludes) {
              log(line);
              break;
            }
            log(`${line}: over ${MAX_CONTENTION_PCT}%${attempt <= RETRIES ? ", measured again" : ", kept the least disturbed attempt"}`);
          }
          row.fetchesPerRequestAlone = alone[q].total;
          runs.push(row);
          if (PROFILE_DIR) profileWindows.push({ pid: child.pid, set: setId, round, gateway: id, query: q, startedUs: row.startedUs, endedUs: row.endedUs, cpuMsPerRequest: row.cpuMsPerRequest, rps: row.rps });
        }
      } finally {
        await stop(child);
      }
    }
  }
  const responses = Object.fromEntries(Object.entries(reference).map(([q, r]) => [q, { bytes: r.bytes, identicalAcross: ORDER }]));
  // Fetches of one request on its own, per gateway: the plan as each gateway runs it.
  for (const [q, r] of Object.entries(responses)) r.fetchesAlone = Object.fromEntries(ORDER.map((g) => [g, runs.find((x) => x.query === q && x.gateway === g)?.fetchesPerRequestAlone]));
  return { runs, responses, queries };
}

function summarize(setId, runs, queries) {
  const summary = [];
  for (const q of Object.keys(queries))
    for (const g of ORDER) {
      const rs = runs.filter((r) => r.query === q && r.gateway === g);
      if (rs.length === 0) continue;
      summary.push({
        set: setId,
        query: q,
        gateway: g,
        rps: median(rs.map((r) => r.rps)),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
        cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
        peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)),
        fetchesPerRequestAlone: median(rs.map((r) => r.fetchesPerRequestAlone)),
        fetchesPerRequest: median(rs.map((r) => r.fetchesPerRequest)),
        ...(rs.some((r) => r.fetchesCountedOver !== "window") ? { fetchesOverstated: true } : {}),
      });
    }
  const find = (q, g) => summary.find((s) => s.query === q && s.gateway === g);
  for (const s of summary) {
    const hive = find(s.query, "hive");
    const apollo = find(s.query, "apollo");
    s.rpsVsHive = hive ? s.rps / hive.rps : null;
    s.rpsVsApollo = apollo ? s.rps / apollo.rps : null;
    s.cpuVsHive = hive ? s.cpuMsPerRequest / hive.cpuMsPerRequest : null;
    s.cpuVsApollo = apollo ? s.cpuMsPerRequest / apollo.cpuMsPerRequest : null;
  }
  return summary;
}

// ---------------------------------------------------------------- main
// BENCH_RENDER=results/throughput-<date>.json: rewrite the README section from a run's results, measuring nothing.
if (process.env.BENCH_RENDER) {
  const file = join(BENCH, process.env.BENCH_RENDER);
  const run = JSON.parse(readFileSync(file, "utf8"));
  writeReadmeSection("throughput", throughputSection({ ...run, resultFile: relative(BENCH, file) }));
  log(`rewrote bench/README.md's throughput section from ${file}`);
  process.exit(0);
}
const tmp = mkdtempSync(join(os.tmpdir(), "store-bench-"));
const started = new Date();
try {
  log(`machine: ${NCPU} CPUs, pinning: ${CPUS ? JSON.stringify(CPUS) : "none (no taskset or 1 CPU)"}`);
  const sets = {};
  for (const setId of SET_ORDER) {
    const set = SETS[setId];
    log(`subgraph set ${setId}: ${set.label}`);
    const started = await set.start(tmp);
    try {
      const { runs, responses, queries } = await measureSet(setId, started);
      sets[setId] = { label: set.label, queries, responses, summary: summarize(setId, runs, queries), runs, ...(started.contentionIncludes ? { contentionIncludes: started.contentionIncludes } : {}) };
    } finally {
      await Promise.all(started.processes.map(stop));
    }
  }

  // ---------------------------------------------------------------- report
  const date = started.toISOString().slice(0, 10);
  mkdirSync(join(BENCH, "results"), { recursive: true });
  if (PROFILE_DIR) {
    // --cpu-prof writes the profile when the router exits: one per router process.
    const profiles = [];
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (tsx's loader has a thread of its own).
    for (const file of readdirSync(PROFILE_DIR).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))) {
      const pid = Number(/\.(\d+)\.0\.\d+\.cpuprofile$/.exec(file)?.[1]);
      const windows = profileWindows.filter((w) => w.pid === pid);
      log(`profile ${file} (${windows[0] ? `${windows[0].set} ${windows[0].gateway}` : "no measured run"}): self time by function, whole process`);
      const top = summarizeProfile(join(PROFILE_DIR, file), ROOT);
      console.table(top.map((r) => ({ ...r, selfPct: r.selfPct.toFixed(1), selfMs: r.selfMs.toFixed(0) })));
      const shares = windows.length ? edgeShares(join(PROFILE_DIR, file), windows) : [];
      if (shares.length) {
        log("share of the router's busy samples in each measured run, by edge feature");
        console.table(shares.map((w) => ({ set: w.set, gateway: w.gateway, round: w.round, query: w.query, samples: w.busySamples, ...Object.fromEntries(Object.entries(w.sharePct).map(([k, v]) => [k, `${v.toFixed(2)}%`])) })));
      }
      profiles.push({ file, pid, top, runs: shares });
    }
    const profileFile = join(BENCH, "results", `throughput-profile-${date}.json`);
    writeFileSync(profileFile, JSON.stringify({ date: started.toISOString(), intervalUs: PROFILE_INTERVAL_US, settings: { durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, rounds: ROUNDS, order: ORDER }, profiles }, null, 2) + "\n");
    if (process.env.BENCH_KEEP_PROFILES === "1") log(`profiles kept in ${PROFILE_DIR}`);
    else rmSync(PROFILE_DIR, { recursive: true, force: true });
    log(`wrote ${profileFile}`);
  } else {
    const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "?";
    const rootModules = join(ROOT, "node_modules");
    const machine = { nproc: NCPU, cpuModel, node: process.version, os: `${os.type()} ${os.release()}`, pinning: CPUS, clkTck: CLK_TCK };
    const versions = {
      "@graphql-hive/gateway": version(join(BENCH, "node_modules/@graphql-hive/gateway")),
      "@apollo/gateway": version(join(rootModules, "@apollo/gateway")),
      "@apollo/server": version(join(rootModules, "@apollo/server")),
      autocannon: version(join(BENCH, "node_modules/autocannon")),
      graphql: version(join(rootModules, "graphql")),
      undici: version(join(rootModules, "undici")),
    };
    const settings = { durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, rounds: ROUNDS, order: ORDER, nodeFlags: NODE_FLAGS, routerEnv: ROUTER_BENCH_ENV, maxContentionPct: MAX_CONTENTION_PCT, retries: RETRIES };
    const resultFile = join(BENCH, "results", `${OUTPUT}-${date}.json`);
    writeFileSync(resultFile, JSON.stringify({ date: started.toISOString(), machine, versions, settings, sets }, null, 2) + "\n");
    if (OUTPUT === "throughput") {
      writeReadmeSection("throughput", throughputSection({ date: started.toISOString(), machine, versions, settings, sets, resultFile: `results/throughput-${date}.json` }));
      log(`wrote ${resultFile} and bench/README.md`);
    } else log(`wrote ${resultFile}`);
    for (const [id, s] of Object.entries(sets)) console.log(`\n${id}\n${table(s.summary)}\n\n${edgeTable(s.summary)}\n\n${tracingTable(s.summary)}`);
  }
} catch (error) {
  console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map(stop));
  await otlpSink.close();
  rmSync(tmp, { recursive: true, force: true });
  await dropLeftoverDatabases();
}

/** Belt and braces: drops any database of this run that a killed subgraph process left behind. */
async function dropLeftoverDatabases() {
  if (!SET_ORDER.includes("platform")) return;
  try {
    for (const datname of await dropRunDatabases(RUN_ID)) log(`dropped leftover database ${datname}`);
  } catch (error) {
    console.error(`could not check for leftover databases: ${error}`);
  }
}

function table(summary) {
  const label = Object.fromEntries(Object.entries(GATEWAYS).map(([id, g]) => [id, g.label]));
  const x = (v) => (v == null ? "–" : `${v.toFixed(2)}x`);
  const lines = [
    "| query | gateway | RPS | p50 ms | p99 ms | CPU ms/req | peak RSS MB | fetches/req alone | fetches/req under load | RPS vs Hive | RPS vs Apollo | CPU/req vs Hive | CPU/req vs Apollo |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summary)
    lines.push(`| ${s.query} | ${label[s.gateway]} | ${s.rps.toFixed(0)} | ${s.p50Ms} | ${s.p99Ms} | ${s.cpuMsPerRequest.toFixed(3)} | ${s.peakRssMb.toFixed(0)} | ${s.fetchesPerRequestAlone} | ${s.fetchesPerRequest.toFixed(2)}${s.fetchesOverstated ? " *" : ""} | ${x(s.rpsVsHive)} | ${x(s.rpsVsApollo)} | ${x(s.cpuVsHive)} | ${x(s.cpuVsApollo)} |`);
  return lines.join("\n");
}

/** Our router with and without its rate limiter: what counting every client's operations costs. */
function edgeTable(summary) {
  const find = (q, g) => summary.find((s) => s.query === q && s.gateway === g);
  const lines = [
    "| query | CPU ms/req, rate limits on | off | difference | RPS on | RPS off |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const q of [...new Set(summary.map((s) => s.query))]) {
    const on = find(q, "router");
    const off = find(q, "router-noratelimit");
    if (!on || !off) continue;
    const delta = (on.cpuMsPerRequest - off.cpuMsPerRequest) / on.cpuMsPerRequest;
    lines.push(`| ${q} | ${on.cpuMsPerRequest.toFixed(3)} | ${off.cpuMsPerRequest.toFixed(3)} | ${delta >= 0 ? "+" : ""}${(100 * delta).toFixed(1)}% | ${on.rps.toFixed(0)} | ${off.rps.toFixed(0)} |`);
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

/** Our router with tracing off (no exporter configured), sampling 1% and 100% to an OTLP sink. */
function tracingTable(summary) {
  const find = (q, g) => summary.find((s) => s.query === q && s.gateway === g);
  const pct = (on, off) => { const d = (on - off) / off; return `${d >= 0 ? "+" : ""}${(100 * d).toFixed(1)}%`; };
  const lines = [
    "| query | CPU ms/req, tracing off | 1% | 100% | 1% vs off | 100% vs off | RPS off | RPS 1% | RPS 100% |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const q of [...new Set(summary.map((s) => s.query))]) {
    const off = find(q, "router");
    const one = find(q, "router-trace1");
    const all = find(q, "router-trace100");
    if (!off || !one || !all) continue;
    lines.push(`| ${q} | ${off.cpuMsPerRequest.toFixed(3)} | ${one.cpuMsPerRequest.toFixed(3)} | ${all.cpuMsPerRequest.toFixed(3)} | ${pct(one.cpuMsPerRequest, off.cpuMsPerRequest)} | ${pct(all.cpuMsPerRequest, off.cpuMsPerRequest)} | ${off.rps.toFixed(0)} | ${one.rps.toFixed(0)} | ${all.rps.toFixed(0)} |`);
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

function throughputSection({ date, machine, versions, settings, sets, resultFile }) {
  const pct = (xs) => `median ${median(xs).toFixed(0)}%, max ${Math.max(...xs).toFixed(0)}%`;
  const loads = Object.entries(sets)
    .map(([id, s]) => {
      const contention = s.runs.map((r) => r.gatewayCpuContention).filter(Boolean);
      if (!contention.length) return undefined;
      return `${id}: ${pct(contention.map((c) => c.othersPct))}${s.contentionIncludes ? ` (${s.contentionIncludes} included)` : ""}, steal ${pct(contention.map((c) => c.stealPct))}`;
    })
    .filter(Boolean);
  const machineLoad = loads.length
    ? `share of each measured run's wall time that other processes ran on the gateway's CPU: ${loads.join("; ")} (per run in the JSON). A synthetic run over ${settings.maxContentionPct}% was measured again, up to ${settings.retries} times, and the least disturbed attempt kept`
    : "not measured (no pinning)";
  const tables = Object.entries(sets)
    .map(([id, s]) => {
      const edge = edgeTable(s.summary);
      const tracing = tracingTable(s.summary);
      return [
        `### ${id}: ${s.label}`,
        table(s.summary),
        `Response sizes: ${Object.entries(s.responses).map(([q, r]) => `${q} ${r.bytes} B`).join(", ")}.` +
          (s.summary.some((r) => r.fetchesOverstated) ? " \\* no response inside the counting window of a run: fetches counted over the whole run, in-flight requests' included (overstated)." : ""),
        ...(edge
          ? [
              `Our router with rate limits on (budget raised, never reached) and off (\`ROUTER_RATE_LIMIT=false\`), medians as above. Two processes of one build differ by more than the limiter costs (see "What the edge features cost"): read the difference as noise unless it repeats.`,
              edge,
            ]
          : []),
        ...(tracing
          ? [
              `Tracing's cost in our router: no exporter configured (off), and OTLP/HTTP export to a sink with \`OTEL_TRACES_SAMPLER=parentbased_traceidratio\` at 1% and 100% (\`OTEL_TRACES_SAMPLER_ARG\` 0.01 and 1), medians as above.`,
              tracing,
            ]
          : []),
      ].join("\n\n");
    })
    .join("\n\n");
  return `## Query throughput

Generated by \`npm run bench:throughput\` (bench/run.mjs). Last run: ${date}; raw figures in [\`${resultFile}\`](${resultFile}).

${tables}

Each figure is the median over ${settings.rounds} rounds (gateways in the order ${settings.order.join(" ")}, reversed every other round);
peak RSS is the largest VmHWM seen. Ratios are this row's gateway against Hive Gateway / stock
\`@apollo/gateway\` on the same query (RPS: higher is better; CPU per request: lower is better).
**Fetches/req**: HTTP requests the subgraphs received, divided by the requests the gateway answered: for one
request on its own (the plan as the gateway runs it), and under load, between ${FETCH_WINDOW[0] * settings.durationS} s and
${FETCH_WINDOW[1] * settings.durationS} s of each measured run (fewer than alone: identical fetches in flight were shared).

- **Machine**: ${machine.nproc} CPUs, ${machine.cpuModel}, ${machine.os}, Node ${machine.node}
- **Machine load** (the machine is shared): ${machineLoad}
- **Pinning**: ${machine.pinning ? `gateway on CPU ${machine.pinning.gateway}, autocannon on CPU ${machine.pinning.load}, subgraphs on CPU ${machine.pinning.subgraphs} (taskset)` : "none"}
- **Versions**: ${Object.entries(versions).map(([k, v]) => `\`${k}\` ${v}`).join(", ")}; our router from this commit
- **Node flags** (every gateway alike): \`${settings.nodeFlags}\`; \`NODE_ENV=production\` for every gateway
- **Our router's settings**: defaults, except ${Object.entries(settings.routerEnv).map(([k, v]) => `\`${k}=${v}\``).join(" and ")} (one client sends all the load; the synthetic deep query costs 11105)
- **Signing** (every gateway alike): each HTTP request sent to a subgraph is signed once, over its body, with a fresh nonce;
  requests a gateway shares among identical fetches are sent, and signed, once. Every subgraph refuses a replayed signature.
- **Load**: autocannon, ${settings.connections} connections, ${settings.warmupS} s warm-up then ${settings.durationS} s measured per gateway × query × round, loopback only
- **Checks**: before measuring, every gateway's response to every query must be error-free and identical; under load, every
  response must be byte-identical to the one checked (autocannon \`expectBody\`), with no errors, timeouts or non-2xx, and
  the subgraphs must have refused no fetch (signature or replay).
- **CPU ms/request**: utime+stime of the gateway process from \`/proc/<pid>/stat\` over the measured run, divided by the
  requests completed. **Peak RSS**: \`VmHWM\` from \`/proc/<pid>/status\`.`;
}
