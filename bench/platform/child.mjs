// Shared by bench/flow.mjs and bench/sql.mjs: runs a bench/platform/*.ts child
// (`node --import tsx`), speaks its JSON-lines protocol, and cleans up after it
// whatever happens: every process stopped, every test database of the run
// dropped, the run's NATS streams deleted; a global timeout and SIGINT/SIGTERM
// end the run through the same cleanup.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const num = (name, dflt) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a number >= 0`);
  return value;
};
export const makeLog = (tag) => (...args) => console.error(`[${tag} ${new Date().toISOString().slice(11, 19)}]`, ...args);

/** A run id for TEST_RUN_ID: createTestDatabase names databases test_<runId>_<label>_<hex>. */
export const newRunId = (prefix) => `${prefix}${randomBytes(3).toString("hex")}`;

/** Starts `node --import tsx <script>` from the repo root; protocol lines are JSON with a `bench` key. */
export function startChild(script, { env = {}, log }) {
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the child, written there when it exits (Node refuses --cpu-prof in NODE_OPTIONS).
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
    // Its own process group: a Ctrl-C reaches this process only, which then stops the child in order.
    detached: true,
  });
  const messages = [];
  const waiters = new Set();
  let stderrTail = "";
  child.stderr.on("data", (d) => {
    stderrTail = (stderrTail + d).slice(-6000);
    if (process.env.BENCH_CHILD_STDERR) process.stderr.write(d);
  });
  // The child stops itself when its stdin closes: if this process dies, so does the platform.
  child.stdin.on("error", () => {});
  createInterface({ input: child.stdout }).on("line", (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {}
    if (!message || typeof message.bench !== "string") {
      if (process.env.BENCH_CHILD_STDERR) process.stderr.write(`${line}\n`);
      return;
    }
    messages.push(message);
    if (message.bench === "progress") log(message.text);
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => {
    for (const w of [...waiters]) w();
  });

  /** Resolves with the first message of one of `types`; rejects on timeout, or if the child exits first. */
  const waitFor = (types, timeoutMs) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.find((m) => types.includes(m.bench));
        if (found) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null)
          return done(() => reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before sending ${types.join("/")}:\n${stderrTail}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${script}: no ${types.join("/")} within ${timeoutMs / 1000} s:\n${stderrTail}`))), timeoutMs);
      const done = (fn) => {
        clearTimeout(timer);
        waiters.delete(check);
        fn();
      };
      waiters.add(check);
      check();
    });

  let stopping;
  /**
   * Closes the child's stdin, which makes it stop cleanly; SIGTERM if it has not
   * exited after graceMs, SIGKILL 15 s later. Not a signal first: every Apollo
   * Server in the child (router and subgraphs) stops itself on SIGTERM/SIGINT
   * (stopOnTerminationSignals, on when NODE_ENV is not "test"), racing the
   * platform's own stop; and @apollo/server 5.5.1's stop() never resolves its
   * barrier on success, so the second, concurrent stop() (the router's) hangs.
   * Resolves with the child's "stopped" message, if it sent one.
   */
  const stop = (graceMs = 60_000) =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        const term = setTimeout(() => {
          log(`${script} did not stop within ${graceMs / 1000} s: SIGTERM`);
          child.kill("SIGTERM");
        }, graceMs);
        const kill = setTimeout(() => {
          log(`${script} did not stop: SIGKILL`);
          child.kill("SIGKILL");
        }, graceMs + 15_000);
        await exited;
        clearTimeout(term);
        clearTimeout(kill);
      }
      child.stdin.destroy();
      return messages.find((m) => m.bench === "stopped");
    })());
  return { child, messages, waitFor, stop, exited, stderrTail: () => stderrTail };
}

/** Drops the databases of run `runId` that are still there (what the child should have dropped). */
export async function dropRunDatabases(runId) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`test\\_${runId}\\_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

export async function postgresReachable() {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query("SHOW server_version");
    return rows[0].server_version;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

export const natsStreams = (namespace) => {
  const prefix = namespace.toUpperCase().replace(/\W/g, "_");
  return [`${prefix}EVENTS`, `${prefix}DEADLETTER`];
};

/** Deletes the namespace's streams; returns those that existed. */
export async function deleteNatsStreams(url, namespace) {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: url, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    const deleted = [];
    for (const stream of natsStreams(namespace)) if (await jsm.streams.delete(stream).catch(() => false)) deleted.push(stream);
    return deleted;
  } finally {
    await nc.close();
  }
}

export async function natsInfo(url) {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: url, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.getAccountInfo();
    return { server: nc.info?.version ?? "?", jetstream: true };
  } finally {
    await nc.close();
  }
}

/**
 * One cleanup for every way a run ends (done, failure, global timeout, SIGINT):
 * `cleanup()` runs the registered steps once, in order, each bounded, and
 * never throws; `guard()` arms the global timeout and the signal handlers.
 */
export function createCleanup(log) {
  const steps = [];
  let running;
  let abortedBy;
  const cleanup = () =>
    (running ??= (async () => {
      const report = [];
      for (const { label, fn, timeoutMs } of steps) {
        try {
          const value = await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref())]);
          report.push({ step: label, ok: true, value: value ?? null });
        } catch (error) {
          log(`cleanup: ${label} failed: ${error?.message ?? error}`);
          report.push({ step: label, ok: false, error: String(error?.message ?? error) });
        }
      }
      return report;
    })());
  const add = (label, fn, timeoutMs = 30_000) => steps.push({ label, fn, timeoutMs });
  const guard = (timeoutS) => {
    const abort = async (why, code) => {
      abortedBy = why;
      log(`${why}: cleaning up and exiting`);
      await cleanup();
      process.exit(code);
    };
    const timer = setTimeout(() => void abort(`global timeout (${timeoutS} s)`, 2), timeoutS * 1000);
    timer.unref();
    process.once("SIGINT", () => void abort("SIGINT", 130));
    process.once("SIGTERM", () => void abort("SIGTERM", 143));
    return () => clearTimeout(timer);
  };
  /** Set once a global timeout or a signal ended the run: write no results. */
  const aborted = () => abortedBy;
  return { add, cleanup, guard, aborted };
}

export function machineInfo() {
  const cpuinfo = (() => {
    try {
      return readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      return "";
    }
  })();
  return {
    cpus: (/model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "?").trim(),
    node: process.version,
  };
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
/** utime+stime (ms) of a process and its descendants, from /proc. */
export function cpuMs(pid) {
  const tick = CLK_TCK;
  let ticks = 0;
  const visit = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(rest[11]) + Number(rest[12]);
      for (const task of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(task));
    } catch {}
  };
  visit(pid);
  return (ticks * 1000) / tick;
}

/** A loopback port nobody listens on now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export const isoDate = (d) => d.toISOString().slice(0, 10);
export const resultsDir = () => join(BENCH, "results");

/** The commit measured, and whether the working tree differed from it (others edit router/ concurrently). */
export function gitInfo() {
  const git = (...args) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout ?? "";
  const changed = git("status", "--porcelain", "--untracked-files=no").split("\n").filter(Boolean).map((l) => l.slice(3));
  return { commit: git("rev-parse", "HEAD").trim(), uncommittedChanges: changed };
}

/** Busy and total jiffies of the whole machine, from /proc/stat (for the share of all CPUs in use over a window). */
export function machineJiffies() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** utime+stime (ms) summed over every process whose command name is one of `names` (e.g. postgres, nats-server). */
export function cpuMsByName(names) {
  const totals = Object.fromEntries(names.map((n) => [n, 0]));
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {}
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!(comm in totals)) continue;
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      totals[comm] += ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
    } catch {}
  }
  return totals;
}
