import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { encodeIdentity, ERRORS, IdentityHeader, signRouterRequest, type Logger } from "@store/kit";
import type { RouterContext } from "../context.ts";
import type { RouterMetrics } from "../metrics.ts";

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  signingSecret: string;
  timeoutMs: number;
  metrics: RouterMetrics;
  logger: Logger;
}

/**
 * One subgraph as @apollo/gateway's executor sees it (QUERY_EXECUTOR=gateway;
 * the router's own executor uses SubgraphFetcher.ts): every request is signed with the
 * caller's identity and carries the request id; it is bounded by a timeout;
 * and a subgraph that cannot be reached answers as a GraphQL error the
 * gateway labels with the subgraph's name, instead of failing the request.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({
      url: options.url,
      // Node's fetch keeps connections alive per origin; the timeout is per fetch.
      fetcher: ((input: string, init: RequestInit) => fetch(input, { ...signed(options, init), signal: AbortSignal.timeout(options.timeoutMs) })) as never,
    });
  }

  /** Sets what the signature will vouch for; the fetcher signs it, with the body, once the gateway has serialized it. */
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<RouterContext>["willSendRequest"]>>[0]): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(IdentityHeader.Identity, encodeIdentity("identity" in context ? (context.identity ?? null) : null));
    if ("requestId" in context && context.requestId) headers.set(IdentityHeader.RequestId, context.requestId);
    if ("clientIp" in context && context.clientIp) headers.set(IdentityHeader.ClientIp, context.clientIp);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    let outcome = "ok";
    try {
      const response = await super.process(options);
      if (response.errors?.length) outcome = "graphql_error";
      return response;
    } catch (error) {
      // A subgraph that refused the request with a GraphQL answer (400 bad
      // input, 429 throttled, 503 overloaded): its errors and codes pass
      // through, as with the router's own executor.
      const answered = graphQLAnswerOf(error);
      if (answered) {
        outcome = "http_error";
        return answered;
      }
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || /aborted|timeout/i.test(error.message));
      outcome = timedOut ? "timeout" : "unavailable";
      const requestId = "requestId" in options.context ? options.context.requestId : undefined;
      this.options.logger.warn({ subgraph: this.options.name, err: error, requestId }, "subgraph fetch failed");
      return {
        errors: [
          {
            message: timedOut
              ? `Subgraph ${this.options.name} did not answer within ${this.options.timeoutMs} ms`
              : `Subgraph ${this.options.name} is unavailable`,
            extensions: { code: timedOut ? ERRORS.SUBGRAPH_TIMEOUT.code : ERRORS.SUBGRAPH_UNAVAILABLE.code },
          },
        ],
      };
    } finally {
      this.options.metrics.subgraphFetch.observe({ subgraph: this.options.name, outcome }, (performance.now() - started) / 1000);
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

/** The GraphQL response inside RemoteGraphQLDataSource's error for a non-2xx answer, when there is one. */
function graphQLAnswerOf(error: unknown): GatewayGraphQLResponse | undefined {
  const body = (error as { extensions?: { response?: { body?: unknown } } } | null)?.extensions?.response?.body;
  if (typeof body !== "object" || body === null) return undefined;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return { errors, ...(typeof data === "object" && !Array.isArray(data) ? { data: data as GatewayGraphQLResponse["data"] } : {}) } as GatewayGraphQLResponse;
}
