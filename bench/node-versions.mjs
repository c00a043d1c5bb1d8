#!/usr/bin/env node
// Our router on several Node versions, side by side: `node bench/node-versions.mjs`.
//
// The same small load as bench:throughput's synthetic shallow query: four
// synthetic subgraphs (bench/subgraphs/serve.ts, composed by
// bench/subgraphs/compose.ts), our router in front (router/src/main.ts through
// tsx, as `npm run start:router` runs it), and a fixed number of requests at a
// fixed concurrency (bench/lib/fixed-load.mjs), bounded in count and in time.
// Only the router's Node changes: the machine's, and each version in
// BENCH_NODE_VERSIONS, installed from the npm registry's Node binary package
// (node-<platform>-<arch>) into bench/.node-versions/<version>/, outside the
// root install. The subgraphs and the load run on the machine's Node, off the
// router's CPU where taskset exists. Versions alternate in order every round.
//
// Env: BENCH_NODE_VERSIONS (default "22,24": majors or exact versions),
// BENCH_REQUESTS (per measured run, default 20000), BENCH_WARMUP_REQUESTS
// (default 3000), BENCH_CONNECTIONS (default 32), BENCH_MAX_SECONDS (per run,
// default 30), BENCH_ROUNDS (default 3), BENCH_MAX_CONTENTION_PCT (default
// 25) and BENCH_RETRIES (default 2): a run during which other processes took
// more of the router's CPU is measured again, the least disturbed one kept.
// Writes results/node-versions-<date>.json. Exit codes: 0 done, 1 a run
// failed, 2 global timeout, 64 bad settings or no /proc, 69 a Node version
// could not be installed, 130/143 interrupted.
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SYNTHETIC_QUERIES } from "./lib/queries.mjs";
import { BENCH, ROOT, cpuMs, createCleanup, freePort, isoDate, machineInfo, makeLog, resultsDir } from "./platform/child.mjs";

const log = makeLog("node-versions");
function usage(message) {
  console.error(`node-versions: ${message}`);
  process.exit(64);
}
const whole = (name, dflt, min = 1) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) usage(`${name}=${raw} must be a whole number >= ${min}`);
  return value;
};
const REQUESTS = whole("BENCH_REQUESTS", 20_000);
const WARMUP_REQUESTS = whole("BENCH_WARMUP_REQUESTS", 3_000, 0);
const CONNECTIONS = whole("BENCH_CONNECTIONS", 32);
const MAX_SECONDS = whole("BENCH_MAX_SECONDS", 30);
const ROUNDS = whole("BENCH_ROUNDS", 3);
// A run during which other work took more of the router's CPU is measured again (the machine may be shared).
const MAX_CONTENTION_PCT = whole("BENCH_MAX_CONTENTION_PCT", 25, 0);
const RETRIES = whole("BENCH_RETRIES", 2, 0);
const VERSIONS = (process.env.BENCH_NODE_VERSIONS ?? "22,24").split(",").map((v) => v.trim()).filter(Boolean);
for (const v of VERSIONS) if (!/^\d+(\.\d+){0,2}$/.test(v)) usage(`BENCH_NODE_VERSIONS: "${v}" is not a Node version (22, 22.12 or 22.12.0)`);
if (process.platform !== "linux") usage("CPU per request is read from /proc: Linux only");

const QUERY = SYNTHETIC_QUERIES.shallow;
const CACHE = join(BENCH, ".node-versions");
const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;
// The router's flags and budgets as in bench:throughput (bench/run.mjs), so the figures compare.
const NODE_FLAGS = "--max-semi-space-size=32";
const ROUTER_BENCH_ENV = { RATE_LIMIT_QUERY_POINTS: "100000000", ROUTER_MAX_COST: "1000000" };
const SECRET = randomBytes(32).toString("hex");
const JWT_SECRET = randomBytes(32).toString("hex");
const tsx = ["--import", "tsx"];

// ---------------------------------------------------------------- Node binaries
const versionOf = (bin) => spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "";
const matches = (actual, wanted) => actual === `v${wanted}` || actual.startsWith(`v${wanted}.`);

/** The Node binary for `wanted`, installed once into bench/.node-versions/<wanted>/ from the npm registry. */
function nodeBinary(wanted) {
  const dir = join(CACHE, wanted);
  const bin = join(dir, "node_modules", NODE_PACKAGE, "bin", "node");
  if (!existsSync(bin) || !matches(versionOf(bin), wanted)) {
    log(`installing ${NODE_PACKAGE}@${wanted} into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // A project of its own: npm must not walk up to the repository's package.json.
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true, description: "A Node binary for bench/node-versions.mjs" })}\n`);
    const r = spawnSync("npm", ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `${NODE_PACKAGE}@${wanted}`], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0 || !existsSync(bin)) {
      rmSync(dir, { recursive: true, force: true });
      console.error(`node-versions: could not install ${NODE_PACKAGE}@${wanted} from the npm registry`);
      process.exit(69);
    }
  }
  const version = versionOf(bin);
  if (!matches(version, wanted)) {
    console.error(`node-versions: ${bin} is ${version || "not runnable"}, not ${wanted}`);
    process.exit(69);
  }
  return { version, bin, source: `npm ${NODE_PACKAGE}@${version.slice(1)}` };
}

const nodes = [{ version: process.version, bin: process.execPath, source: "the machine's" }];
for (const wanted of VERSIONS) {
  if (nodes.some((n) => matches(n.version, wanted))) continue;
  nodes.push(nodeBinary(wanted));
}

// ---------------------------------------------------------------- processes
const cleanup = createCleanup(log);
const children = new Set();
cleanup.add("stop every process", () => Promise.all([...children].map((c) => stop(c))));
const disarm = cleanup.guard(ROUNDS * nodes.length * ((2 + RETRIES) * MAX_SECONDS + 120) + 300);

const NCPU = os.availableParallelism();
// The router alone on CPU 0; the subgraphs and the load on CPU 1.
const PIN = spawnSync("taskset", ["-V"]).status === 0 && NCPU >= 2 ? { router: "0", others: "1" } : null;
function launch(label, cpus, cmd, args, opts = {}) {
  const [c, a] = PIN ? ["taskset", ["-c", cpus, cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], ...opts });
  child.label = label;
  child.stderrTail = "";
  child.stderr.on("data", (d) => (child.stderrTail = (child.stderrTail + d).slice(-4000)));
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
function firstLine(child, what) {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}):\n${child.stderrTail}`)));
    setTimeout(() => reject(new Error(`${what} did not start in 120 s`)), 120_000).unref();
  });
}
/** Runs a child to its end and parses the last line of its stdout as JSON. */
function runForJson(child, what) {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1))) : reject(new Error(`${what} failed (${code}):\n${child.stderrTail}`))));
  });
}

// ---------------------------------------------------------------- /proc
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
/** Busy ticks of one CPU, to tell how much of the router's CPU other work took. */
function busyTicks(cpu) {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${cpu} `));
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq;
}
const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

// ---------------------------------------------------------------- router
async function post(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
}
async function startRouter(node, supergraph) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = performance.now();
  const child = launch(`router on ${node.version}`, PIN?.router, node.bin, [...tsx, "router/src/main.ts"], {
    // Nothing reads its stdout: a full pipe would stall it.
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, NODE_FLAGS].filter(Boolean).join(" "),
      SUPERGRAPH_PATH: supergraph,
      PORT: String(port),
      HOST: "127.0.0.1",
      METRICS_PORT: String(await freePort()),
      ROUTER_SIGNING_SECRET: SECRET,
      JWT_SECRET,
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      ...ROUTER_BENCH_ENV,
    },
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${child.label} exited (${child.exitCode}) before it was ready:\n${child.stderrTail}`);
    if (Date.now() > deadline) throw new Error(`${child.label} not ready after 120 s:\n${child.stderrTail}`);
    const ready = await post(url, JSON.stringify({ query: "{ __typename }" })).then((r) => r.status === 200, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, readyMs: Math.round(performance.now() - started) };
}
function load(url, body, requests, expectBody) {
  const options = { url, body, connections: CONNECTIONS, requests, maxSeconds: MAX_SECONDS, expectBody };
  return runForJson(launch("load", PIN?.others, process.execPath, [join(BENCH, "lib/fixed-load.mjs"), JSON.stringify(options)]), "load");
}

/** One measured run against a started router: throughput, latency, the router's CPU, and how much of its CPU others took. */
async function measuredRun(child, url, body, expectBody) {
  const cpuBefore = cpuMs(child.pid);
  const busyBefore = PIN ? busyTicks(PIN.router) : 0;
  const wallStart = performance.now();
  const r = await load(url, body, REQUESTS, expectBody);
  const wallMs = performance.now() - wallStart;
  const routerCpuMs = cpuMs(child.pid) - cpuBefore;
  const failures = r.non200 + r.mismatches + r.errors;
  if (failures > 0) throw new Error(`${child.label}: ${r.non200} non-200, ${r.mismatches} different bodies, ${r.errors} errors under load (first: ${r.firstProblem})`);
  if (r.responses === 0) throw new Error(`${child.label}: no response in ${MAX_SECONDS} s`);
  return {
    responses: r.responses,
    stoppedByTime: r.stoppedByTime,
    seconds: r.seconds,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    routerCpuMs,
    cpuMsPerRequest: routerCpuMs / r.responses,
    // Its busy time that was not the router's, as % of the run's wall time.
    othersOnRouterCpuPct: PIN ? Math.max(0, (100 * (((busyTicks(PIN.router) - busyBefore) * 1000) / CLK_TCK - routerCpuMs)) / wallMs) : undefined,
  };
}

/**
 * One router process on one Node: checked answer, warm-up, then a measured
 * run, measured again (up to BENCH_RETRIES times) while other work took more
 * than BENCH_MAX_CONTENTION_PCT of the router's CPU; the least disturbed counts.
 */
async function measure(node, supergraph, round, reference) {
  const { child, url, readyMs } = await startRouter(node, supergraph);
  try {
    const body = JSON.stringify({ query: QUERY });
    const first = await post(url, body);
    const parsed = JSON.parse(first.text);
    if (first.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${child.label}: HTTP ${first.status}: ${first.text.slice(0, 500)}`);
    // Every Node must answer exactly what the first one did.
    reference.text ??= first.text;
    if (first.text !== reference.text) throw new Error(`${child.label} answers differently:\n${first.text.slice(0, 500)}\nvs\n${reference.text.slice(0, 500)}`);
    if (WARMUP_REQUESTS > 0) await load(url, body, WARMUP_REQUESTS, first.text);
    let best;
    for (let attempt = 1; attempt <= 1 + RETRIES; attempt++) {
      const run = { node: node.version, round, attempt, readyMs, ...(await measuredRun(child, url, body, first.text)) };
      if (!best || (run.othersOnRouterCpuPct ?? 0) < (best.othersOnRouterCpuPct ?? 0)) best = run;
      const others = run.othersOnRouterCpuPct;
      const disturbed = others !== undefined && others > MAX_CONTENTION_PCT;
      log(
        `  ${node.version.padEnd(9)} ${run.rps.toFixed(0).padStart(6)} rps  cpu ${run.cpuMsPerRequest.toFixed(3)} ms/req  p50 ${run.p50Ms} ms  p99 ${run.p99Ms} ms  ready in ${readyMs} ms` +
          `${others === undefined ? "" : `  others on router CPU ${others.toFixed(0)}%`}${disturbed ? (attempt <= RETRIES ? ": measured again" : ": kept the least disturbed attempt") : ""}`,
      );
      if (!disturbed) break;
    }
    return { ...best, peakRssMb: peakRssMb(child.pid) };
  } finally {
    await stop(child);
  }
}

// ---------------------------------------------------------------- main
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const tmp = mkdtempSync(join(os.tmpdir(), "store-bench-nodes-"));
cleanup.add("remove the temporary folder", () => rmSync(tmp, { recursive: true, force: true }));
const started = new Date();
const loadBefore = os.loadavg();
try {
  log(`nodes: ${nodes.map((n) => `${n.version} (${n.source})`).join(", ")}; pinning: ${PIN ? JSON.stringify(PIN) : "none"}`);
  const subgraphs = await Promise.all(
    ["products", "reviews", "users", "inventory"].map(async (name) => {
      const child = launch(`subgraph ${name}`, PIN?.others, process.execPath, [...tsx, join(BENCH, "subgraphs/serve.ts"), name], { env: { ...process.env, ROUTER_SIGNING_SECRET: SECRET } });
      return JSON.parse(await firstLine(child, `subgraph ${name}`));
    }),
  );
  const supergraph = join(tmp, "synthetic.graphql");
  const urls = Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
  const composed = spawnSync(process.execPath, [...tsx, join(BENCH, "subgraphs/compose.ts"), supergraph, JSON.stringify(urls)], { cwd: ROOT, encoding: "utf8" });
  if (composed.status !== 0) throw new Error(`composition failed:\n${composed.stderr}`);

  const reference = {};
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS}`);
    for (const node of round % 2 ? nodes : [...nodes].reverse()) runs.push(await measure(node, supergraph, round, reference));
  }
  const summary = nodes.map((node) => {
    const rs = runs.filter((r) => r.node === node.version);
    return {
      node: node.version,
      source: node.source,
      rps: median(rs.map((r) => r.rps)),
      cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)),
      readyMs: median(rs.map((r) => r.readyMs)),
      othersOnRouterCpuPct: PIN ? median(rs.map((r) => r.othersOnRouterCpuPct)) : null,
    };
  });
  const base = summary[0];
  for (const s of summary) {
    s.rpsVsMachine = s.rps / base.rps;
    s.cpuVsMachine = s.cpuMsPerRequest / base.cpuMsPerRequest;
  }

  const settings = { query: "synthetic shallow", requests: REQUESTS, warmupRequests: WARMUP_REQUESTS, connections: CONNECTIONS, maxSeconds: MAX_SECONDS, rounds: ROUNDS, maxContentionPct: MAX_CONTENTION_PCT, retries: RETRIES, nodeFlags: NODE_FLAGS, routerEnv: ROUTER_BENCH_ENV, pinning: PIN };
  const machine = { ...machineInfo(), nproc: NCPU, os: `${os.type()} ${os.release()}`, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() };
  mkdirSync(resultsDir(), { recursive: true });
  const file = join(resultsDir(), `node-versions-${isoDate(started)}.json`);
  writeFileSync(file, `${JSON.stringify({ date: started.toISOString(), machine, settings, nodes, summary, runs }, null, 2)}\n`);
  log(`wrote ${file}`);
  console.log(
    [
      `\nOur router, synthetic shallow query: ${REQUESTS} requests at ${CONNECTIONS} connections, medians of ${ROUNDS} rounds`,
      "| Node | RPS | CPU ms/req | p50 ms | p99 ms | peak RSS MB | RPS vs machine's | CPU/req vs machine's | others on router CPU |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...summary.map((s) => `| ${s.node} (${s.source}) | ${s.rps.toFixed(0)} | ${s.cpuMsPerRequest.toFixed(3)} | ${s.p50Ms} | ${s.p99Ms} | ${s.peakRssMb.toFixed(0)} | ${s.rpsVsMachine.toFixed(2)}x | ${s.cpuVsMachine.toFixed(2)}x | ${s.othersOnRouterCpuPct === null ? "–" : `${s.othersOnRouterCpuPct.toFixed(0)}%`} |`),
    ].join("\n"),
  );
} catch (error) {
  // Interrupted: the cleanup that stopped the processes made this run fail; say nothing more.
  if (!cleanup.aborted()) console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  disarm();
  await cleanup.cleanup();
}
