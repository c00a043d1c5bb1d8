// CPU time of processes this benchmark did not start but must account for:
// the PostgreSQL backends serving its own databases (a backend's process title,
// /proc/<pid>/cmdline, names its database: "postgres: 15/main: <user> <db> <host> <state>"),
// read per pid so that a window's delta counts only what ran in it.
import { readdirSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

/** utime+stime (ms) of one process alone, or undefined once it is gone. */
function ownCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** pid -> CPU ms of every `postgres` backend connected to a database whose name starts with `databasePrefix`. */
export function postgresBackendsCpu(databasePrefix) {
  const byPid = new Map();
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {}
  for (const pid of pids) {
    let title;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
      title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    if (!title.includes(` ${databasePrefix}`)) continue;
    const ms = ownCpuMs(pid);
    if (ms !== undefined) byPid.set(pid, ms);
  }
  return byPid;
}

/**
 * CPU ms the backends spent between two postgresBackendsCpu() samples. A
 * backend that started in the window counts from zero; one that ended in it
 * loses what it ran since the first sample (`vanished` says how many did:
 * connection pools keep theirs open, so it should be 0).
 */
export function backendsDelta(before, after) {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  const vanished = [...before.keys()].filter((pid) => !after.has(pid)).length;
  return { ms, backends: after.size, vanished };
}
