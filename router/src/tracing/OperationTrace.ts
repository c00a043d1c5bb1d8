import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type Tracer } from "@opentelemetry/api";
import { asyncContextInstalled, contextFrom, traceCarrier, type TraceCarrier } from "@store/kit";

/**
 * Span name of an operation the router never resolved (a body that does not
 * parse, a name that picks nothing): OpenTelemetry's GraphQL conventions.
 */
const UNRESOLVED = "GraphQL Operation";

/**
 * One GraphQL operation's trace at the router: its SERVER span, and what its
 * children (parse, validate, plan, fetches, shape) need. It travels on the
 * request's RouterContext (`trace`), explicitly: child spans get their parent
 * from here, not from the active context, so a request the sampler dropped
 * (`recording` false) makes no child spans and needs no context switch, and
 * still tells subgraphs, through `traceparent`, that it was not sampled.
 *
 * Attributes hold no variable values, tokens or error messages (clients
 * write them): codes, names and hashes only.
 */
export class OperationTrace {
  /** Whether the operation span is kept; when not, no child span is made. */
  readonly recording: boolean;
  /** The context whose span is the operation's: the parent of its children. */
  readonly context: Context;
  private rootCarrier: TraceCarrier | undefined;
  private failed = false;

  constructor(
    readonly tracer: Tracer,
    /** The operation's SERVER span. */
    readonly span: Span,
    parent: Context,
  ) {
    this.recording = span.isRecording();
    this.context = trace.setSpan(parent, span);
  }

  /** A child span of the operation (INTERNAL by default), or undefined when the operation is not recorded. */
  start(name: string, attributes?: Attributes, kind: SpanKind = SpanKind.INTERNAL, links?: Link[]): Span | undefined {
    if (!this.recording) return undefined;
    return this.tracer.startSpan(name, { kind, ...(attributes ? { attributes } : {}), ...(links ? { links } : {}) }, this.context);
  }

  /**
   * The CLIENT span of one subgraph fetch. `origin`: the span of the
   * identical fetch in flight this one waits for instead of sending its own
   * (de-duplication): linked, and this span is marked `store.fetch.deduplicated`.
   */
  startFetch(subgraph: string, server: { hostname: string; port: number }, origin?: SpanContext | undefined, deduplicated = false): Span | undefined {
    if (!this.recording) return undefined;
    return this.start(
      `fetch ${subgraph}`,
      {
        "store.subgraph": subgraph,
        "server.address": server.hostname,
        "server.port": server.port,
        "http.request.method": "POST",
        // The router does not retry subgraph fetches (a failed one becomes a labelled error).
        "store.fetch.attempt": 1,
        "store.fetch.deduplicated": deduplicated,
      },
      SpanKind.CLIENT,
      origin ? [{ context: origin }] : undefined,
    );
  }

  /**
   * The trace context a subgraph request carries: its fetch span's, or, when
   * the operation is not recorded, the operation's (its sampled flag off, so
   * subgraphs that follow their parent drop theirs too).
   */
  carrierOf(span: Span | undefined): TraceCarrier {
    if (span) return traceCarrier(trace.setSpan(this.context, span));
    return (this.rootCarrier ??= traceCarrier(this.context));
  }

  /**
   * Trace and span ids for a log line about this operation, where no async
   * context puts them there (the router alone: asyncContext in startTracing);
   * undefined when the logger's own mixin does, or nothing is recorded.
   */
  logFields(): { trace_id: string; span_id: string } | undefined {
    if (!this.recording || asyncContextInstalled()) return undefined;
    const { traceId, spanId } = this.span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  /** Names the operation span after the operation it runs (`query ProductPage`, or `query` when anonymous). */
  describe(type: string, name: string | null | undefined, documentHash: string | undefined): void {
    if (!this.recording) return;
    this.span.updateName(name ? `${type} ${name}` : type);
    this.span.setAttribute("graphql.operation.type", type);
    if (name) this.span.setAttribute("graphql.operation.name", name);
    if (documentHash) this.span.setAttribute("graphql.document.hash", documentHash);
  }

  /** The response holds errors: the operation span is failed, with their codes. */
  failWith(codes: readonly string[]): void {
    if (!this.recording || codes.length === 0) return;
    this.failed = true;
    failWithCodes(this.span, codes);
  }

  /** Ends the operation span when the HTTP exchange is over: `status` is undefined when no answer was sent (the client left). */
  end(status: number | undefined): void {
    if (this.recording) {
      if (status === undefined) {
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: "the client went away before the answer" });
      } else {
        this.span.setAttribute("http.response.status_code", status);
        // An error answer the GraphQL layer never described (401, 413, 500 from the HTTP edge).
        if (status >= 400 && !this.failed) this.span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      }
    }
    this.span.end();
  }
}

/** Starts the operation span of one HTTP request. */
export function startOperationTrace(tracer: Tracer, req: IncomingMessage, trustTraceparent: boolean): OperationTrace {
  const header = req.headers.traceparent;
  let parent = ROOT_CONTEXT;
  let links: Link[] | undefined;
  if (typeof header === "string") {
    const state = req.headers.tracestate;
    const remote = contextFrom({ traceparent: header, tracestate: typeof state === "string" ? state : undefined });
    const client = trace.getSpanContext(remote);
    // Behind a proxy that starts traces, its context is the parent. On a
    // public edge a client must not pick the trace it joins nor whether it is
    // sampled: a new trace, which links to the client's context.
    if (client) {
      if (trustTraceparent) parent = remote;
      else links = [{ context: client }];
    }
  }
  const span = tracer.startSpan(UNRESOLVED, { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method ?? "GET" }, ...(links ? { links } : {}) }, parent);
  return new OperationTrace(tracer, span, parent);
}

/** Marks a span failed by error codes: status ERROR (the codes as its message, never the errors' messages) and `store.error.codes`. */
export function failWithCodes(span: Span, codes: readonly string[]): void {
  const distinct = [...new Set(codes)];
  span.setStatus({ code: SpanStatusCode.ERROR, message: distinct.join(", ") });
  span.setAttribute("store.error.codes", distinct);
}

type ErrorLike = { readonly extensions?: { readonly [key: string]: unknown } | undefined };

/**
 * Marks a span failed by these errors: their codes (failWithCodes), and the
 * limits exceeded (`store.limit.exceeded`: depth, cost, ...) for OPERATION_LIMIT_EXCEEDED.
 */
export function failWithErrors(span: Span, errors: readonly ErrorLike[]): void {
  failWithCodes(span, errorCodes(errors));
  const limits = errors.flatMap((error) => (typeof error.extensions?.limit === "string" ? [error.extensions.limit] : []));
  if (limits.length > 0) span.setAttribute("store.limit.exceeded", limits);
}

/** The `extensions.code` of each error (INTERNAL_SERVER_ERROR when it has none). */
export function errorCodes(errors: readonly ErrorLike[] | undefined): string[] {
  return errors?.map((error) => (typeof error.extensions?.code === "string" ? error.extensions.code : "INTERNAL_SERVER_ERROR")) ?? [];
}

/** `graphql.document.hash` of a document the router holds no hash of: sha256 of its text, hex (as Apollo Server's `queryHash`). */
export function documentHash(query: string): string {
  return createHash("sha256").update(query).digest("hex");
}
