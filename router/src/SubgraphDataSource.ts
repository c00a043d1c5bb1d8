import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { IdentityHeader, signIdentityHeaders, type Logger } from "@store/kit";
import type { RouterContext } from "./context.ts";
import { RouterErrorCode } from "./errors.ts";
import type { RouterMetrics } from "./metrics.ts";

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
 * the router's own executor uses execution/SubgraphClient.ts): every request is signed with the
 * caller's identity and carries the request id; it is bounded by a timeout;
 * and a subgraph that cannot be reached answers as a GraphQL error the
 * gateway labels with the subgraph's name, instead of failing the request.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {
    super({
      url: options.url,
      // Node's fetch keeps connections alive per origin; the timeout is per fetch.
      fetcher: ((input: string, init: RequestInit) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) })) as never,
    });
  }

  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<RouterContext>["willSendRequest"]>>[0]): void {
    const headers = request.http?.headers;
    if (!headers) return;
    const identity = "identity" in context ? (context.identity ?? null) : null;
    for (const [key, value] of Object.entries(signIdentityHeaders(this.options.signingSecret, identity))) headers.set(key, value);
    if ("requestId" in context && context.requestId) headers.set(IdentityHeader.RequestId, context.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    let outcome = "ok";
    try {
      const response = await super.process(options);
      if (response.errors?.length) outcome = "graphql_error";
      return response;
    } catch (error) {
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
            extensions: { code: timedOut ? RouterErrorCode.SubgraphTimeout : RouterErrorCode.SubgraphUnavailable },
          },
        ],
      };
    } finally {
      this.options.metrics.subgraphFetch.observe({ subgraph: this.options.name, outcome }, (performance.now() - started) / 1000);
    }
  }
}
