import { ERRORS } from "@store/kit";
import type { RouterContext } from "../context.ts";
import { toFormatted, type FormatError } from "../edge/formatError.ts";
import type { GraphQLError, GraphQLFormattedError, OperationDefinitionNode } from "../graphql.ts";
import type { RouterMetrics } from "../metrics.ts";
import type { SupergraphPlanner } from "../planning/SupergraphPlanner.ts";
import type { SpendBudget } from "../plugins/useRateLimit.ts";
import { documentHash, errorCodes, type OperationTrace } from "../tracing/OperationTrace.ts";
import { parseObject, type JsonObject } from "./jsonObject.ts";
import type { QueryExecutor } from "./QueryExecutor.ts";

export interface FastPathOptions {
  executor: QueryExecutor;
  planner: SupergraphPlanner;
  metrics: RouterMetrics;
  /** The same error formatting (masking) Apollo Server applies. */
  formatError: FormatError;
  /**
   * Called once the operation's type is known, before anything is planned:
   * a RATE_LIMITED error is answered 429 with `Retry-After`.
   */
  spendBudget?: SpendBudget;
}

/** A complete HTTP answer: status, serialized GraphQL response, extra headers. */
export interface FastAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FastPath {
  /**
   * Runs a JSON POST body when it is a plain GraphQL request (query,
   * operationName, variables; no extensions) that is not introspection:
   * every such request is answered here, errors included (4xx with a
   * documented code). Returns undefined to hand the request to Apollo
   * Server, which answers everything else (GET, APQ, trusted documents,
   * introspection) with the same limits through the router's guard plugin.
   */
  run(body: string, context: RouterContext): Promise<FastAnswer | undefined>;
}

interface ParsedRequest {
  query: string;
  operationName: string | undefined;
  variables: JsonObject;
}

/** The body as a plain GraphQL request, or undefined for anything else. */
function plainRequest(body: string): ParsedRequest | undefined {
  const value = parseObject(body);
  if (!value) return undefined;
  const { query, operationName, variables, extensions, ...rest } = value;
  // An empty query is Apollo Server's to refuse (BAD_REQUEST), as on every other path.
  if (typeof query !== "string" || query === "" || Object.keys(rest).length > 0) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return undefined;
  if (extensions !== undefined && (typeof extensions !== "object" || extensions === null || Array.isArray(extensions) || Object.keys(extensions).length > 0)) return undefined;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? {}) as JsonObject };
}

const INTROSPECTION = /\b__(schema|type)\b/;

/** Names the operation span after the operation picked, if one was. */
function describe(trace: OperationTrace, operation: OperationDefinitionNode | undefined, query: string): void {
  if (operation) trace.describe(operation.operation, operation.name?.value, documentHash(query));
  else trace.span.setAttribute("graphql.document.hash", documentHash(query));
}

/**
 * The router's own request path for JSON POSTs, without Apollo Server's
 * per-request pipeline: documents parsed, measured against the operation
 * limits and validated once per supergraph (the snapshot keeps them),
 * variables coerced, then the query executor, with Apollo Server's response
 * format and error masking.
 */
export function createFastPath({ executor, planner, metrics, formatError, spendBudget }: FastPathOptions): FastPath {
  const refuse = (status: number, errors: readonly GraphQLError[], headers?: Record<string, string>, trace?: OperationTrace): FastAnswer => {
    const formatted = errors.map((error) => formatError(toFormatted(error), error));
    trace?.failWith(errorCodes(formatted));
    return { status, body: JSON.stringify({ errors: formatted }), ...(headers ? { headers } : {}) };
  };

  return {
    async run(body, context) {
      const request = plainRequest(body);
      if (!request || INTROSPECTION.test(request.query)) return undefined;
      const snapshot = planner.current();
      if (!snapshot) return undefined;
      const trace = context.trace?.recording ? context.trace : undefined;
      const prepared = snapshot.prepare(request.query, request.operationName, request.variables, trace);
      if (trace) describe(trace, prepared.operation, request.query);
      if ("errors" in prepared) {
        metrics.requests.inc({ operation_type: prepared.operation?.operation ?? "unknown", operation_name: metrics.operationName(prepared.operation, request.operationName), status: "error" });
        return refuse(prepared.status, prepared.errors, undefined, trace);
      }
      const { document, operation } = prepared;
      if (operation.operation === "subscription") {
        return refuse(400, [ERRORS.OPERATION_NOT_SUPPORTED.err("Subscriptions are served over WebSocket (graphql-transport-ws) on this endpoint, not over HTTP")], undefined, trace);
      }
      const refused = await spendBudget?.(context, operation.operation);
      if (refused) return refuse(429, [refused], { "retry-after": String(refused.extensions.retryAfterSeconds) }, trace);

      const started = performance.now();
      const result = await executor.execute({ documentKey: request.query, document, operationName: request.operationName, variables: request.variables, context });
      const errors = result.errors?.map((error) => formatError(toFormatted(error), error));
      const labels = { operation_type: operation.operation, operation_name: metrics.operationName(operation, request.operationName) };
      metrics.requests.inc({ ...labels, status: errors?.length ? "error" : "ok" });
      metrics.requestDuration.observe(labels, (performance.now() - started) / 1000);
      if (trace && errors?.length) trace.failWith(errorCodes(errors));
      // Apollo Server's field order: errors, data, extensions.
      return { ...statusOf(result.data, errors), body: JSON.stringify({ errors, data: result.data, extensions: result.extensions }) };
    },
  };
}

const RETRYABLE: Readonly<Record<string, number>> = { SERVICE_OVERLOADED: 503, RATE_LIMITED: 429 };

/**
 * 200, except when no data came back and every error is a subgraph's
 * retryable refusal (overloaded, throttled): then the subgraph's status
 * passes through, 503 or 429, with `Retry-After`. With data, the header
 * still tells the client when the failed part may be tried again.
 */
function statusOf(data: unknown, errors: readonly GraphQLFormattedError[] | undefined): { status: number; headers?: Record<string, string> } {
  let retryAfter = 0;
  let status = 0;
  for (const error of errors ?? []) {
    const code = String(error.extensions?.code);
    const retryable = RETRYABLE[code];
    if (retryable === undefined) {
      status = 200;
      continue;
    }
    if (status !== 200) status = Math.max(status, retryable);
    const seconds = Number(error.extensions?.retryAfterSeconds);
    retryAfter = Math.max(retryAfter, Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 1);
  }
  const headers = retryAfter > 0 ? { "retry-after": String(retryAfter) } : undefined;
  return { status: data == null && status > 200 ? status : 200, ...(headers ? { headers } : {}) };
}
