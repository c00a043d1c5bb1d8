#!/usr/bin/env node
// Query-throughput benchmark: our router vs Hive Gateway vs stock @apollo/gateway
// on a synthetic in-memory supergraph. `npm run bench` (from the repo root).
//
// Env: BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (s, default 3),
// BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (A B C rounds, default 2),
// BENCH_GATEWAYS (comma list of router,hive,apollo; default all).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { QUERIES as ALL_QUERIES } from "./lib/queries.mjs";
import { summarizeProfile } from "./lib/profile.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const DURATION = num("BENCH_DURATION", 10);
const WARMUP = num("BENCH_WARMUP", 3);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const ROUNDS = num("BENCH_ROUNDS", 2);
// BENCH_QUERIES: comma list of query names (default all).
const QUERIES = Object.fromEntries(Object.entries(ALL_QUERIES).filter(([q]) => !process.env.BENCH_QUERIES || process.env.BENCH_QUERIES.split(",").includes(q)));
// BENCH_PROFILE=1: run our router under --cpu-prof and print where its time went (no results written).
const PROFILE_DIR = process.env.BENCH_PROFILE === "1" ? join(BENCH, "profiles") : undefined;
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
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
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
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

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
async function post(url, query) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
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
const GATEWAYS = {
  router: { label: "our router", start: (sg, port) => startRouter("router", sg, port, {}) },
  "router-nodedupe": { label: "our router, no fetch dedupe", start: (sg, port) => startRouter("router-nodedupe", sg, port, { SUBGRAPH_DEDUPLICATE: "false" }) },
  hive: {
    label: "Hive Gateway",
    start: (sg, port) =>
      launch("hive", CPUS?.gateway, process.execPath, [join(BENCH, "node_modules/@graphql-hive/gateway/dist/bin.js"), "supergraph", sg, "--port", String(port), "--host", "127.0.0.1", "--config-path", join(BENCH, "gateways/hive.config.mjs")], {
        cwd: BENCH,
        env: { ...gatewayEnv(), ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production" },
      }),
  },
  apollo: { label: "stock @apollo/gateway", start: (sg, port) => launch("apollo", CPUS?.gateway, process.execPath, [join(BENCH, "gateways/apollo.mjs")], { cwd: ROOT, env: { ...gatewayEnv(), SUPERGRAPH_PATH: sg, PORT: String(port), ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production" } }) },
};
function startRouter(label, sg, port, extraEnv) {
  const args = [...tsx, ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []), "router/src/main.ts"];
  return launch(label, CPUS?.gateway, process.execPath, args, { cwd: ROOT, env: { ...gatewayEnv(), SUPERGRAPH_PATH: sg, PORT: String(port), HOST: "127.0.0.1", ROUTER_SIGNING_SECRET: SECRET, JWT_SECRET, LOG_LEVEL: "warn", NODE_ENV: "production", ...extraEnv } });
}
const ORDER = (process.env.BENCH_GATEWAYS ?? "router,router-nodedupe,hive,apollo").split(",").map((s) => s.trim()).filter(Boolean);
for (const g of ORDER) if (!GATEWAYS[g]) throw new Error(`unknown gateway ${g}`);

function load(url, query, duration, expectBody) {
  return new Promise((resolve, reject) => {
    const child = launch("autocannon", CPUS?.load, process.execPath, [join(BENCH, "lib/load.mjs"), JSON.stringify({ url, body: JSON.stringify({ query }), connections: CONNECTIONS, duration, expectBody })], { cwd: BENCH });
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

// ---------------------------------------------------------------- main
const tmp = mkdtempSync(join(os.tmpdir(), "store-bench-"));
const started = new Date();
try {
  log(`machine: ${NCPU} CPUs, pinning: ${CPUS ? JSON.stringify(CPUS) : "none (no taskset or 1 CPU)"}`);
  // Synthetic subgraphs, each in its own process.
  const sdlNames = ["products", "reviews", "users", "inventory"];
  const urls = Object.fromEntries(
    await Promise.all(
      sdlNames.map(async (name) => {
        const child = launch(`subgraph ${name}`, CPUS?.subgraphs, process.execPath, [...tsx, join(BENCH, "subgraphs/serve.ts"), name], { cwd: ROOT, env: { ...process.env, ROUTER_SIGNING_SECRET: SECRET } });
        const line = await new Promise((resolve, reject) => {
          const rl = createInterface({ input: child.stdout });
          rl.once("line", resolve);
          child.once("exit", (code) => reject(new Error(`subgraph ${name} exited (${code}):\n${child.stderrTail}`)));
          setTimeout(() => reject(new Error(`subgraph ${name} did not start in 60 s`)), 60_000).unref();
        });
        return [name, JSON.parse(line).url];
      }),
    ),
  );
  log("subgraphs:", urls);
  const supergraph = join(tmp, "supergraph.graphql");
  const composed = spawnSync(process.execPath, [...tsx, join(BENCH, "subgraphs/compose.ts"), supergraph, JSON.stringify(urls)], { cwd: ROOT, encoding: "utf8" });
  if (composed.status !== 0) throw new Error(`composition failed:\n${composed.stderr}`);

  const reference = {}; // query -> parsed response from the first gateway
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const id of ORDER) {
      const gw = GATEWAYS[id];
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/graphql`;
      log(`round ${round}: starting ${gw.label}`);
      const child = gw.start(supergraph, port);
      try {
        await waitReady(url, child);
        // Identical, error-free responses, or no numbers at all.
        const bodies = {};
        for (const [q, query] of Object.entries(QUERIES)) {
          const r = await post(url, query);
          let parsed;
          try {
            parsed = JSON.parse(r.text);
          } catch {
            throw new Error(`${gw.label} ${q}: not JSON (HTTP ${r.status}): ${r.text.slice(0, 500)}`);
          }
          if (r.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${gw.label} ${q}: HTTP ${r.status} with errors: ${r.text.slice(0, 1000)}`);
          if (!reference[q]) reference[q] = { by: gw.label, text: JSON.stringify(parsed), bytes: r.text.length };
          else if (JSON.stringify(parsed) !== reference[q].text) {
            writeFileSync(join(tmp, `${id}-${q}.json`), r.text);
            throw new Error(`${gw.label} ${q}: response differs from ${reference[q].by}'s (saved in ${tmp})`);
          }
          bodies[q] = r.text;
        }
        for (const [q, query] of Object.entries(QUERIES)) {
          if (WARMUP > 0) await load(url, query, WARMUP, bodies[q]);
          const before = cpuMs(child.pid);
          const r = await load(url, query, DURATION, bodies[q]);
          const cpu = cpuMs(child.pid) - before;
          const bad = r.errors + r.timeouts + r.mismatches + r.non2xx;
          if (bad > 0) throw new Error(`${gw.label} ${q}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.mismatches} body mismatches, ${r.non2xx} non-2xx under load`);
          const row = { round, gateway: id, query: q, rps: r.rps, p50Ms: r.p50, p99Ms: r.p99, requests: r.requests, cpuMsPerRequest: cpu / r.requests, peakRssMb: peakRssMb(child.pid) };
          runs.push(row);
          log(`  ${id.padEnd(6)} ${q.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} rps  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${row.cpuMsPerRequest.toFixed(3)} ms/req  rss ${row.peakRssMb.toFixed(0)} MB`);
        }
      } finally {
        await stop(child);
      }
    }
  }

  if (PROFILE_DIR) {
    // --cpu-prof writes the profile when the router exits (after the rounds).
    for (const file of readdirSync(PROFILE_DIR).filter((f) => f.endsWith(".cpuprofile"))) {
      log(`profile ${file}: self time by function`);
      console.table(summarizeProfile(join(PROFILE_DIR, file), ROOT).map((r) => ({ ...r, selfPct: r.selfPct.toFixed(1), selfMs: r.selfMs.toFixed(0) })));
    }
  } else {
    // ---------------------------------------------------------------- report
    const summary = [];
    for (const q of Object.keys(QUERIES))
      for (const g of ORDER) {
        const rs = runs.filter((r) => r.query === q && r.gateway === g);
        summary.push({ query: q, gateway: g, rps: median(rs.map((r) => r.rps)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)), cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)), peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)) });
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
    const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "?";
    const rootModules = join(ROOT, "node_modules");
    const machine = { nproc: NCPU, cpuModel, node: process.version, os: `${os.type()} ${os.release()}`, pinning: CPUS, clkTck: CLK_TCK };
    const versions = {
      "@graphql-hive/gateway": version(join(BENCH, "node_modules/@graphql-hive/gateway")),
      "@apollo/gateway": version(join(rootModules, "@apollo/gateway")),
      "@apollo/server": version(join(rootModules, "@apollo/server")),
      autocannon: version(join(BENCH, "node_modules/autocannon")),
      graphql: version(join(rootModules, "graphql")),
    };
    const settings = { durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, rounds: ROUNDS, order: ORDER };
    const responses = Object.fromEntries(Object.entries(reference).map(([q, r]) => [q, { bytes: r.bytes, identicalAcross: ORDER }]));
    const date = started.toISOString().slice(0, 10);
    mkdirSync(join(BENCH, "results"), { recursive: true });
    const resultFile = join(BENCH, "results", `${date}.json`);
    writeFileSync(resultFile, JSON.stringify({ date: started.toISOString(), machine, versions, settings, queries: QUERIES, responses, summary, runs }, null, 2) + "\n");
    writeFileSync(join(BENCH, "README.md"), readme({ date: started.toISOString(), machine, versions, settings, summary, responses, resultFile: `results/${date}.json` }));
    log(`wrote ${resultFile} and bench/README.md`);
    console.log("\n" + table(summary));
  }
} catch (error) {
  console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map(stop));
  rmSync(tmp, { recursive: true, force: true });
}

function table(summary) {
  const label = Object.fromEntries(Object.entries(GATEWAYS).map(([id, g]) => [id, g.label]));
  const x = (v) => (v == null ? "–" : `${v.toFixed(2)}x`);
  const lines = [
    "| query | gateway | RPS | p50 ms | p99 ms | CPU ms/req | peak RSS MB | RPS vs Hive | RPS vs Apollo | CPU/req vs Hive | CPU/req vs Apollo |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summary)
    lines.push(`| ${s.query} | ${label[s.gateway]} | ${s.rps.toFixed(0)} | ${s.p50Ms} | ${s.p99Ms} | ${s.cpuMsPerRequest.toFixed(3)} | ${s.peakRssMb.toFixed(0)} | ${x(s.rpsVsHive)} | ${x(s.rpsVsApollo)} | ${x(s.cpuVsHive)} | ${x(s.cpuVsApollo)} |`);
  return lines.join("\n");
}

function readme({ date, machine, versions, settings, summary, responses, resultFile }) {
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.mjs); edit the generator, not this file.

## Query throughput, synthetic in-memory subgraphs

Last run: ${date} — raw figures in [\`${resultFile}\`](${resultFile}).

${table(summary)}

Each figure is the median over ${settings.rounds} rounds (gateways alternated ${settings.order.join(" ")} per round);
peak RSS is the largest VmHWM seen. Ratios are this row's gateway against Hive Gateway / stock
\`@apollo/gateway\` on the same query (RPS: higher is better; CPU per request: lower is better).

- **Machine**: ${machine.nproc} CPUs, ${machine.cpuModel}, ${machine.os}, Node ${machine.node}
- **Pinning**: ${machine.pinning ? `gateway on CPU ${machine.pinning.gateway}, autocannon on CPU ${machine.pinning.load}, subgraphs on CPU ${machine.pinning.subgraphs} (taskset)` : "none"}
- **Versions**: ${Object.entries(versions).map(([k, v]) => `\`${k}\` ${v}`).join(", ")}; our router from this commit
- **Load**: autocannon, ${settings.connections} connections, ${settings.warmupS} s warm-up then ${settings.durationS} s measured per gateway × query × round, loopback only
- **Checks**: before measuring, every gateway's response to every query must be error-free and identical
  (response sizes: ${Object.entries(responses).map(([q, r]) => `${q} ${r.bytes} B`).join(", ")}); under load, every
  response must be byte-identical to the one checked (autocannon \`expectBody\`), with no errors, timeouts or non-2xx.
- **CPU ms/request**: utime+stime of the gateway process (and any children) from \`/proc/<pid>/stat\`
  over the measured run, divided by the requests completed. **Peak RSS**: \`VmHWM\` from \`/proc/<pid>/status\`
  after each query (one gateway process per round serves shallow, deep, list50 in that order).

### Setup

- Subgraphs: \`bench/subgraphs/synthetic.ts\` — products, reviews, users, inventory, built with
  \`createSubgraph\` from \`@store/kit\`, each in its own process, in-memory deterministic data (100 products,
  60 users, 300 reviews). Kit subgraphs require the router's signature, so the peer gateways sign each
  subgraph request the same way (\`bench/lib/sign.mjs\`, anonymous identity).
- Supergraph: composed with \`composeSupergraph\` from \`@store/supergraph\` into a temp file; all three gateways load it.
- Gateways, one at a time, each in its own process:
  - our router: \`node --import tsx router/src/main.ts\` (SUPERGRAPH_PATH, PORT, ROUTER_SIGNING_SECRET, JWT_SECRET, LOG_LEVEL=warn);
  - Hive Gateway: \`hive-gateway supergraph <file> -c bench/gateways/hive.config.mjs\` (defaults plus the signing plugin);
  - stock \`@apollo/gateway\` + \`@apollo/server\` 5 \`startStandaloneServer\`: \`bench/gateways/apollo.mjs\`.
- Queries (\`bench/lib/queries.mjs\`): **shallow** (one subgraph, 5 products), **deep** (all four subgraphs,
  Product/Review/User entities repeated at several depths), **list50** (50 products with fields from products,
  inventory and reviews).

### Reproduce

\`\`\`sh
npm run bench                      # installs bench/ deps on first use (bench/package.json, not the root install)
BENCH_DURATION=30 BENCH_ROUNDS=3 npm run bench
BENCH_GATEWAYS=router,hive npm run bench
\`\`\`

Env: \`BENCH_DURATION\` (s, default 10), \`BENCH_WARMUP\` (s, default 3), \`BENCH_CONNECTIONS\` (default 50),
\`BENCH_ROUNDS\` (default 2), \`BENCH_GATEWAYS\` (default \`router,hive,apollo\`).

### Caveats

- **Targets not met.** Our router still executes queries with \`@apollo/gateway\`, so against stock
  \`@apollo/gateway\` it can only be about as fast (it adds identity signing, metrics and logging); the 4x
  and 1.5x-Hive targets of issue 7 need our own executor and caches, not done yet.
- **Hive Gateway on Node 20.** Its dependencies \`@whatwg-node/fetch\` 0.12 and \`promise-helpers\` 2 ask for
  Node >= 22.15 (npm warns at install); on Node 20 it may not show its published speed. A comparison
  on Node 22 is worth making before reading the Hive ratios as final.
- **Noise.** Two CPUs: the subgraphs share a core with the load generator, so RPS partly measures them;
  CPU ms per request is the steadier figure. Round-to-round spread was up to ±25% here; more rounds
  (\`BENCH_ROUNDS\`) and longer runs (\`BENCH_DURATION\`) narrow it.

### Not measured yet (issue 7)

Our seven subgraphs on real PostgreSQL, SQL queries per request, subscriptions at scale (10,000 graphql-ws
subscribers) and order-to-PAID flow latency.
`;
}
