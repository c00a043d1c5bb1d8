#!/usr/bin/env node
// `npm start`, timed as a user meets it: from running the command to the
// first GraphQL query answered with data through the router.
//
//   node bench/start.mjs            (from the repo root; ports 4000-4007 must be free)
//
// Cold: a new, empty DATA_DIR (the database a copy of the install's seeded
// template, which the install prepares). Warm: the same DATA_DIR again.
// Unprepared: a new DATA_DIR with no current seeded template (as after a
// service's source changed): PGlite's initdb template, migrated and seeded.
// Each run is a fresh `npm start`, stopped with SIGINT once it answered;
// every run also records the CPU the whole process tree used until then. Medians of BENCH_START_RUNS (default 5) of each.
// Writes bench/results/start-<YYYY-MM-DD>.json and a section of bench/README.md.
import "./lib/no-phone-home.mjs";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { writeReadmeSection } from "./lib/readme.mjs";
import { ROOT, cpuMs, gitInfo, isoDate, machineInfo, makeLog, num, resultsDir } from "./platform/child.mjs";

const log = makeLog("bench start");
const RUNS = num("BENCH_START_RUNS", 5);
const DEADLINE_MS = num("BENCH_START_DEADLINE_MS", 180_000);
const QUERY = JSON.stringify({ query: "{ products(first: 1) { edges { node { name inStock } } } }" });

const portOpen = (port) =>
  new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

async function answered() {
  try {
    const res = await fetch("http://127.0.0.1:4000/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: QUERY, signal: AbortSignal.timeout(2_000) });
    const body = await res.json();
    return Boolean(body.data?.products?.edges?.[0]?.node?.name);
  } catch {
    return false;
  }
}

/** One `npm start` on dataDir until a query is answered; then SIGINT, and wait for it to end. */
async function once(dataDir) {
  const started = performance.now();
  const child = spawn("npm", ["start"], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let ms;
  let cpu;
  try {
    while (performance.now() - started < DEADLINE_MS) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
      if (await answered()) {
        ms = performance.now() - started;
        cpu = cpuMs(child.pid);
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (ms === undefined) throw new Error(`no answer within ${DEADLINE_MS} ms:\n${output}`);
  } finally {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 20_000);
    await exited;
    clearTimeout(timer);
  }
  const ready = /Ready in ([\d.]+) s/.exec(output)?.[1];
  return { ms: Math.round(ms), cpuMs: Math.round(cpu), readyLine: ready ? Number(ready) : null };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (let port = 4000; port <= 4007; port += 1) {
  if (await portOpen(port)) {
    log(`port ${port} is taken: stop whatever runs there (another npm start?) first`);
    process.exit(1);
  }
}
const SEEDED = join(ROOT, "node_modules", ".cache", "store-platform", "seeded");
const ASIDE = `${SEEDED}.bench-aside`;
// A run that was killed while they were aside puts them back first.
if (existsSync(ASIDE) && !existsSync(SEEDED)) renameSync(ASIDE, SEEDED);
// What the install does: the bundle and the seeded template, current.
const prepared = spawnSync(process.execPath, ["scripts/start.mjs", "--prepare"], { cwd: ROOT, encoding: "utf8" });
if (prepared.status !== 0) {
  log(`npm start --prepare failed:\n${prepared.stdout}${prepared.stderr}`);
  process.exit(1);
}
// "Unprepared": the first start after a service's source changed, when no
// seeded template matches: the seeded template is moved aside for it.
const scratch = mkdtempSync(join(os.tmpdir(), "bench-start-"));
const loadBefore = os.loadavg();
const runs = { cold: [], warm: [], unprepared: [] };
try {
  for (let i = 0; i < RUNS; i += 1) {
    const dataDir = join(scratch, `run${i}`);
    const cold = await once(dataDir);
    log(`cold ${i + 1}/${RUNS}: ${cold.ms} ms to a served query (cpu ${cold.cpuMs} ms)`);
    const warm = await once(dataDir);
    log(`warm ${i + 1}/${RUNS}: ${warm.ms} ms to a served query (cpu ${warm.cpuMs} ms)`);
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(SEEDED, ASIDE);
    try {
      const unprepared = await once(dataDir);
      log(`unprepared ${i + 1}/${RUNS}: ${unprepared.ms} ms to a served query (cpu ${unprepared.cpuMs} ms)`);
      runs.unprepared.push(unprepared);
    } finally {
      renameSync(ASIDE, SEEDED);
    }
    runs.cold.push(cold);
    runs.warm.push(warm);
    rmSync(dataDir, { recursive: true, force: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const summary = Object.fromEntries(
  Object.entries(runs).map(([kind, rs]) => [kind, { medianMs: median(rs.map((r) => r.ms)), minMs: Math.min(...rs.map((r) => r.ms)), maxMs: Math.max(...rs.map((r) => r.ms)), medianCpuMs: median(rs.map((r) => r.cpuMs)) }]),
);
const npmVersion = spawnSync("npm", ["--version"], { encoding: "utf8" }).stdout.trim();
const result = {
  date: new Date().toISOString(),
  machine: { ...machineInfo(), cores: os.cpus().length, npm: npmVersion, loadavgBefore: loadBefore },
  git: gitInfo(),
  runs,
  summary,
};
mkdirSync(resultsDir(), { recursive: true });
const file = join(resultsDir(), `start-${isoDate(new Date())}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote ${file}`);

const row = (kind, label) => {
  const s = summary[kind];
  return `| ${label} | ${(s.medianMs / 1000).toFixed(2)} s | ${(s.minMs / 1000).toFixed(2)}–${(s.maxMs / 1000).toFixed(2)} s | ${(s.medianCpuMs / 1000).toFixed(2)} s |`;
};
const table = [
  `\`npm start\` to the first query answered through the router, ${RUNS} runs each (${result.date.slice(0, 10)}, ${result.machine.cpus}, ${result.machine.cores} cores, Node ${result.machine.node}, npm ${npmVersion}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}):`,
  "",
  "| start | median | range | CPU (median, all threads) |",
  "|---|---|---|---|",
  row("cold", "cold: empty data folder (the database a copy of the install's seeded template)"),
  row("warm", "warm: the same data folder again"),
  row("unprepared", "cold, no seeded template current (after a service's source changed): initdb copy, seven schemas migrated and seeded"),
].join("\n");
writeReadmeSection("start", table);
console.log(table);
