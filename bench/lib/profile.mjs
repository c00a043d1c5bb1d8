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
