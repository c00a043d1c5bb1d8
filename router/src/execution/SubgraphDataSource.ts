import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { encodeIdentity, ERRORS, IdentityHeader, signRouterRequest, type Logger, type TraceCarrier } from "@store/kit";
import type { RouterContext } from "../context.ts";
import type { RouterMetrics } from "../metrics.ts";
import { errorCodes, failWithCodes } from "../tracing/OperationTrace.ts";

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  signingSecret: string;
  timeoutMs: number;
  metrics: RouterMetrics;
  logger: Logger;
}

/** W3C `tracestate`: beside the signed `traceparent`, unsigned. */
const TRACESTATE = "tracestate";

/**
 * One subgraph as @apollo/gateway's executor sees it (QUERY_EXECUTOR=gateway;
 * the router's own executor uses SubgraphFetcher.ts): every request is signed with the
 * caller's identity and carries the request id; it is bounded by a timeout;
 * and a subgraph that cannot be reached answers as a GraphQL error the
 * gateway labels with the subgraph's name, instead of failing the request.
 * When the operation is traced, each request is a `fetch <subgraph>` span and
 * carries that span's trace context (signed `traceparent`).
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  /** The trace context of each request in flight, from process() (which makes its span) to willSendRequest (which sets its headers). */
  private readonly carriers = new WeakMap<object, TraceCarrier>();
  private readonly server: { hostname: string; port: number };

  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({
      url: options.url,
      // Node's fetch keeps connections alive per origin; the timeout is per fetch.
      fetcher: ((input: string, init: RequestInit) => fetch(input, { ...signed(options, init), signal: AbortSignal.timeout(options.timeoutMs) })) as never,
    });
    const url = new URL(options.url);
    this.server = { hostname: url.hostname, port: Number(url.port) || (url.protocol === "https:" ? 443 : 80) };
  }

  /** Sets what the signature will vouch for; the fetcher signs it, with the body, once the gateway has serialized it. */
  override willSendRequest(options: Parameters<NonNullable<RemoteGraphQLDataSource<RouterContext>["willSendRequest"]>>[0]): void {
    const { request, context } = options;
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(IdentityHeader.Identity, encodeIdentity("identity" in context ? (context.identity ?? null) : null));
    if ("requestId" in context && context.requestId) headers.set(IdentityHeader.RequestId, context.requestId);
    if ("clientIp" in context && context.clientIp) headers.set(IdentityHeader.ClientIp, context.clientIp);
    // Only this fetch's own trace context is sent (and signed), whatever else set one.
    headers.delete(IdentityHeader.Traceparent);
    headers.delete(TRACESTATE);
    const carrier = this.carriers.get(options);
    if (carrier?.traceparent) headers.set(IdentityHeader.Traceparent, carrier.traceparent);
    if (carrier?.tracestate) headers.set(TRACESTATE, carrier.tracestate);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    let outcome = "ok";
    let status: number | undefined;
    let response: GatewayGraphQLResponse | undefined;
    const trace = "trace" in options.context ? options.context.trace : undefined;
    const span = trace?.startFetch(this.options.name, this.server);
    // RemoteGraphQLDataSource hands willSendRequest this same options object.
    if (trace) this.carriers.set(options, trace.carrierOf(span));
    try {
      response = await super.process(options);
      status = response.http?.status;
      if (response.errors?.length) outcome = "graphql_error";
      return response;
    } catch (error) {
      // A subgraph that refused the request with a GraphQL answer (400 bad
      // input, 429 throttled, 503 overloaded): its errors and codes pass
      // through, as with the router's own executor.
      status = statusOf(error);
      const answered = graphQLAnswerOf(error);
      if (answered) {
        outcome = "http_error";
        response = answered;
        return answered;
      }
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || /aborted|timeout/i.test(error.message));
      outcome = timedOut ? "timeout" : "unavailable";
      const requestId = "requestId" in options.context ? options.context.requestId : undefined;
      this.options.logger.warn({ subgraph: this.options.name, err: error, requestId }, "subgraph fetch failed");
      response = {
        errors: [
          {
            message: timedOut
              ? `Subgraph ${this.options.name} did not answer within ${this.options.timeoutMs} ms`
              : `Subgraph ${this.options.name} is unavailable`,
            extensions: { code: timedOut ? ERRORS.SUBGRAPH_TIMEOUT.code : ERRORS.SUBGRAPH_UNAVAILABLE.code },
          },
        ],
      };
      return response;
    } finally {
      this.options.metrics.subgraphFetch.observe({ subgraph: this.options.name, outcome }, (performance.now() - started) / 1000);
      if (span) {
        if (status !== undefined) span.setAttribute("http.response.status_code", status);
        span.setAttribute("store.fetch.outcome", outcome);
        if (outcome !== "ok") failWithCodes(span, response?.errors?.length ? errorCodes(response.errors) : [outcome]);
        span.end();
      }
    }
  }
}

/**
 * The request as RemoteGraphQLDataSource is about to send it, signed. Signing
 * here, not in willSendRequest, covers the body exactly as sent:
 * RemoteGraphQLDataSource serializes it (JSON.stringify of the request
 * without `http`, the query moved first) after willSendRequest has run, and
 * hands the fetcher the resulting string with the headers as a plain object.
 */
function signed(options: SubgraphDataSourceOptions, init: RequestInit): RequestInit {
  if (typeof init.body !== "string") throw new Error("RemoteGraphQLDataSource sent a body that is not a string: it cannot be signed");
  const headers = { ...(init.headers as Record<string, string>) };
  const header = (name: string) => headers[name] || undefined;
  const signature = signRouterRequest(options.signingSecret, {
    method: init.method ?? "POST",
    subgraph: options.name,
    body: init.body,
    identity: headers[IdentityHeader.Identity] ?? "",
    traceparent: header(IdentityHeader.Traceparent),
    clientIp: header(IdentityHeader.ClientIp),
    requestId: header(IdentityHeader.RequestId),
  });
  return { ...init, headers: { ...headers, ...signature } };
}

/** The HTTP status inside RemoteGraphQLDataSource's error for a non-2xx answer, when there is one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { extensions?: { response?: { status?: unknown } } } | null)?.extensions?.response?.status;
  return typeof status === "number" ? status : undefined;
}

/** The GraphQL response inside RemoteGraphQLDataSource's error for a non-2xx answer, when there is one. */
function graphQLAnswerOf(error: unknown): GatewayGraphQLResponse | undefined {
  const body = (error as { extensions?: { response?: { body?: unknown } } } | null)?.extensions?.response?.body;
  if (typeof body !== "object" || body === null) return undefined;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return { errors, ...(typeof data === "object" && !Array.isArray(data) ? { data: data as GatewayGraphQLResponse["data"] } : {}) } as GatewayGraphQLResponse;
}
