import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { EventBus } from "./bus.ts";
import { subjectOf, type EventType } from "./catalogue.ts";
import type { EventEnvelope } from "./envelope.ts";

/**
 * How events join the trace of the work that wrote them. The W3C trace
 * context travels in the envelope (so it is stored in the outbox row and
 * survives any transport), and beside it on the wire (a NATS header, the
 * in-process bus's delivery), where it names the relay's publish span.
 *
 * This package uses the API's global propagator, which the kit's
 * startTracing installs; with tracing off it is a no-op and nothing here
 * records anything.
 */
export interface TraceContext {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

/** W3C caps tracestate at 32 members; 512 characters is what propagators keep. */
export const MAX_TRACESTATE_LENGTH = 512;

/** A well-formed W3C `traceparent` naming a real span (version ff and all-zero ids are invalid). */
export function isTraceparent(value: unknown): value is string {
  if (typeof value !== "string" || !TRACEPARENT.test(value)) return false;
  return !value.startsWith("ff-") && value.slice(3, 35) !== ZERO_TRACE_ID && value.slice(36, 52) !== ZERO_SPAN_ID;
}

/** A bounded, single-line, printable `tracestate` (it also travels as a message header). */
export function isTracestate(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_TRACESTATE_LENGTH && /^[\x20-\x7e]+$/.test(value);
}

/**
 * The valid trace context in `source` (an envelope, headers read into an
 * object), or undefined. A tracestate means nothing without its traceparent,
 * so it is kept only beside a valid one.
 */
export function traceContextOf(source: { traceparent?: unknown; tracestate?: unknown } | undefined): TraceContext | undefined {
  if (!source || !isTraceparent(source.traceparent)) return undefined;
  return isTracestate(source.tracestate) ? { traceparent: source.traceparent, tracestate: source.tracestate } : { traceparent: source.traceparent };
}

/** The trace context of the span active in `ctx`, or undefined outside a span (always, with tracing off). */
export function activeTraceContext(ctx: Context = context.active()): TraceContext | undefined {
  // The cheap check first: with tracing off there is never a span, and nothing to inject.
  if (!trace.getSpan(ctx)) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return traceContextOf(carrier);
}

/** A context whose parent is the remote span named by the first valid carrier; the root context when none is. */
export function remoteContext(...carriers: ({ traceparent?: unknown; tracestate?: unknown } | undefined)[]): Context {
  for (const carrier of carriers) {
    const valid = traceContextOf(carrier);
    if (valid) return propagation.extract(ROOT_CONTEXT, valid);
  }
  return ROOT_CONTEXT;
}

/** Events whose aggregate is an order (the others name their order in `payload.orderId`, if they concern one). */
const ORDER_AGGREGATES: ReadonlySet<EventType> = new Set<EventType>(["OrderPlaced", "OrderStatusChanged", "OrderCancelled"]);

/** The order an event belongs to, for the saga timeline: `payload.orderId`, or the aggregate of an order event. */
export function orderIdOf(event: EventEnvelope): string | undefined {
  const { orderId } = event.payload as { orderId?: unknown };
  if (typeof orderId === "string") return orderId;
  return ORDER_AGGREGATES.has(event.type) ? event.aggregateId : undefined;
}

/** What every event span says about its event: ids only, never payload values (a payment token is one). */
export function eventAttributes(event: EventEnvelope, bus: Pick<EventBus, "kind">): Attributes {
  const orderId = orderIdOf(event);
  return {
    "messaging.system": bus.kind,
    "messaging.destination.name": subjectOf(event.type),
    "messaging.message.id": event.id,
    "store.event.type": event.type,
    "store.event.id": event.id,
    "store.event.source": event.source,
    "store.event.aggregate_id": event.aggregateId,
    "store.event.correlation_id": event.correlationId,
    "store.event.causation_id": event.causationId,
    ...(orderId ? { "store.order_id": orderId } : {}),
  };
}

/**
 * Marks a span failed by an error: status ERROR with its message (never its
 * stack) and an `exception` event. Here, the lowest package that makes spans;
 * the kit re-exports it.
 */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.addEvent("exception", { "exception.type": error instanceof Error ? error.name : typeof error, "exception.message": message });
}

/** Runs `fn` in a started span, active; marks it failed by what `fn` throws, and ends it. */
async function runIn<T>(span: Span, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * The relay's publish of one event: a PRODUCER span in the trace of the
 * transaction that wrote it (the envelope's context), active while the bus
 * publishes, so the bus carries this span's context to consumers.
 */
export function withPublishSpan<T>(tracer: Tracer, bus: Pick<EventBus, "kind">, event: EventEnvelope, fn: () => Promise<T>): Promise<T> {
  const parent = remoteContext(event);
  const span = tracer.startSpan(`publish ${event.type}`, { kind: SpanKind.PRODUCER }, parent);
  if (span.isRecording()) span.setAttributes({ ...eventAttributes(event, bus), "messaging.operation.type": "send", "messaging.operation.name": "publish" });
  return runIn(span, parent, fn);
}

export interface ProcessSpanOptions {
  consumer: string;
  bus: Pick<EventBus, "kind">;
  event: EventEnvelope;
  delivery: { attempt: number; lastAttempt?: boolean; trace?: TraceContext | undefined };
}

/**
 * One delivery to a consumer: a CONSUMER span whose parent is the context
 * the transport carried (the relay's publish span), else the envelope's (a
 * message published without headers). A malformed one starts a new trace.
 * A failure that the bus will dead-letter is recorded as an event.
 */
export function withProcessSpan<T>(tracer: Tracer, { consumer, bus, event, delivery }: ProcessSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = remoteContext(delivery.trace, event);
  const span = tracer.startSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      ...eventAttributes(event, bus),
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.consumer.group.name": consumer,
      "store.delivery.attempt": delivery.attempt,
    });
  }
  return runIn(span, parent, async (active) => {
    try {
      return await fn(active);
    } catch (error) {
      if (delivery.lastAttempt && active.isRecording()) active.addEvent("store.event.dead_lettered", { "store.delivery.attempt": delivery.attempt });
      throw error;
    }
  });
}

/**
 * The handler's inbox transaction, a child of the process span; its outcome
 * (handled, duplicate) is known only once it commits. Skipped when the
 * process span records nothing (sampled out): its children would not either.
 */
export function withHandleSpan<T extends string>(tracer: Tracer, consumer: string, event: EventEnvelope, fn: () => Promise<T>): Promise<T> {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return fn();
  const orderId = orderIdOf(event);
  const span = tracer.startSpan(
    `handle ${event.type}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        "messaging.consumer.group.name": consumer,
        "store.event.type": event.type,
        "store.event.id": event.id,
        ...(orderId ? { "store.order_id": orderId } : {}),
      },
    },
    parent,
  );
  return runIn(span, parent, async () => {
    const outcome = await fn();
    span.setAttribute("store.event.outcome", outcome);
    return outcome;
  });
}
