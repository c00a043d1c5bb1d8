import type { Registry } from "prom-client";
import { ANONYMOUS_OPERATION, OTHER_OPERATIONS } from "../metrics.ts";
import type { OperationFigures, OperationRow } from "./StatusData.ts";

export interface RedTrackerOptions {
  /** The router's prom-client registry: router_graphql_requests_total and router_graphql_request_duration_seconds. */
  registry: Registry;
  /**
   * The span rates are taken over, when snapshots that old exist.
   * @default 60000
   */
  windowMs?: number;
  /**
   * Snapshots are kept at most this often (each call reads the counters afresh).
   * @default 1000
   */
  minIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface RedTracker {
  /** Snapshots the counters (when the newest snapshot is old enough) and compares with the one a window ago. */
  figures(): Promise<OperationFigures>;
}

const REQUESTS = "router_graphql_requests_total";
const DURATION = "router_graphql_request_duration_seconds";

interface Series {
  operationType: string;
  operationName: string | null;
  requests: number;
  errors: number;
  /** The duration histogram's observations, sum (seconds) and cumulative buckets by upper bound (seconds, Infinity last). */
  count: number;
  sum: number;
  buckets: Map<number, number>;
}

interface Snapshot {
  at: number;
  series: Map<string, Series>;
}

type Labels = Record<string, string | number | undefined>;

/**
 * Rates, error rates and latency per operation from the router's counters.
 * Counters only grow, so figures over a window are differences between two
 * snapshots: the counters now, and the newest snapshot kept that is at
 * least a window old (else the oldest kept). One is kept when the tracker is
 * created, so the first page already has a baseline; then at most one per
 * interval while someone asks. Older ones are dropped: at most about
 * window / interval + 2 are kept.
 *
 * The `operation_name` label may be missing (older metrics): rows are then
 * per operation type, with a null name.
 */
export function createRedTracker({ registry, windowMs = 60_000, minIntervalMs = 1000, now = Date.now }: RedTrackerOptions): RedTracker {
  const snapshots: Snapshot[] = [];
  const first = read().then((snapshot) => void snapshots.push(snapshot));

  async function read(): Promise<Snapshot> {
    const at = now();
    const series = new Map<string, Series>();
    const entry = (labels: Labels): Series => {
      const operationType = String(labels.operation_type ?? "unknown");
      const operationName = displayName(labels.operation_name);
      const key = `${operationType}\u0000${operationName ?? ""}`;
      let found = series.get(key);
      if (!found) series.set(key, (found = { operationType, operationName, requests: 0, errors: 0, count: 0, sum: 0, buckets: new Map() }));
      return found;
    };
    // Both read at once: prom-client collects a metric when get() is called, and a
    // request counted between two separate reads would be in one and not the other.
    const [requests, duration] = await Promise.all([registry.getSingleMetric(REQUESTS)?.get(), registry.getSingleMetric(DURATION)?.get()]);
    for (const { labels, value } of requests?.values ?? []) {
      const series = entry(labels as Labels);
      series.requests += value;
      if ((labels as Labels).status !== "ok") series.errors += value;
    }
    for (const { labels, value, metricName } of (duration?.values ?? []) as { labels: Labels; value: number; metricName?: string }[]) {
      const { le, ...rest } = labels;
      const series = entry(rest);
      if (metricName === `${DURATION}_sum`) series.sum += value;
      else if (metricName === `${DURATION}_count`) series.count += value;
      else if (metricName === `${DURATION}_bucket` && le !== undefined) {
        const bound = le === "+Inf" ? Infinity : Number(le);
        series.buckets.set(bound, (series.buckets.get(bound) ?? 0) + value);
      }
    }
    return { at, series };
  }

  /** Keeps `snapshot` when the newest kept is old enough; drops those older than the window but the newest of them (the baseline). */
  function keep(snapshot: Snapshot): void {
    if (snapshot.at - (snapshots.at(-1)?.at ?? -Infinity) < minIntervalMs) return;
    snapshots.push(snapshot);
    while (snapshots.length > 2 && snapshots[1]!.at <= snapshot.at - windowMs) snapshots.shift();
  }

  return {
    async figures() {
      await first;
      // The figures are always up to date; what is kept for later baselines is thinned out.
      const current = await read();
      const baseline = snapshots.findLast((snapshot) => snapshot.at <= current.at - windowMs) ?? snapshots[0];
      keep(current);
      if (!baseline || current.at <= baseline.at) return { windowSeconds: null, rows: [] };
      const seconds = (current.at - baseline.at) / 1000;
      const rows: OperationRow[] = [];
      for (const [key, latest] of current.series) {
        const before = baseline.series.get(key);
        const requests = since(latest.requests, before?.requests);
        if (requests <= 0) continue;
        const errors = Math.min(requests, since(latest.errors, before?.errors));
        const count = since(latest.count, before?.count);
        const sum = count > 0 ? since(latest.sum, before?.sum) : 0;
        const buckets = [...latest.buckets].map(([bound, cumulative]) => [bound, since(cumulative, before?.buckets.get(bound))] as const).sort((a, b) => a[0] - b[0]);
        rows.push({
          operationType: latest.operationType,
          operationName: latest.operationName,
          requests,
          ratePerSecond: seconds > 0 ? round(requests / seconds, 3) : 0,
          errorRate: round(errors / requests, 4),
          meanMs: count > 0 ? round((sum / count) * 1000, 1) : null,
          p95Ms: count > 0 ? round(quantile(0.95, buckets, count) * 1000, 1) : null,
        });
      }
      rows.sort((a, b) => b.requests - a.requests || a.operationType.localeCompare(b.operationType) || (a.operationName ?? "").localeCompare(b.operationName ?? ""));
      return { windowSeconds: round(seconds, 1), rows };
    },
  };
}

/** The row's name: null for anonymous operations (or no label), "(other)" for names past the metrics' cap (no GraphQL name has parentheses). */
function displayName(label: string | number | undefined): string | null {
  if (typeof label !== "string" || label === "" || label === ANONYMOUS_OPERATION) return null;
  return label === OTHER_OPERATIONS ? "(other)" : label;
}

/** A counter's growth since `old`; one smaller than before was reset, and all it holds is new. */
const since = (value: number, old: number | undefined) => (old !== undefined && value >= old ? value - old : value);

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The q-quantile of a histogram from its cumulative buckets (upper bound,
 * count at or below it), interpolated linearly inside the bucket where it
 * falls, as Prometheus's histogram_quantile does; in the +Inf bucket, the
 * highest finite bound.
 */
export function quantile(q: number, buckets: readonly (readonly [number, number])[], count: number): number {
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank && cumulative > below) {
      if (bound === Infinity) return lower;
      return lower + ((bound - lower) * (rank - below)) / (cumulative - below);
    }
    if (bound !== Infinity) lower = bound;
    below = cumulative;
  }
  return lower;
}
