import type { Span, SpanContext } from "@opentelemetry/api";
import { Pool } from "undici";
import { createBoundedCache } from "./createBoundedCache.ts";
import { RequestDeadline, type AbortWatch } from "./RequestDeadline.ts";
import { ERRORS, type Logger, type TraceCarrier } from "@store/kit";
import type { RouterMetrics } from "../metrics.ts";
import { errorCodes, failWithCodes, type OperationTrace } from "../tracing/OperationTrace.ts";
import type { SubgraphRequest, SubgraphResponse } from "./executePlanNode.ts";
import { parseObject } from "./jsonObject.ts";

export interface SubgraphFetcherOptions {
  name: string;
  url: string;
  timeoutMs: number;
  metrics: RouterMetrics;
  logger: Logger;
  /**
   * Keep-alive connections held open to the subgraph at most.
   * @default 64
   */
  connections?: number;
}

/**
 * Signs one exchange: the headers (signed identity, request id, trace
 * context, nonce, signature) for exactly this body sent to this subgraph.
 * Called once per exchange actually sent, with the bytes sent and the trace
 * context of its fetch span, if any.
 */
export type SignRequest = (subgraph: string, body: string, trace?: TraceCarrier) => Readonly<Record<string, string>>;

/** An exchange shared by identical fetches in flight, and who still waits for it. */
interface SharedExchange {
  exchange: Promise<Exchange>;
  controller: RequestDeadline;
  /** Callers with a deadline still waiting. */
  waiting: number;
  /** A caller without a deadline waits too: never aborted. */
  forever?: boolean;
  /** The fetch span of the caller that sent it, whose context the exchange carries: the others' spans link to it. */
  origin?: SpanContext | undefined;
}

/**
 * How an exchange ended, as `router_subgraph_fetch_duration_seconds` and the
 * fetch span's `store.fetch.outcome` say it.
 */
type Outcome = "ok" | "http_error" | "graphql_error" | "aborted" | "timeout" | "unavailable";

/** One HTTP exchange's raw answer, or the GraphQL error that stands for its failure. */
type Exchange = { status: number; text: string; outcome: Outcome } | { error: SubgraphResponse; outcome: Outcome };

/**
 * The router's HTTP client for one subgraph (the fetches of query plans; the
 * WebSocket side is subscriptions/UpstreamPool.ts): a pool of keep-alive
 * connections (undici), one POST per fetch. Every failure
 * (refused, reset, timeout, an answer that is not GraphQL) comes back as a
 * GraphQL error with a stable code, never as a rejection, so one subgraph
 * down leaves the rest of the response intact.
 */
export class SubgraphFetcher {
  private readonly pool: Pool;
  private readonly path: string;
  /** `server.address` and `server.port` of fetch spans. */
  private readonly server: { hostname: string; port: number };
  /** Shared exchanges in flight, by caller identity and request body. */
  private readonly inFlight = new Map<string, SharedExchange>();

  constructor(private readonly options: SubgraphFetcherOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.server = { hostname: url.hostname, port: Number(url.port) || (url.protocol === "https:" ? 443 : 80) };
    this.pool = new Pool(url.origin, { connections: options.connections ?? 64, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  }

  /**
   * Sends one operation, signed by `sign` over the body it sends. With
   * `shareAs` (the caller's identity, for read-only operations), an identical
   * request already in flight for the same identity is not sent (nor signed)
   * again: both callers get its answer, each parsed into its own objects.
   *
   * With `trace`, the fetch is a CLIENT span of the operation (when it is
   * recorded) and the request carries its trace context. A shared exchange
   * carries the context of the caller that sent it; each caller waiting for it
   * has a span of its own, `store.fetch.deduplicated`, linked to that one. The
   * trace context is not part of what makes two fetches identical.
   */
  async send(request: SubgraphRequest, sign: SignRequest, shareAs?: string, signal?: AbortWatch, trace?: OperationTrace): Promise<SubgraphResponse> {
    if (signal?.aborted) return aborted(this.options.name);
    const { name } = this.options;
    const body = requestBody(request);
    let exchange: Promise<Exchange>;
    let span: Span | undefined;
    if (shareAs === undefined) {
      // Not shared: the caller's deadline or disconnect aborts the exchange itself.
      span = trace?.startFetch(name, this.server);
      exchange = this.exchange(body, sign(name, body, trace?.carrierOf(span)), signal, trace?.logFields());
    } else {
      const key = `${shareAs}\n${body}`;
      let shared = this.inFlight.get(key);
      if (shared) {
        this.options.metrics.subgraphFetchesShared.inc({ subgraph: name });
        span = trace?.startFetch(name, this.server, shared.origin, true);
      } else {
        span = trace?.startFetch(name, this.server);
        const controller = new RequestDeadline();
        const entry: SharedExchange = { exchange: undefined as unknown as Promise<Exchange>, controller, waiting: 0, origin: span?.spanContext() };
        entry.exchange = this.exchange(body, sign(name, body, trace?.carrierOf(span)), controller, trace?.logFields()).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, entry);
        shared = entry;
      }
      exchange = shared.exchange;
      // Aborted when every caller waiting for it has stopped waiting (a caller
      // without a deadline waits for good); until then it runs on for the others.
      if (signal) {
        const entry = shared;
        entry.waiting += 1;
        const stopWaiting = () => --entry.waiting === 0 && !entry.forever && entry.controller.abort(new Error("every caller stopped waiting"));
        signal.addEventListener("abort", stopWaiting);
        void entry.exchange.then(() => signal.removeEventListener("abort", stopWaiting));
      } else {
        shared.forever = true;
      }
    }
    const result = signal && shareAs !== undefined ? await untilAborted(exchange, signal, name) : await exchange;
    let response: SubgraphResponse;
    if ("error" in result) {
      response = result.error;
    } else {
      const parsed = parseGraphQLResponse(result.text);
      if (!parsed) this.options.logger.warn({ subgraph: name, status: result.status, body: result.text.slice(0, 200), ...trace?.logFields() }, "subgraph answered without a GraphQL response");
      response = parsed ?? unavailable(`Subgraph ${name} answered HTTP ${result.status} without a GraphQL response`);
    }
    if (span) endFetchSpan(span, result, response);
    return response;
  }

  /** One HTTP exchange with the subgraph: its raw answer, or the GraphQL error that stands for a failure. `logFields` go on its log line. */
  private async exchange(body: string, headers: Readonly<Record<string, string>>, signal?: AbortWatch, logFields?: Record<string, string>): Promise<Exchange> {
    const { name, timeoutMs, metrics, logger } = this.options;
    const started = performance.now();
    let outcome: Outcome = "ok";
    try {
      const response = await this.pool.request({
        path: this.path,
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "application/json" },
        body,
        // Per phase (no timer per request): the answer must start within the
        // timeout, and no gap while it streams may exceed it.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(signal ? { signal: signal as AbortSignal } : {}),
      });
      const text = await response.body.text();
      // Parsed by each caller; for the metric, a glance: an error status, or a body with errors.
      if (response.statusCode >= 300) outcome = "http_error";
      else if (text.includes('"errors"')) outcome = "graphql_error";
      return { status: response.statusCode, text, outcome };
    } catch (error) {
      if (signal?.aborted) {
        outcome = "aborted";
        return { error: aborted(name), outcome };
      }
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "HeadersTimeoutError" || error.name === "BodyTimeoutError" || /timeout/i.test(error.message));
      outcome = timedOut ? "timeout" : "unavailable";
      logger.warn({ subgraph: name, err: error, ...logFields }, "subgraph fetch failed");
      return {
        error: timedOut
          ? { errors: [{ message: `Subgraph ${name} did not answer within ${timeoutMs} ms`, extensions: { code: ERRORS.SUBGRAPH_TIMEOUT.code } }] }
          : unavailable(`Subgraph ${name} is unavailable`),
        outcome,
      };
    } finally {
      metrics.subgraphFetch.observe({ subgraph: name, outcome }, (performance.now() - started) / 1000);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * `{"query":…,"operationName":…,"variables":` per fetch operation, kept: the
 * operation text is escaped once, not per request. Bounded by count and bytes
 * like the plans the operations come from.
 */
const bodyPrefixes = createBoundedCache<{ prefix: string }>({ max: 5000, maxBytes: 16 * 1024 * 1024, sizeOf: (key, value) => 2 * (key.length + value.prefix.length) });

function requestBody(request: SubgraphRequest): string {
  const key = `${request.operationName ?? ""}\n${request.query}`;
  let prefix = bodyPrefixes.get(key)?.prefix;
  if (prefix === undefined) {
    prefix = `{"query":${JSON.stringify(request.query)},${request.operationName === undefined ? "" : `"operationName":${JSON.stringify(request.operationName)},`}"variables":`;
    bodyPrefixes.set(key, { prefix });
  }
  return `${prefix}${JSON.stringify(request.variables)}}`;
}

/** The answer for a fetch its request no longer waits for (the deadline passed, or the client went away). */
function aborted(name: string): SubgraphResponse {
  return { errors: [{ message: `The request's deadline passed before subgraph ${name} answered`, extensions: { code: ERRORS.REQUEST_TIMEOUT.code } }] };
}

/** `exchange`, or the aborted answer as soon as `signal` fires, whichever comes first. */
function untilAborted(exchange: Promise<Exchange>, signal: AbortWatch, name: string): Promise<Exchange> {
  if (signal.aborted) return Promise.resolve({ error: aborted(name), outcome: "aborted" });
  return new Promise((resolve) => {
    const onAbort = () => resolve({ error: aborted(name), outcome: "aborted" });
    signal.addEventListener("abort", onAbort);
    void exchange.then((result) => {
      signal.removeEventListener("abort", onAbort);
      resolve(result);
    });
  });
}

/**
 * Ends a fetch span with what came back: the HTTP status, the outcome, and,
 * unless it is "ok" with a GraphQL answer, status ERROR with the codes the
 * caller got (never the errors' messages: subgraphs may echo user input).
 */
function endFetchSpan(span: Span, result: Exchange, response: SubgraphResponse): void {
  if ("status" in result) span.setAttribute("http.response.status_code", result.status);
  span.setAttribute("store.fetch.outcome", result.outcome);
  if (result.outcome !== "ok" || response.errors?.length) failWithCodes(span, response.errors?.length ? errorCodes(response.errors) : [result.outcome]);
  span.end();
}

function unavailable(message: string): SubgraphResponse {
  return { errors: [{ message, extensions: { code: ERRORS.SUBGRAPH_UNAVAILABLE.code } }] };
}

/** A GraphQL response (`data` and/or `errors`), or undefined for anything else (an HTML error page, a proxy's 502). */
function parseGraphQLResponse(text: string): SubgraphResponse | undefined {
  const response = parseObject(text) as SubgraphResponse | undefined;
  if (!response) return undefined;
  const hasData = "data" in response && (response.data === null || (typeof response.data === "object" && !Array.isArray(response.data)));
  const hasErrors = Array.isArray(response.errors) && response.errors.length > 0;
  return hasData || hasErrors ? response : undefined;
}
