import { getOperationAST, GraphQLError, type DocumentNode, type GraphQLFormattedError } from "../graphql.ts";
import type { RouterContext } from "../context.ts";
import type { RouterMetrics } from "../metrics.ts";
import type { QueryExecutor } from "./QueryExecutor.ts";
import type { JsonObject } from "./executePlanNode.ts";
import type { SupergraphPlanner, SupergraphSnapshot } from "./SupergraphPlanner.ts";

export interface FastPathOptions {
  executor: QueryExecutor;
  planner: SupergraphPlanner;
  metrics: RouterMetrics;
  /** The same error formatting (masking) Apollo Server applies. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

export interface FastPath {
  /**
   * Runs a JSON POST body when it is the common case: a valid query or
   * mutation, no persisted-query or other extensions, no introspection.
   * Returns the serialized response, or undefined to hand the request to
   * Apollo Server, which answers everything else (GET, APQ, trusted
   * documents, syntax and validation errors, introspection policy) itself.
   */
  run(body: string, context: RouterContext): Promise<string | undefined>;
}

interface ParsedRequest {
  query: string;
  operationName: string | undefined;
  variables: JsonObject;
}

/** The body as a plain GraphQL request, or undefined for anything else. */
function plainRequest(body: string): ParsedRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { query, operationName, variables, extensions, ...rest } = value as Record<string, unknown>;
  if (typeof query !== "string" || Object.keys(rest).length > 0) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return undefined;
  if (extensions !== undefined && (typeof extensions !== "object" || extensions === null || Object.keys(extensions).length > 0)) return undefined;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? {}) as JsonObject };
}

const INTROSPECTION = /\b__(schema|type)\b/;

/**
 * The router's own request path for the common case, without Apollo Server's
 * per-request pipeline: documents parsed and validated once per supergraph
 * (the snapshot keeps them),
 * then the query executor, with Apollo Server's response format and error
 * masking. Anything unusual falls back to Apollo Server, so both paths answer
 * every request the same way.
 */
export function createFastPath({ executor, planner, metrics, formatError }: FastPathOptions): FastPath {
  /** The parsed document when it is valid against the supergraph's API schema; false when it is not (Apollo explains why). */
  const documentFor = (snapshot: SupergraphSnapshot, query: string): DocumentNode | false => {
    const document = snapshot.parse(query);
    return document instanceof GraphQLError || snapshot.validate(query, document).length > 0 ? false : document;
  };

  return {
    async run(body, context) {
      const request = plainRequest(body);
      if (!request || INTROSPECTION.test(request.query)) return undefined;
      const snapshot = planner.current();
      if (!snapshot) return undefined;
      const document = documentFor(snapshot, request.query);
      if (!document) return undefined;
      const operation = getOperationAST(document, request.operationName);
      if (!operation || operation.operation === "subscription") return undefined;

      const started = performance.now();
      const result = await executor.execute({ documentKey: request.query, document, operationName: request.operationName, variables: request.variables, context });
      const errors = result.errors?.map((error) => formatError(toFormatted(error), error));
      metrics.requests.inc({ operation_type: operation.operation, status: errors?.length ? "error" : "ok" });
      metrics.requestDuration.observe({ operation_type: operation.operation }, (performance.now() - started) / 1000);
      // Apollo Server's field order: errors, data, extensions.
      return JSON.stringify({ errors, data: result.data, extensions: result.extensions });
    },
  };
}

/** A GraphQLError as Apollo Server formats it before its formatError hook: a code is always present. */
function toFormatted(error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  return formatted.extensions?.code ? formatted : { ...formatted, extensions: { ...formatted.extensions, code: "INTERNAL_SERVER_ERROR" } };
}
