import { GraphQLError, type GraphQLErrorOptions } from "./graphql.ts";
import { CloseCode } from "graphql-ws";
import { ErrorCode } from "@store/kit";

/**
 * Every error code the router itself raises. Codes are stable: clients and
 * dashboards branch on `extensions.code` (and `serviceName`), never on text.
 * Codes shared with the subgraphs come from the kit's catalogue.
 */
export const RouterErrorCode = {
  /** A subgraph could not be reached (connection refused, reset, non-2xx). */
  SubgraphUnavailable: "SUBGRAPH_UNAVAILABLE",
  /** A subgraph did not answer within SUBGRAPH_TIMEOUT_MS. */
  SubgraphTimeout: "SUBGRAPH_TIMEOUT",
  /** A subgraph answered with an error that carried no code of its own. */
  DownstreamServiceError: "DOWNSTREAM_SERVICE_ERROR",
  /** The document does not parse. Same code as Apollo Server uses over HTTP. */
  ParseFailed: "GRAPHQL_PARSE_FAILED",
  /** The document is not valid against the API schema. Same code as over HTTP. */
  ValidationFailed: "GRAPHQL_VALIDATION_FAILED",
  BadUserInput: ErrorCode.BadUserInput,
  /**
   * The operation exceeds one of the router's operation limits (tokens, depth,
   * aliases, root fields, directives, selections, cost); `extensions.limit`
   * names it, `maximum` and `measured` give the figures. HTTP 400.
   */
  OperationLimitExceeded: "OPERATION_LIMIT_EXCEEDED",
  /**
   * The document is valid but names no operation the router can run: an
   * unknown `operationName`, a name that is a fragment's, or several
   * operations and no name. HTTP 400 (Apollo Server's code).
   */
  OperationResolutionFailure: "OPERATION_RESOLUTION_FAILURE",
  /** The request ran past ROUTER_REQUEST_TIMEOUT_MS; the data that was fetched in time is returned. HTTP 504 */
  RequestTimeout: "REQUEST_TIMEOUT",
  /** The supergraph cannot plan this operation. */
  QueryPlanningFailed: "QUERY_PLANNING_FAILED",
  /** No supergraph is loaded yet (the router is starting). */
  SupergraphNotReady: "SUPERGRAPH_NOT_READY",
  /** A plan needs a feature this router does not execute (e.g. @defer inside a subscription). */
  OperationNotSupported: "OPERATION_NOT_SUPPORTED",
  /** Too many subscriptions on the connection or on the router; `extensions.scope` says which. */
  SubscriptionLimitExceeded: "SUBSCRIPTION_LIMIT_EXCEEDED",
  /** The owning subgraph's subscription stream was lost and could not be re-established. */
  SubscriptionSourceLost: "SUBSCRIPTION_SOURCE_LOST",
  /**
   * The client (its user, or its IP when anonymous) used up its budget of
   * operations of this type for the current window; `extensions.retryAfterSeconds`
   * says when to retry, `limit` gives the budget. HTTP 429 with `Retry-After`.
   */
  RateLimited: "RATE_LIMITED",
  InternalServerError: ErrorCode.InternalServerError,
} as const;
export type RouterErrorCode = (typeof RouterErrorCode)[keyof typeof RouterErrorCode];

export interface RouterErrorOptions {
  extensions?: Record<string, unknown>;
  path?: GraphQLErrorOptions["path"];
  /** An error from graphql-js (syntax, validation) whose locations in the document this one keeps. */
  locatedAs?: GraphQLError;
}

export interface RouterCatalogueEntry {
  readonly code: RouterErrorCode;
  err(message: string, options?: RouterErrorOptions): GraphQLError;
}

function entry(code: RouterErrorCode): RouterCatalogueEntry {
  return {
    code,
    err: (message, { extensions, path, locatedAs } = {}) =>
      new GraphQLError(message, {
        ...(path ? { path } : {}),
        ...(locatedAs ? { nodes: locatedAs.nodes, source: locatedAs.source, positions: locatedAs.positions } : {}),
        extensions: { ...extensions, code },
      }),
  };
}

export const ROUTER_ERRORS = {
  SUBGRAPH_UNAVAILABLE: entry(RouterErrorCode.SubgraphUnavailable),
  SUBGRAPH_TIMEOUT: entry(RouterErrorCode.SubgraphTimeout),
  DOWNSTREAM_SERVICE_ERROR: entry(RouterErrorCode.DownstreamServiceError),
  GRAPHQL_PARSE_FAILED: entry(RouterErrorCode.ParseFailed),
  GRAPHQL_VALIDATION_FAILED: entry(RouterErrorCode.ValidationFailed),
  BAD_USER_INPUT: entry(RouterErrorCode.BadUserInput),
  OPERATION_LIMIT_EXCEEDED: entry(RouterErrorCode.OperationLimitExceeded),
  OPERATION_RESOLUTION_FAILURE: entry(RouterErrorCode.OperationResolutionFailure),
  REQUEST_TIMEOUT: entry(RouterErrorCode.RequestTimeout),
  QUERY_PLANNING_FAILED: entry(RouterErrorCode.QueryPlanningFailed),
  SUPERGRAPH_NOT_READY: entry(RouterErrorCode.SupergraphNotReady),
  OPERATION_NOT_SUPPORTED: entry(RouterErrorCode.OperationNotSupported),
  SUBSCRIPTION_LIMIT_EXCEEDED: entry(RouterErrorCode.SubscriptionLimitExceeded),
  SUBSCRIPTION_SOURCE_LOST: entry(RouterErrorCode.SubscriptionSourceLost),
  RATE_LIMITED: entry(RouterErrorCode.RateLimited),
  INTERNAL_SERVER_ERROR: entry(RouterErrorCode.InternalServerError),
} as const satisfies Record<string, RouterCatalogueEntry>;

/**
 * WebSocket close codes the router sends to its clients. The 44xx codes are
 * graphql-ws's own (graphql-transport-ws); the others are RFC 6455's, which
 * graphql-ws clients treat as retryable.
 */
export const RouterCloseCode = {
  /** A token in connectionParams that is malformed, invalid or expired. graphql-ws clients do not retry it. */
  Unauthorized: CloseCode.Unauthorized,
  /** graphql-ws's answer when onConnect refuses; the router refuses only with 4401. */
  Forbidden: CloseCode.Forbidden,
  /** The router is shutting down (RFC 6455 "going away"); reconnect to another instance. */
  GoingAway: 1001,
  /**
   * The client read its events slower than they arrived and its outgoing
   * queue overflowed (RFC 6455 "try again later"): it has missed events and
   * must resubscribe.
   */
  SlowConsumer: 1013,
} as const;
