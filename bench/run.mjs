#!/usr/bin/env node
// Query-throughput benchmark: our router vs Hive Gateway vs stock @apollo/gateway
// on a synthetic in-memory supergraph. `npm run bench` (from the repo root).
//
// Env: BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (s, default 3),
// BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (A B C rounds, default 2),
// BENCH_GATEWAYS (comma list of router,hive,apollo; default all).
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PLATFORM_IDENTITY, PLATFORM_QUERIES, SYNTHETIC_QUERIES } from "./lib/queries.mjs";
import { writeReadmeSection } from "./lib/readme.mjs";
import { dropRunDatabases } from "./platform/child.mjs";
import { summarizeProfile } from "./lib/profile.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const DURATION = num("BENCH_DURATION", 10);
const WARMUP = num("BENCH_WARMUP", 3);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const ROUNDS = num("BENCH_ROUNDS", 2);
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
const GATEWAYS = {
  router: { label: "our router", start: (sg, port, setEnv) => startRouter("router", sg, port, setEnv, {}) },
  "router-nodedupe": { label: "our router, no fetch dedupe", start: (sg, port, setEnv) => startRouter("router-nodedupe", sg, port, setEnv, { SUBGRAPH_DEDUPLICATE: "false" }) },
  hive: {
    label: "Hive Gateway",
    start: (sg, port, setEnv) =>
      launch("hive", CPUS?.gateway, process.execPath, [join(BENCH, "node_modules/@graphql-hive/gateway/dist/bin.js"), "supergraph", sg, "--port", String(port), "--host", "127.0.0.1", "--config-path", join(BENCH, "gateways/hive.config.mjs")], {
        cwd: BENCH,
        env: { ...gatewayEnv(), ...setEnv, ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production" },
      }),
  },
  apollo: { label: "stock @apollo/gateway", start: (sg, port, setEnv) => launch("apollo", CPUS?.gateway, process.execPath, [join(BENCH, "gateways/apollo.mjs")], { cwd: ROOT, env: { ...gatewayEnv(), ...setEnv, SUPERGRAPH_PATH: sg, PORT: String(port), ROUTER_SIGNING_SECRET: SECRET, NODE_ENV: "production" } }) },
};
function startRouter(label, sg, port, setEnv, extraEnv) {
  const args = [...tsx, ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []), "router/src/main.ts"];
  return launch(label, CPUS?.gateway, process.execPath, args, { cwd: ROOT, env: { ...gatewayEnv(), SUPERGRAPH_PATH: sg, PORT: String(port), HOST: "127.0.0.1", ROUTER_SIGNING_SECRET: SECRET, JWT_SECRET, LOG_LEVEL: "warn", NODE_ENV: "production", ...setEnv, ...extraEnv } });
}
const ORDER = (process.env.BENCH_GATEWAYS ?? "router,router-nodedupe,hive,apollo").split(",").map((s) => s.trim()).filter(Boolean);
for (const g of ORDER) if (!GATEWAYS[g]) throw new Error(`unknown gateway ${g}`);

function load(url, query, duration, expectBody, headers) {
  return new Promise((resolve, reject) => {
    const child = launch("autocannon", CPUS?.load, process.execPath, [join(BENCH, "lib/load.mjs"), JSON.stringify({ url, body: JSON.stringify({ query }), headers, connections: CONNECTIONS, duration, expectBody })], { cwd: BENCH });
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
// its queries, and who is asking: `token` for our router (it verifies JWTs),
// the same identity signed by the peer gateways' plugin (BENCH_IDENTITY).
const SETS = {
  synthetic: {
    label: "synthetic in-memory subgraphs (cheap: isolates the gateway's own cost)",
    async start(tmpDir) {
      const names = ["products", "reviews", "users", "inventory"];
      const urls = Object.fromEntries(
        await Promise.all(
          names.map(async (name) => {
            const child = launch(`subgraph ${name}`, CPUS?.subgraphs, process.execPath, [...tsx, join(BENCH, "subgraphs/serve.ts"), name], { cwd: ROOT, env: { ...process.env, ROUTER_SIGNING_SECRET: SECRET } });
            return [name, JSON.parse(await firstLine(child, `subgraph ${name}`)).url];
          }),
        ),
      );
      const supergraph = join(tmpDir, "synthetic.graphql");
      const composed = spawnSync(process.execPath, [...tsx, join(BENCH, "subgraphs/compose.ts"), supergraph, JSON.stringify(urls)], { cwd: ROOT, encoding: "utf8" });
      if (composed.status !== 0) throw new Error(`composition failed:\n${composed.stderr}`);
      return { supergraph, queries: SYNTHETIC_QUERIES, identity: null, processes: [] };
    },
  },
  platform: {
    label: "our seven subgraphs on PostgreSQL (demo data, signed in as a customer)",
    async start(tmpDir) {
      // bench/platform/serve.ts: the seven services on fresh, migrated, seeded test
      // databases (plus an in-process router this bench does not use).
      const child = launch("platform subgraphs", CPUS?.subgraphs, process.execPath, [...tsx, join(BENCH, "platform/serve.ts")], {
        cwd: ROOT,
        env: { ...process.env, BENCH_EVENTS: "in-process", ROUTER_SIGNING_SECRET: SECRET, JWT_SECRET, TEST_RUN_ID: RUN_ID },
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
      return { supergraph, queries: PLATFORM_QUERIES, identity: PLATFORM_IDENTITY, processes: [child] };
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

/** Every gateway, alternated per round, on one subgraph set; returns the measured rows and the response sizes. */
async function measureSet(setId, set) {
  const queries = Object.fromEntries(Object.entries(set.queries).filter(([q]) => !process.env.BENCH_QUERIES || process.env.BENCH_QUERIES.split(",").includes(q)));
  const setEnv = set.identity ? { BENCH_IDENTITY: JSON.stringify(set.identity) } : {};
  const token = set.identity ? tokenFor(set.identity) : undefined;
  const reference = {}; // query -> response from the first gateway
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const id of ORDER) {
      const gw = GATEWAYS[id];
      // Only our router verifies the caller's token; the peers forward the set's identity as configured.
      const headers = token && id.startsWith("router") ? { authorization: `Bearer ${token}` } : {};
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/graphql`;
      log(`${setId} round ${round}: starting ${gw.label}`);
      const child = gw.start(set.supergraph, port, setEnv);
      try {
        await waitReady(url, child);
        // Identical, error-free responses, or no numbers at all.
        const bodies = {};
        for (const [q, query] of Object.entries(queries)) {
          const r = await post(url, query, headers);
          let parsed;
          try {
            parsed = JSON.parse(r.text);
          } catch {
            throw new Error(`${gw.label} ${q}: not JSON (HTTP ${r.status}): ${r.text.slice(0, 500)}`);
          }
          if (r.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${gw.label} ${q}: HTTP ${r.status} with errors: ${r.text.slice(0, 1000)}`);
          if (!reference[q]) reference[q] = { by: gw.label, text: JSON.stringify(parsed), bytes: r.text.length };
          else if (JSON.stringify(parsed) !== reference[q].text) {
            writeFileSync(join(tmp, `${setId}-${id}-${q}.json`), r.text);
            throw new Error(`${gw.label} ${q}: response differs from ${reference[q].by}'s (saved in ${tmp})`);
          }
          bodies[q] = r.text;
        }
        for (const [q, query] of Object.entries(queries)) {
          if (WARMUP > 0) await load(url, query, WARMUP, bodies[q], headers);
          const before = cpuMs(child.pid);
          const r = await load(url, query, DURATION, bodies[q], headers);
          const cpu = cpuMs(child.pid) - before;
          const bad = r.errors + r.timeouts + r.mismatches + r.non2xx;
          if (bad > 0) throw new Error(`${gw.label} ${q}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.mismatches} body mismatches, ${r.non2xx} non-2xx under load`);
          const row = { set: setId, round, gateway: id, query: q, rps: r.rps, p50Ms: r.p50, p99Ms: r.p99, requests: r.requests, cpuMsPerRequest: cpu / r.requests, peakRssMb: peakRssMb(child.pid) };
          runs.push(row);
          log(`  ${id.padEnd(15)} ${q.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} rps  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${row.cpuMsPerRequest.toFixed(3)} ms/req  rss ${row.peakRssMb.toFixed(0)} MB`);
        }
      } finally {
        await stop(child);
      }
    }
  }
  const responses = Object.fromEntries(Object.entries(reference).map(([q, r]) => [q, { bytes: r.bytes, identicalAcross: ORDER }]));
  return { runs, responses, queries };
}

function summarize(setId, runs, queries) {
  const summary = [];
  for (const q of Object.keys(queries))
    for (const g of ORDER) {
      const rs = runs.filter((r) => r.query === q && r.gateway === g);
      if (rs.length === 0) continue;
      summary.push({ set: setId, query: q, gateway: g, rps: median(rs.map((r) => r.rps)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)), cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)), peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)) });
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
      sets[setId] = { label: set.label, queries, responses, summary: summarize(setId, runs, queries), runs };
    } finally {
      await Promise.all(started.processes.map(stop));
    }
  }

  if (PROFILE_DIR) {
    // --cpu-prof writes the profile when the router exits.
    for (const file of readdirSync(PROFILE_DIR).filter((f) => f.endsWith(".cpuprofile"))) {
      log(`profile ${file}: self time by function`);
      console.table(summarizeProfile(join(PROFILE_DIR, file), ROOT).map((r) => ({ ...r, selfPct: r.selfPct.toFixed(1), selfMs: r.selfMs.toFixed(0) })));
    }
  } else {
    // ---------------------------------------------------------------- report
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
    const settings = { durationS: DURATION, warmupS: WARMUP, connections: CONNECTIONS, rounds: ROUNDS, order: ORDER, nodeFlags: NODE_FLAGS };
    const date = started.toISOString().slice(0, 10);
    mkdirSync(join(BENCH, "results"), { recursive: true });
    const resultFile = join(BENCH, "results", `throughput-${date}.json`);
    writeFileSync(resultFile, JSON.stringify({ date: started.toISOString(), machine, versions, settings, sets }, null, 2) + "\n");
    writeReadmeSection("throughput", throughputSection({ date: started.toISOString(), machine, versions, settings, sets, resultFile: `results/throughput-${date}.json` }));
    log(`wrote ${resultFile} and bench/README.md`);
    for (const [id, s] of Object.entries(sets)) console.log(`\n${id}\n${table(s.summary)}`);
  }
} catch (error) {
  console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map(stop));
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
    "| query | gateway | RPS | p50 ms | p99 ms | CPU ms/req | peak RSS MB | RPS vs Hive | RPS vs Apollo | CPU/req vs Hive | CPU/req vs Apollo |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summary)
    lines.push(`| ${s.query} | ${label[s.gateway]} | ${s.rps.toFixed(0)} | ${s.p50Ms} | ${s.p99Ms} | ${s.cpuMsPerRequest.toFixed(3)} | ${s.peakRssMb.toFixed(0)} | ${x(s.rpsVsHive)} | ${x(s.rpsVsApollo)} | ${x(s.cpuVsHive)} | ${x(s.cpuVsApollo)} |`);
  return lines.join("\n");
}

function throughputSection({ date, machine, versions, settings, sets, resultFile }) {
  const tables = Object.entries(sets)
    .map(([id, s]) => `### ${id}: ${s.label}\n\n${table(s.summary)}\n\nResponse sizes: ${Object.entries(s.responses).map(([q, r]) => `${q} ${r.bytes} B`).join(", ")}.`)
    .join("\n\n");
  return `## Query throughput

Generated by \`npm run bench:throughput\` (bench/run.mjs). Last run: ${date}; raw figures in [\`${resultFile}\`](${resultFile}).

${tables}

Each figure is the median over ${settings.rounds} rounds (gateways alternated ${settings.order.join(" ")} per round);
peak RSS is the largest VmHWM seen. Ratios are this row's gateway against Hive Gateway / stock
\`@apollo/gateway\` on the same query (RPS: higher is better; CPU per request: lower is better).

- **Machine**: ${machine.nproc} CPUs, ${machine.cpuModel}, ${machine.os}, Node ${machine.node}
- **Pinning**: ${machine.pinning ? `gateway on CPU ${machine.pinning.gateway}, autocannon on CPU ${machine.pinning.load}, subgraphs on CPU ${machine.pinning.subgraphs} (taskset)` : "none"}
- **Versions**: ${Object.entries(versions).map(([k, v]) => `\`${k}\` ${v}`).join(", ")}; our router from this commit
- **Node flags** (every gateway alike): \`${settings.nodeFlags}\`; \`NODE_ENV=production\` for every gateway
- **Load**: autocannon, ${settings.connections} connections, ${settings.warmupS} s warm-up then ${settings.durationS} s measured per gateway × query × round, loopback only
- **Checks**: before measuring, every gateway's response to every query must be error-free and identical; under load, every
  response must be byte-identical to the one checked (autocannon \`expectBody\`), with no errors, timeouts or non-2xx.
- **CPU ms/request**: utime+stime of the gateway process from \`/proc/<pid>/stat\` over the measured run, divided by the
  requests completed. **Peak RSS**: \`VmHWM\` from \`/proc/<pid>/status\`.`;
}
