import { Pool } from "undici";
import type { Logger } from "@store/kit";
import { RouterErrorCode } from "../errors.ts";
import type { RouterMetrics } from "../metrics.ts";
import type { SubgraphRequest, SubgraphResponse } from "./executePlanNode.ts";

export interface SubgraphClientOptions {
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
 * The router's HTTP client for one subgraph: a pool of keep-alive
 * connections (undici), one POST per fetch of a query plan. Every failure
 * (refused, reset, timeout, an answer that is not GraphQL) comes back as a
 * GraphQL error with a stable code, never as a rejection, so one subgraph
 * down leaves the rest of the response intact.
 */
export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly options: SubgraphClientOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, { connections: options.connections ?? 64, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  }

  /** Sends one operation; `headers` carry the signed identity and request id. */
  async send(request: SubgraphRequest, headers: Readonly<Record<string, string>>): Promise<SubgraphResponse> {
    const { name, timeoutMs, metrics, logger } = this.options;
    const started = performance.now();
    let outcome = "ok";
    try {
      const response = await this.pool.request({
        path: this.path,
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(request),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.body.text();
      const parsed = parseGraphQLResponse(text);
      if (!parsed) {
        outcome = "unavailable";
        logger.warn({ subgraph: name, status: response.statusCode, body: text.slice(0, 200) }, "subgraph answered without a GraphQL response");
        return unavailable(name, `Subgraph ${name} answered HTTP ${response.statusCode} without a GraphQL response`);
      }
      if (parsed.errors?.length) outcome = "graphql_error";
      return parsed;
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "HeadersTimeoutError" || error.name === "BodyTimeoutError" || /timeout/i.test(error.message));
      outcome = timedOut ? "timeout" : "unavailable";
      logger.warn({ subgraph: name, err: error }, "subgraph fetch failed");
      return timedOut
        ? { errors: [{ message: `Subgraph ${name} did not answer within ${timeoutMs} ms`, extensions: { code: RouterErrorCode.SubgraphTimeout } }] }
        : unavailable(name, `Subgraph ${name} is unavailable`);
    } finally {
      metrics.subgraphFetch.observe({ subgraph: name, outcome }, (performance.now() - started) / 1000);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function unavailable(_name: string, message: string): SubgraphResponse {
  return { errors: [{ message, extensions: { code: RouterErrorCode.SubgraphUnavailable } }] };
}

/** A GraphQL response (`data` and/or `errors`), or undefined for anything else (an HTML error page, a proxy's 502). */
function parseGraphQLResponse(text: string): SubgraphResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const response = value as SubgraphResponse;
  const hasData = "data" in response && (response.data === null || (typeof response.data === "object" && !Array.isArray(response.data)));
  const hasErrors = Array.isArray(response.errors) && response.errors.length > 0;
  return hasData || hasErrors ? response : undefined;
}
