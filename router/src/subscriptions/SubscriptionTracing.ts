import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span, type SpanContext, type Tracer } from "@opentelemetry/api";
import { contextFrom, failSpan, traceCarrier, type TraceCarrier } from "@store/kit";
import { GraphQLError, type FormattedExecutionResult } from "../graphql.ts";
import { selectOperation, type PreparationCaches } from "../planning/prepareRequest.ts";
import type { PlannedSubscription } from "../planning/SupergraphPlanner.ts";
import type { ShapedResult } from "../shaping/shapeResponse.ts";
import { documentHash, errorCodes, failWithErrors, OperationTrace } from "../tracing/OperationTrace.ts";
import type { SubscriptionEnd } from "./ClientSubscription.ts";

/** How a traced subscription ended: as a running one does, or refused before it started (rate limit, planning, admission). */
export type TracedEnd = SubscriptionEnd | { by: "refused"; errors: readonly GraphQLError[] };

/** One Subscribe message: when it arrived (`performance.now()`), its document and the operation it names. */
export interface SubscribeMessage {
  receivedAt: number;
  query: string;
  /** The operation's own name (the document's, when the message named none). */
  operationName: string | undefined;
  /** The connection's request id (`store.request_id`). */
  requestId: string;
}

/** Computes an event's payload for a client, or takes the one computed for another (SharedEventResults); its entity fetches are spans of `fetches`. */
export type EventShare = (event: FormattedExecutionResult, fetches: OperationTrace) => Promise<ShapedResult>;

/**
 * The spans of the router's WebSocket operations, made only when tracing is
 * on (the endpoint holds no SubscriptionTracing otherwise, and every call
 * site skips on `undefined`: with tracing off an event costs one check):
 *
 * - `subscription <name>` (SERVER): one per client subscription, from its
 *   Subscribe message until it ends, with `graphql.prepare` (parse, limits,
 *   validation, variables) and `graphql.plan` below it. Its trace context
 *   travels upstream when its client opens the upstream subscription; a
 *   client that joins one another client opened links to the opener's span.
 * - `subscription event <name>` (CONSUMER): one per event and client, from
 *   the moment the event is taken up until graphql-ws has written its
 *   payload. Its parent is the trace context the owning subgraph put in the
 *   event (`extensions.traceparent`), so the delivery shows in the trace of
 *   whatever caused the event, with a link to the subscription span; an event
 *   without one is a child of the subscription span. The plan's entity
 *   fetches for the event are its children and carry its context.
 * - Queries and mutations sent over the socket: a SERVER span each (see
 *   startOperation), under which Apollo Server and the executor make their
 *   usual spans, as over HTTP.
 *
 * A Subscribe message refused before it became an operation gets one failed
 * SERVER span, named after the operation as far as its document tells.
 */
export class SubscriptionTracing {
  /** Subscription plans seen before: the planner hands out the same object for a plan from its cache. */
  readonly plans = new WeakSet<object>();
  /**
   * The span in which a shared event result was computed. SharedEventResults
   * hands every client of the same plan and variables the same promise; the
   * first client to ask runs the plan and registers here synchronously,
   * before any other client can ask.
   */
  readonly runners = new WeakMap<Promise<ShapedResult>, SpanContext>();

  constructor(readonly tracer: Tracer) {}

  /** The trace of a Subscribe message that prepared as a subscription (just now), started when it arrived. */
  startSubscription(message: SubscribeMessage): SubscriptionTrace {
    return new SubscriptionTrace(this, message);
  }

  /**
   * The span of a query or mutation sent over the socket, as the HTTP edge
   * makes one per request (RouterContext.trace: Apollo Server's and the
   * executor's spans go under it). End it with endOperation.
   */
  startOperation(message: SubscribeMessage, type: string): OperationTrace {
    const span = this.tracer.startSpan(message.operationName ? `${type} ${message.operationName}` : type, { kind: SpanKind.SERVER, startTime: epochOf(message.receivedAt) }, ROOT_CONTEXT);
    const operation = new OperationTrace(this.tracer, span, ROOT_CONTEXT);
    operation.describe(type, message.operationName, documentHash(message.query));
    if (operation.recording) span.setAttribute("store.request_id", message.requestId);
    return operation;
  }

  /** Ends a query's or mutation's span with its result (failed when it has errors). */
  endOperation(operation: OperationTrace, result: FormattedExecutionResult | undefined): void {
    if (result?.errors?.length) operation.failWith(errorCodes(result.errors));
    else if (!result && operation.recording) operation.span.setStatus({ code: SpanStatusCode.ERROR, message: "the operation failed in the router" });
    operation.span.end();
  }

  /** A Subscribe message refused in preparation: one failed span, `<type> <name>` as far as the document tells. */
  refused(message: SubscribeMessage & { supergraph: PreparationCaches; errors: readonly GraphQLError[] }): void {
    const operation = operationOf(message.supergraph, message.query, message.operationName);
    const name = operation ? (operation.name ? `${operation.type} ${operation.name}` : operation.type) : "GraphQL Operation";
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: epochOf(message.receivedAt) }, ROOT_CONTEXT);
    if (span.isRecording()) {
      span.setAttributes({
        ...(operation ? { "graphql.operation.type": operation.type } : {}),
        ...(operation?.name ? { "graphql.operation.name": operation.name } : {}),
        "graphql.document.hash": documentHash(message.query),
        "store.request_id": message.requestId,
      });
      failWithErrors(span, message.errors);
    }
    span.end();
  }
}

/** One client subscription's spans. After end(), every method leaves the spans alone. */
export class SubscriptionTrace {
  readonly span: Span;
  /** The subscription span's context: parent of preparation and planning, and of the events that bring no context. */
  readonly context: Context;
  private readonly recording: boolean;
  private readonly eventName: string;
  private eventAttributes: Attributes;
  /** What an event without a span of its own hands its fetches: the subscription's context, not recorded. */
  private untraced: OperationTrace | undefined;
  private delivered = 0;
  /** The event span whose payload graphql-ws is writing; it ends at the next pull. */
  private sending: Span | undefined;
  private ended = false;

  constructor(
    private readonly tracing: SubscriptionTracing,
    { receivedAt, query, operationName, requestId }: SubscribeMessage,
  ) {
    const preparedAt = Date.now();
    const startTime = epochOf(receivedAt, preparedAt);
    const suffix = operationName ? ` ${operationName}` : "";
    this.eventName = `subscription event${suffix}`;
    this.eventAttributes = { "graphql.operation.type": "subscription", ...(operationName ? { "graphql.operation.name": operationName } : {}) };
    // A root: over WebSocket the router takes no trace context from its clients.
    this.span = tracing.tracer.startSpan(`subscription${suffix}`, { kind: SpanKind.SERVER, startTime }, ROOT_CONTEXT);
    this.context = trace.setSpan(ROOT_CONTEXT, this.span);
    this.recording = this.span.isRecording();
    if (!this.recording) return;
    this.span.setAttributes({ ...this.eventAttributes, "graphql.document.hash": documentHash(query), "store.request_id": requestId });
    // Preparation ran before the message was known to be a subscription: its span is recorded after the fact.
    tracing.tracer.startSpan("graphql.prepare", { startTime }, this.context).end(preparedAt);
  }

  /** Runs the planning in a `graphql.plan` span (`store.plan.cache_hit`); the owning subgraph becomes `store.subgraph`. */
  plan(run: () => PlannedSubscription): PlannedSubscription {
    const span = this.recording ? this.tracing.tracer.startSpan("graphql.plan", {}, this.context) : undefined;
    try {
      const plan = run();
      this.eventAttributes = { ...this.eventAttributes, "store.subgraph": plan.primary.serviceName };
      if (span) {
        span.setAttribute("store.plan.cache_hit", this.tracing.plans.has(plan));
        this.tracing.plans.add(plan);
        this.span.setAttribute("store.subgraph", plan.primary.serviceName);
      }
      return plan;
    } catch (error) {
      if (span) failWithErrors(span, [error instanceof GraphQLError ? error : { extensions: { code: "QUERY_PLANNING_FAILED" } }]);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** The trace context an upstream subscription (or socket) this client opens carries to the subgraph. */
  upstreamCarrier(): TraceCarrier {
    return traceCarrier(this.context);
  }

  /** The client's subscription joined the upstream one `opener` opened: a link, when that was another client. */
  joined(opener: TraceCarrier | undefined): void {
    if (!this.recording || this.ended || !opener?.traceparent) return;
    const openerSpan = trace.getSpanContext(contextFrom(opener));
    if (!openerSpan || openerSpan.spanId === this.span.spanContext().spanId) return;
    this.span.setAttribute("store.subscription.shared_upstream", true);
    this.span.addLink({ context: openerSpan });
  }

  /**
   * One event's delivery, in its span: `share` (SharedEventResults around the
   * plan's `rest`) gets the OperationTrace its entity fetches are spans of,
   * and runs with the event span active (log lines carry its ids). A client
   * whose result another client's delivery computed gets
   * `store.subscription.shared_result` and a link to that delivery's span.
   */
  async deliver(event: FormattedExecutionResult, share: EventShare): Promise<ShapedResult> {
    const carrier = eventCarrier(event);
    // contextFrom gives the subscription's context back when the event's traceparent is malformed.
    const parent = carrier && !this.ended ? contextFrom(carrier, this.context) : this.context;
    const fromEvent = parent !== this.context;
    // The event's own sampling decision holds for its span: a delivery shows in a sampled
    // mutation's trace even when this subscription was not sampled, and the reverse.
    const span =
      fromEvent || (this.recording && !this.ended)
        ? this.tracing.tracer.startSpan(
            this.eventName,
            { kind: SpanKind.CONSUMER, attributes: this.eventAttributes, ...(fromEvent && this.recording ? { links: [{ context: this.span.spanContext() }] } : {}) },
            parent,
          )
        : undefined;
    const fetches = span ? new OperationTrace(this.tracing.tracer, span, parent) : (this.untraced ??= new OperationTrace(this.tracing.tracer, this.span, ROOT_CONTEXT));
    const pending = context.with(fetches.context, () => share(event, fetches));
    const runner = this.tracing.runners.get(pending);
    if (runner === undefined) {
      this.tracing.runners.set(pending, (span ?? this.span).spanContext());
    } else if (span?.isRecording()) {
      span.setAttribute("store.subscription.shared_result", true);
      if (runner.traceFlags & TraceFlags.SAMPLED) span.addLink({ context: runner });
    }
    if (!span) return pending;
    this.sending?.end();
    this.sending = span;
    let result: ShapedResult;
    try {
      result = await pending;
    } catch (error) {
      if (!this.ended) failSpan(span, error);
      throw error;
    }
    // The client may have left while the plan ran: its span ended with the subscription, nothing was delivered.
    if (this.ended) return result;
    this.delivered += 1;
    if (result.errors?.length && span.isRecording()) failWithErrors(span, result.errors);
    return result;
  }

  /** graphql-ws pulled the next payload: the previous one has been written. */
  pulled(): void {
    this.sending?.end();
    this.sending = undefined;
  }

  end(end: TracedEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.pulled();
    if (this.recording) {
      this.span.setAttributes({ "store.subscription.events": this.delivered, "store.subscription.end": end.by });
      if (end.by === "router") {
        // Closed for the client's sake (too slow to read, token expired): not a normal end.
        this.span.setAttribute("store.subscription.end_reason", end.reason);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: end.reason });
      } else if ((end.by === "upstream" || end.by === "refused") && end.errors?.length) {
        failWithErrors(this.span, end.errors);
      }
    }
    this.span.end();
  }
}

/**
 * A `performance.now()` moment as epoch milliseconds on Date.now()'s clock,
 * the clock a span's end falls back to (span.end() without a time when the
 * start was given): measured back from `now`, so a span's start and end
 * never come from clocks that drifted apart, and sub-millisecond steps keep
 * their length.
 */
function epochOf(moment: number, now: number = Date.now()): number {
  return now - (performance.now() - moment);
}

/** The trace context the owning subgraph put in an event, if any. */
function eventCarrier(event: FormattedExecutionResult): TraceCarrier | undefined {
  const extensions = event.extensions;
  if (!extensions || typeof extensions.traceparent !== "string") return undefined;
  return { traceparent: extensions.traceparent, tracestate: typeof extensions.tracestate === "string" ? extensions.tracestate : undefined };
}

/** The operation a refused message names, as far as its document (parsed and cached already) tells. */
function operationOf(supergraph: PreparationCaches, query: string, operationName: string | undefined): { type: string; name: string | undefined } | undefined {
  const document = supergraph.parse(query);
  if (document instanceof GraphQLError) return undefined;
  const operation = selectOperation(document, operationName);
  return operation instanceof GraphQLError ? undefined : { type: operation.operation, name: operation.name?.value };
}
