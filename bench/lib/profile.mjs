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

// What the edge features (issue 11) run per request, as frames of a profile.
// A sample counts for the innermost frame that matches, so a feature's share
// includes the library code it calls (graphql-js for variable coercion,
// rate-limiter-flexible) but not the garbage it leaves for the collector.
const inRouter = (frame, file) => frame.url.endsWith(`/router/src/${file}`);
// V8 names some functions by their owner ("EventEmitter.setMaxListeners"). Arrow
// functions tsx wraps in its keep-names helper have no name at all, so rules go
// by the named functions they call or by file.
const named = (frame, names) => names.includes(frame.functionName.split(".").at(-1));
export const EDGE_FEATURES = {
  /** Operation limits, measured per document (kept) and checked per request, and variable coercion. */
  limits: (frame) => frame.url.includes("/router/src/limits/") || inRouter(frame, "plugins/useOperationGuard.ts") || (frame.functionName === "coerceVariables" && inRouter(frame, "planning/prepareRequest.ts")),
  /** The per-client rate limiter: the client's key and address (clientAddressOf, clientKeyFor, clientKeyOf in edge/clientAddress.ts), counting. */
  rateLimit: (frame) => inRouter(frame, "plugins/useRateLimit.ts") || inRouter(frame, "edge/clientAddress.ts") || frame.url.includes("/node_modules/rate-limiter-flexible/"),
  /**
   * The request deadline: one RequestDeadline (execution/RequestDeadline.ts,
   * a plain object since 58c8f34; an AbortController before), timer and close
   * listener per request (edge/createHttpHandler.ts's handler), and a listener on it per
   * subgraph fetch (SubgraphFetcher.ts, and undici's, which land in
   * RequestDeadline.ts's addEventListener / removeEventListener).
   */
  deadline: (frame, parent) =>
    inRouter(frame, "execution/RequestDeadline.ts") ||
    // "get signal" created the AbortSignal (lazily, on first read): most of the cost on Node 20, before 58c8f34.
    (named(frame, ["RequestDeadline", "AbortController", "get signal", "setMaxListeners", "setTimeout", "clearTimeout", "once"]) && parent !== undefined && inRouter(parent, "edge/createHttpHandler.ts")) ||
    (named(frame, ["untilAborted", "aborted"]) && inRouter(frame, "execution/SubgraphFetcher.ts")) ||
    (named(frame, ["addEventListener", "removeEventListener"]) && parent !== undefined && inRouter(parent, "execution/SubgraphFetcher.ts")),
  /** Signing each subgraph fetch (HMAC over the request, SHA-256 of its body): not a limit, shown for scale. */
  signing: (frame) => frame.url.endsWith("/packages/kit/src/identity.ts"),
};

/**
 * The share of a router's busy samples (everything but idle) each edge
 * feature takes, in each window (`{ startedUs, endedUs }` on the monotonic
 * clock of process.hrtime, which V8 stamps samples with too).
 */
export function edgeShares(file, windows) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Feature of each node (the innermost matching frame on its stack), computed once per node.
  const featureOf = new Map();
  const classify = (id) => {
    if (featureOf.has(id)) return featureOf.get(id);
    const node = byId.get(id);
    const up = parent.get(id);
    const frame = { ...node.callFrame, url: node.callFrame.url.replace(/^file:\/\//, "") };
    const parentNode = up === undefined ? undefined : byId.get(up);
    const parentFrame = parentNode && { ...parentNode.callFrame, url: parentNode.callFrame.url.replace(/^file:\/\//, "") };
    let feature = Object.keys(EDGE_FEATURES).find((name) => EDGE_FEATURES[name](frame, parentFrame));
    if (feature === undefined) feature = up === undefined ? null : classify(up);
    featureOf.set(id, feature);
    return feature;
  };
  // Sample timestamps: startTime plus the running sum of timeDeltas.
  const times = new Array(profile.samples.length);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) times[i] = t += profile.timeDeltas[i] ?? 0;
  return windows.map((w) => {
    const counts = Object.fromEntries(Object.keys(EDGE_FEATURES).map((k) => [k, 0]));
    let busy = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      if (times[i] < w.startedUs || times[i] > w.endedUs) continue;
      const id = profile.samples[i];
      if (byId.get(id)?.callFrame.functionName === "(idle)") continue;
      busy++;
      const feature = classify(id);
      if (feature) counts[feature]++;
    }
    const sharePct = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, busy ? (100 * v) / busy : 0]));
    const edge = counts.limits + counts.rateLimit + counts.deadline;
    return {
      set: w.set,
      round: w.round,
      gateway: w.gateway,
      query: w.query,
      rps: w.rps,
      startedUs: w.startedUs,
      endedUs: w.endedUs,
      cpuMsPerRequestProfiled: w.cpuMsPerRequest,
      busySamples: busy,
      samples: counts,
      sharePct: { ...sharePct, edgeTotal: busy ? (100 * edge) / busy : 0 },
      // Whether the window lines up with the profile at all (a clock mismatch would leave it empty).
      windowInProfile: w.startedUs >= profile.startTime && w.endedUs <= profile.endTime,
    };
  });
}
