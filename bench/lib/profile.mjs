// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function, highest first.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

export function summarizeProfile(file, root, top = 30) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const self = new Map();
  let total = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${relative(root, url.replace(/^file:\/\//, ""))}:${lineNumber + 1}` : "(native)";
    const key = `${functionName || "(anonymous)"} ${where}`;
    self.set(key, (self.get(key) ?? 0) + 1);
    total++;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, samples]) => ({ fn, selfPct: (100 * samples) / total, selfMs: (samples * interval) / 1000 }));
}

/** Inclusive time (share of busy samples) of every function whose name matches, stack-deduplicated per sample. */
export function inclusiveShare(file, names) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  let busy = 0;
  for (const id of profile.samples) {
    const leaf = byId.get(id)?.callFrame.functionName;
    if (leaf === "(idle)") continue;
    busy++;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const fn = byId.get(at)?.callFrame.functionName;
      if (fn && fn in counts && !seen.has(fn)) {
        seen.add(fn);
        counts[fn]++;
      }
    }
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, ((100 * v) / busy).toFixed(1) + "%"]));
}
