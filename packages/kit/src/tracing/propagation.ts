import { context, isSpanContextValid, ROOT_CONTEXT, trace, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { TraceContext } from "@store/events";

/**
 * W3C trace context in and out of the places it travels: signed subgraph
 * headers, graphql-ws connection params, outbox rows and event envelopes,
 * NATS headers. One propagator instance, used directly, so it works whether
 * or not a global one was registered.
 */
const propagator = new W3CTraceContextPropagator();

/** The trace context as it travels: `traceparent` and, when there is one, `tracestate` (the events package's TraceContext). */
export type TraceCarrier = TraceContext;

const setter: TextMapSetter<TraceCarrier> = {
  set(carrier, key, value) {
    if (key === "traceparent" || key === "tracestate") carrier[key] = value;
  },
};

const getter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === "traceparent" || key === "tracestate" ? carrier[key] : undefined),
};

/** The trace context of `ctx` (the active one by default), or `{}` when it holds no valid span. */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier {
  const span = trace.getSpan(ctx);
  if (!span || !isSpanContextValid(span.spanContext())) return {};
  const carrier: TraceCarrier = {};
  propagator.inject(ctx, carrier, setter);
  return carrier;
}

/** The active `traceparent`, or undefined outside a span. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  return traceCarrier(ctx).traceparent;
}

/**
 * A context whose parent is the remote span the carrier names, on top of
 * `base` (the root context by default). A missing or malformed traceparent
 * gives `base` unchanged: a bad header starts a new trace, it never fails.
 */
export function contextFrom(carrier: TraceCarrier | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!carrier?.traceparent) return base;
  return propagator.extract(base, carrier, getter);
}

/** Trace and span ids for a log line written in `ctx`, or undefined outside a span. */
export function logIds(ctx: Context = context.active()): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpan(ctx);
  if (!span) return undefined;
  const ids = span.spanContext();
  return isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
}
