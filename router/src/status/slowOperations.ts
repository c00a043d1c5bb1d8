import type { SpanStore, StoredSpan } from "@store/kit";
import type { SlowOperation, Waterfall, WaterfallSpan } from "./StatusData.ts";

export interface SlowOperationsOptions {
  /** `service.name` of the router's spans. */
  routerService: string;
  /** Operations that started this long ago at most. */
  windowMs: number;
  /** How many. */
  limit: number;
  /** Spans per waterfall at most (a placed order's trace holds its whole saga). */
  maxSpans: number;
  now: number;
}

/**
 * Attributes a waterfall row may show: what a span did, never what it
 * carried. Anything else a span holds (query text, ids) stays out of the page.
 */
const DETAIL_ATTRIBUTES = [
  "store.subgraph",
  "http.response.status_code",
  "store.fetch.attempt",
  "store.fetch.deduplicated",
  "store.plan.cache_hit",
  "messaging.consumer.group.name",
  "store.delivery.attempt",
  "store.event.outcome",
  "db.operation.name",
] as const;

/**
 * The slowest client operations of the last minutes: the router's SERVER
 * spans (one per operation), each with the waterfall of every span its
 * trace holds in the store, across services and event hops.
 */
export function slowOperations(store: SpanStore, { routerService, windowMs, limit, maxSpans, now }: SlowOperationsOptions): SlowOperation[] {
  const spans = store.spans();
  const since = now - windowMs;
  const slowest = spans
    .filter((span) => span.service === routerService && span.kind === "server" && span.startMs >= since)
    .sort((a, b) => b.durationMs - a.durationMs)
    .slice(0, limit);
  // One pass over the store for every trace wanted (the store's own trace() would copy it once per trace).
  const traces = new Map<string, StoredSpan[]>(slowest.map((span) => [span.traceId, []]));
  for (const span of spans) traces.get(span.traceId)?.push(span);
  return slowest.map((root) => ({
    traceId: root.traceId,
    operationType: stringAttribute(root, "graphql.operation.type"),
    operationName: stringAttribute(root, "graphql.operation.name"),
    startedAt: new Date(root.startMs).toISOString(),
    durationMs: round(root.durationMs),
    status: root.status,
    waterfall: waterfall(traces.get(root.traceId)!, maxSpans),
  }));
}

/** A trace's spans in tree order: each after its parent, siblings by start; a span whose parent is not kept starts a tree of its own. */
export function waterfall(spans: readonly StoredSpan[], maxSpans: number): Waterfall {
  if (spans.length === 0) return { totalMs: 0, omitted: 0, spans: [] };
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | undefined, StoredSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    const siblings = children.get(parent);
    if (siblings) siblings.push(span);
    else children.set(parent, [span]);
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.startMs - b.startMs);
  const rows: WaterfallSpan[] = [];
  // Iterative depth-first walk: a long chain of event hops must not blow the stack.
  const stack: { span: StoredSpan; depth: number }[] = [...(children.get(undefined) ?? [])].reverse().map((span) => ({ span, depth: 0 }));
  while (stack.length > 0 && rows.length < maxSpans) {
    const { span, depth } = stack.pop()!;
    const detail = DETAIL_ATTRIBUTES.flatMap((name) => (span.attributes[name] === undefined ? [] : [`${name.replace(/^store\./, "")}=${String(span.attributes[name])}`])).join(", ");
    rows.push({
      spanId: span.spanId,
      service: span.service,
      name: span.name,
      kind: span.kind,
      offsetMs: round(span.startMs - start),
      durationMs: round(span.durationMs),
      depth,
      status: span.status,
      ...(detail ? { detail } : {}),
    });
    for (const child of [...(children.get(span.spanId) ?? [])].reverse()) stack.push({ span: child, depth: depth + 1 });
  }
  return { totalMs: round(end - start), omitted: spans.length - rows.length, spans: rows };
}

export function stringAttribute(span: StoredSpan, name: string): string | null {
  const value = span.attributes[name];
  return typeof value === "string" && value !== "" ? value : null;
}

export const round = (ms: number) => Math.round(ms * 100) / 100;
