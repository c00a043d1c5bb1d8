#!/usr/bin/env node
// What tracing costs our router, measured in one process: `npm run bench:tracing`.
//
// bench:throughput starts a process per gateway and run, and two processes of
// one build differ by more than a few percent (bench/README.md): too coarse
// for tracing's cost at 1%. Here three routers live in one process (off, 1%,
// 100%; bench/lib/tracing-routers.ts) over the synthetic subgraphs, and
// autocannon loads each in turn, in short blocks whose order changes every
// round. The routers' process CPU (/proc, user + system) over a block, its
// span export included (a 1 s settle after each block is counted with it),
// divided by the block's responses, is the CPU per request.
//
// Env: BENCH_DURATION (s per block, default 5), BENCH_ROUNDS (default 8),
// BENCH_CONNECTIONS (default 50), BENCH_QUERIES (shallow,deep,list50).
// Writes results/tracing-cost-<date>.json.
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { SYNTHETIC_QUERIES } from "./lib/queries.mjs";
import { startOtlpSink } from "./lib/otlpSink.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const num = (name, dflt) => (process.env[name] ? Number(process.env[name]) : dflt);
const DURATION = num("BENCH_DURATION", 5);
const ROUNDS = num("BENCH_ROUNDS", 8);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const QUERIES = (process.env.BENCH_QUERIES ?? "shallow,deep,list50").split(",").map((q) => q.trim());
const MODES = ["off", "1%", "100%"];
const SETTLE_MS = 1000;
const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const tsx = ["--import", "tsx"];

if (!existsSync(join(BENCH, "node_modules"))) {
  log("installing bench dependencies into bench/node_modules (once)");
  const r = spawnSync("npm", ["install", "--prefix", BENCH, "--no-audit", "--no-fund"], { stdio: "inherit", cwd: ROOT });
  if (r.status !== 0) throw new Error("npm install --prefix bench failed");
}

// Routers alone on CPU 0; autocannon and the subgraphs on CPU 1 (as bench:throughput pins them).
const PIN = spawnSync("taskset", ["-V"]).status === 0 && os.availableParallelism() >= 2;
const children = new Set();
function launch(cpu, args, env = {}) {
  const [cmd, argv] = PIN ? ["taskset", ["-c", cpu, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.stderrTail = "";
  child.stderr.on("data", (d) => (child.stderrTail = (child.stderrTail + d).slice(-4000)));
  return child;
}
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
const firstLine = (child, what) =>
  new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}):\n${child.stderrTail}`)));
    setTimeout(() => reject(new Error(`${what} did not start in 120 s`)), 120_000).unref();
  });

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
/** CPU time of one process (all its threads), in ms. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function load(url, query, duration) {
  return new Promise((resolve, reject) => {
    const child = launch("1", [join(BENCH, "lib/load.mjs"), JSON.stringify({ url, body: JSON.stringify({ query }), connections: CONNECTIONS, duration })]);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1))) : reject(new Error(`load exited ${code}: ${child.stderrTail}`))));
  });
}

const tmp = mkdtempSync(join(os.tmpdir(), "store-bench-tracing-"));
const sink = await startOtlpSink();
const secret = randomBytes(32).toString("hex");
const started = new Date();
try {
  log(`pinning: ${PIN ? "routers on CPU 0, load and subgraphs on CPU 1" : "none"}`);
  const subgraphs = await Promise.all(
    ["products", "reviews", "users", "inventory"].map(async (name) => JSON.parse(await firstLine(launch("1", [...tsx, join(BENCH, "subgraphs/serve.ts"), name], { ROUTER_SIGNING_SECRET: secret }), `subgraph ${name}`))),
  );
  const supergraph = join(tmp, "synthetic.graphql");
  const composed = spawnSync(process.execPath, [...tsx, join(BENCH, "subgraphs/compose.ts"), supergraph, JSON.stringify(Object.fromEntries(subgraphs.map((s) => [s.name, s.url])))], { cwd: ROOT, encoding: "utf8" });
  if (composed.status !== 0) throw new Error(`composition failed:\n${composed.stderr}`);
  const routers = launch("0", [...tsx, "--max-semi-space-size=32", join(BENCH, "lib/tracing-routers.ts"), supergraph, sink.url, secret, randomBytes(32).toString("hex")]);
  const { pid, ...ports } = JSON.parse(await firstLine(routers, "routers"));
  const urlOf = (mode) => `http://127.0.0.1:${ports[mode]}/graphql`;

  const blocks = [];
  for (const query of QUERIES) {
    const text = SYNTHETIC_QUERIES[query];
    // Warm each router on this query first (JIT, caches), unmeasured.
    for (const mode of MODES) await load(urlOf(mode), text, 2);
    for (let round = 0; round < ROUNDS; round++) {
      // Each mode first, second and third in turn.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]);
      for (const mode of order) {
        const spansBefore = sink.counts().spans;
        const before = cpuMs(pid);
        const result = await load(urlOf(mode), text, DURATION);
        await sleep(SETTLE_MS);
        const cpu = cpuMs(pid) - before;
        if (result.errors || result.non2xx || result.timeouts) throw new Error(`${mode} ${query}: ${JSON.stringify(result)}`);
        const block = { query, mode, round, responses: result.requests, rps: result.rps, p50Ms: result.p50, p99Ms: result.p99, cpuMs: cpu, cpuMsPerRequest: cpu / result.requests, spansPerRequest: (sink.counts().spans - spansBefore) / result.requests };
        blocks.push(block);
        log(`${query.padEnd(8)} ${mode.padEnd(5)} round ${round + 1}: ${block.rps.toFixed(0)} rps, ${block.cpuMsPerRequest.toFixed(4)} ms CPU/req, ${block.spansPerRequest.toFixed(2)} spans/req`);
      }
    }
  }

  const summary = [];
  for (const query of QUERIES) {
    const off = median(blocks.filter((b) => b.query === query && b.mode === "off").map((b) => b.cpuMsPerRequest));
    for (const mode of MODES) {
      const mine = blocks.filter((b) => b.query === query && b.mode === mode);
      const cpu = median(mine.map((b) => b.cpuMsPerRequest));
      // Paired: each block against the "off" block of its own round.
      const paired = mine.map((b) => b.cpuMsPerRequest / blocks.find((o) => o.query === query && o.mode === "off" && o.round === b.round).cpuMsPerRequest - 1);
      summary.push({ query, mode, cpuMsPerRequest: cpu, vsOff: cpu / off - 1, pairedMedianVsOff: median(paired), pairedMinVsOff: Math.min(...paired), pairedMaxVsOff: Math.max(...paired), rps: median(mine.map((b) => b.rps)), spansPerRequest: median(mine.map((b) => b.spansPerRequest)) });
    }
  }
  // The unsampled path alone, in a loop (bench/lib/tracing-micro.ts), on the routers' CPU once they are gone.
  routers.kill("SIGTERM");
  const micro = spawnSync(PIN ? "taskset" : process.execPath, [...(PIN ? ["-c", "0", process.execPath] : []), ...tsx, join(BENCH, "lib/tracing-micro.ts")], { cwd: ROOT, encoding: "utf8" });
  if (micro.status !== 0) throw new Error(`tracing-micro failed:\n${micro.stderr}`);
  const alone = JSON.parse(micro.stdout.trim().split("\n").at(-1));
  const offOf = (query) => summary.find((s) => s.query === query && s.mode === "off").cpuMsPerRequest;
  const pct = (x) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`;
  const lines = [
    "| query | tracing | CPU ms/req (median) | vs off | paired vs off: median (min … max) | RPS | spans exported/req |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...summary.map((s) => `| ${s.query} | ${s.mode} | ${s.cpuMsPerRequest.toFixed(4)} | ${s.mode === "off" ? "–" : pct(s.vsOff)} | ${s.mode === "off" ? "–" : `${pct(s.pairedMedianVsOff)} (${pct(s.pairedMinVsOff)} … ${pct(s.pairedMaxVsOff)})`} | ${s.rps.toFixed(0)} | ${s.spansPerRequest.toFixed(2)} |`),
  ];
  lines.push(
    "",
    `The unsampled path alone (a dropped operation span, its trace context for the fetches, naming and ending it), timed in a loop: ${alone.unsampledUs.toFixed(2)} µs per operation` +
      ` (a sampled operation's own span: ${alone.sampledUs.toFixed(2)} µs, its children aside); that is ${QUERIES.map((q) => `${pct(alone.unsampledUs / 1000 / offOf(q))} of ${q}`).join(", ")} at the medians above.`,
  );
  const versions = { node: process.version, router: "this commit: " + spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() };
  const machine = { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, pinned: PIN };
  const date = started.toISOString().slice(0, 10);
  const file = join(BENCH, "results", `tracing-cost-${date}.json`);
  writeFileSync(file, JSON.stringify({ date: started.toISOString(), machine, versions, settings: { durationS: DURATION, rounds: ROUNDS, connections: CONNECTIONS, settleMs: SETTLE_MS }, summary, unsampledPathAlone: alone, blocks }, null, 2) + "\n");
  log(`wrote ${file}`);
  console.log(`\n${lines.join("\n")}`);
} catch (error) {
  console.error(`\nBENCH FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill("SIGTERM");
  await sink.close();
  rmSync(tmp, { recursive: true, force: true });
}
