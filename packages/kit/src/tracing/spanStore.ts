import { SpanKind, SpanStatusCode, type AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** A finished span as the in-memory store keeps it: plain data, times in epoch milliseconds. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string | undefined;
  name: string;
  /** The `service.name` of the process part that recorded it (router, orders, ...). */
  service: string;
  kind: "internal" | "server" | "client" | "producer" | "consumer";
  startMs: number;
  durationMs: number;
  status: "unset" | "ok" | "error";
  statusMessage?: string | undefined;
  attributes: Record<string, AttributeValue>;
  events: { name: string; atMs: number; attributes: Record<string, AttributeValue> }[];
  links: { traceId: string; spanId: string }[];
}

/**
 * The newest finished spans of every service in this process, for the
 * router's status page when nothing else collects them (`npm start`).
 * Bounded by count: once full, each new span replaces the oldest.
 */
export interface SpanStore {
  readonly capacity: number;
  readonly size: number;
  add(span: StoredSpan): void;
  /** Every span kept, oldest first. */
  spans(): StoredSpan[];
  /** The kept spans of one trace, by start time. */
  trace(traceId: string): StoredSpan[];
}

export function createSpanStore({ capacity = 20_000 }: { capacity?: number } = {}): SpanStore {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`span store capacity must be a positive integer, got ${capacity}`);
  const ring: (StoredSpan | undefined)[] = new Array(capacity);
  let next = 0;
  let size = 0;
  const spans = () => {
    const out: StoredSpan[] = [];
    for (let i = 0; i < size; i++) out.push(ring[(next - size + i + capacity) % capacity]!);
    return out;
  };
  return {
    capacity,
    get size() {
      return size;
    },
    add(span) {
      ring[next] = span;
      next = (next + 1) % capacity;
      if (size < capacity) size++;
    },
    spans,
    trace: (traceId) => spans().filter((span) => span.traceId === traceId).sort((a, b) => a.startMs - b.startMs),
  };
}

const KINDS: Record<SpanKind, StoredSpan["kind"]> = {
  [SpanKind.INTERNAL]: "internal",
  [SpanKind.SERVER]: "server",
  [SpanKind.CLIENT]: "client",
  [SpanKind.PRODUCER]: "producer",
  [SpanKind.CONSUMER]: "consumer",
};

const STATUSES: Record<SpanStatusCode, StoredSpan["status"]> = {
  [SpanStatusCode.UNSET]: "unset",
  [SpanStatusCode.OK]: "ok",
  [SpanStatusCode.ERROR]: "error",
};

const millis = ([seconds, nanos]: readonly [number, number]) => seconds * 1000 + nanos / 1e6;

export function toStoredSpan(span: ReadableSpan, service: string): StoredSpan {
  const start = millis(span.startTime);
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    service,
    kind: KINDS[span.kind],
    startMs: start,
    durationMs: millis(span.duration),
    status: STATUSES[span.status.code],
    statusMessage: span.status.message,
    attributes: { ...span.attributes } as Record<string, AttributeValue>,
    events: span.events.map((event) => ({ name: event.name, atMs: millis(event.time), attributes: { ...(event.attributes ?? {}) } as Record<string, AttributeValue> })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
  };
}

/** A span processor that copies each finished, sampled span into the store. */
export function spanStoreProcessor(store: SpanStore, service: string): SpanProcessor {
  return {
    onStart() {},
    onEnd(span) {
      store.add(toStoredSpan(span, service));
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
