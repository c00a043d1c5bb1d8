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

/** One HTTP exchange's raw answer, or the GraphQL error that stands for its failure. */
type Exchange = { status: number; text: string } | { error: SubgraphResponse };

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
  /** Shared exchanges in flight, by caller identity and request body. */
  private readonly inFlight = new Map<string, Promise<Exchange>>();

  constructor(private readonly options: SubgraphClientOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, { connections: options.connections ?? 64, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
  }

  /**
   * Sends one operation; `headers` carry the signed identity and request id.
   * With `shareAs` (the caller's identity, for read-only operations), an
   * identical request already in flight for the same identity is not sent
   * again: both callers get its answer, each parsed into its own objects.
   */
  async send(request: SubgraphRequest, headers: Readonly<Record<string, string>>, shareAs?: string): Promise<SubgraphResponse> {
    const body = requestBody(request);
    let exchange: Promise<Exchange>;
    if (shareAs === undefined) {
      exchange = this.exchange(body, headers);
    } else {
      const key = `${shareAs}\n${body}`;
      const inFlight = this.inFlight.get(key);
      if (inFlight) {
        this.options.metrics.subgraphFetchesShared.inc({ subgraph: this.options.name });
        exchange = inFlight;
      } else {
        exchange = this.exchange(body, headers).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, exchange);
      }
    }
    const result = await exchange;
    if ("error" in result) return result.error;
    const parsed = parseGraphQLResponse(result.text);
    if (!parsed) {
      this.options.logger.warn({ subgraph: this.options.name, status: result.status, body: result.text.slice(0, 200) }, "subgraph answered without a GraphQL response");
      return unavailable(`Subgraph ${this.options.name} answered HTTP ${result.status} without a GraphQL response`);
    }
    return parsed;
  }

  /** One HTTP exchange with the subgraph: its raw answer, or the GraphQL error that stands for a failure. */
  private async exchange(body: string, headers: Readonly<Record<string, string>>): Promise<Exchange> {
    const { name, timeoutMs, metrics, logger } = this.options;
    const started = performance.now();
    let outcome = "ok";
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
      });
      const text = await response.body.text();
      // Parsed by each caller; for the metric, a glance: an error status, or a body with errors.
      if (response.statusCode >= 300) outcome = "http_error";
      else if (text.includes('"errors"')) outcome = "graphql_error";
      return { status: response.statusCode, text };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "HeadersTimeoutError" || error.name === "BodyTimeoutError" || /timeout/i.test(error.message));
      outcome = timedOut ? "timeout" : "unavailable";
      logger.warn({ subgraph: name, err: error }, "subgraph fetch failed");
      return {
        error: timedOut
          ? { errors: [{ message: `Subgraph ${name} did not answer within ${timeoutMs} ms`, extensions: { code: RouterErrorCode.SubgraphTimeout } }] }
          : unavailable(`Subgraph ${name} is unavailable`),
      };
    } finally {
      metrics.subgraphFetch.observe({ subgraph: name, outcome }, (performance.now() - started) / 1000);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** `{"query":…,"operationName":…,"variables":` per fetch operation, kept: the operation text is escaped once, not per request. */
const bodyPrefixes = new Map<string, string>();

function requestBody(request: SubgraphRequest): string {
  const key = `${request.operationName ?? ""}\n${request.query}`;
  let prefix = bodyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"query":${JSON.stringify(request.query)},${request.operationName === undefined ? "" : `"operationName":${JSON.stringify(request.operationName)},`}"variables":`;
    // Bounded by the plans the router holds; cleared wholesale if it ever outgrows them.
    if (bodyPrefixes.size >= 5000) bodyPrefixes.clear();
    bodyPrefixes.set(key, prefix);
  }
  return `${prefix}${JSON.stringify(request.variables)}}`;
}

function unavailable(message: string): SubgraphResponse {
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
