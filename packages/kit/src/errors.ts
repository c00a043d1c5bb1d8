import { GraphQLError, type GraphQLErrorOptions } from "graphql";

/**
 * The one catalogue of error codes a client can see, from the router and from
 * every subgraph. Codes are stable: clients branch on `extensions.code`, never
 * on the message. The README's error table is rendered from this catalogue
 * (`renderErrorTable`), and a test fails when the two differ.
 */

export interface CatalogueErrorOptions {
  extensions?: Record<string, unknown>;
  path?: GraphQLErrorOptions["path"];
  /** An error from graphql-js (syntax, validation) whose locations in the document this one keeps. */
  locatedAs?: GraphQLError;
  originalError?: Error;
}

export interface ErrorDefinition<TCode extends string = string> {
  readonly code: TCode;
  /** HTTP status when the error refuses the whole request (a 4xx/5xx answer outside GraphQL's `errors` beside `data`). */
  readonly httpStatus: number;
  /** How the error reaches a client over HTTP, as the README says it ("400", "200", "400 / 200", "(WebSocket)"). */
  readonly http: string;
  /** What it means and what to do about it (Markdown, one line). */
  readonly description: string;
  err(message: string, options?: CatalogueErrorOptions): GraphQLError;
}

function define<TCode extends string>(code: TCode, httpStatus: number, http: string, description: string): ErrorDefinition<TCode> {
  return {
    code,
    httpStatus,
    http,
    description,
    err: (message, { extensions, path, locatedAs, originalError } = {}) =>
      new GraphQLError(message, {
        ...(path ? { path } : {}),
        ...(locatedAs ? { nodes: locatedAs.nodes, source: locatedAs.source, positions: locatedAs.positions } : {}),
        ...(originalError ? { originalError } : {}),
        extensions: { ...extensions, code },
      }),
  };
}

/** Every code, in the order the README lists them: request-shape errors first, then domain errors, then failures. */
export const ERRORS = {
  GRAPHQL_PARSE_FAILED: define("GRAPHQL_PARSE_FAILED", 400, "400", "the document does not parse (also a document nested too deeply for the parser)"),
  GRAPHQL_VALIDATION_FAILED: define(
    "GRAPHQL_VALIDATION_FAILED",
    400,
    "400",
    'the document is not valid against the schema (with introspection off, without "Did you mean" suggestions)',
  ),
  OPERATION_LIMIT_EXCEEDED: define(
    "OPERATION_LIMIT_EXCEEDED",
    400,
    "400",
    "an [operation limit](#operation-limits) is exceeded: `extensions.limit` names it (`tokens`, `depth`, `aliases`, `rootFields`, `directives`, `selections`, `cost`), `maximum` and `measured` give the figures",
  ),
  OPERATION_RESOLUTION_FAILURE: define(
    "OPERATION_RESOLUTION_FAILURE",
    400,
    "400",
    "no operation to run: an unknown `operationName`, one naming a fragment, two operations of that name, or several operations and no name",
  ),
  OPERATION_NOT_SUPPORTED: define(
    "OPERATION_NOT_SUPPORTED",
    400,
    "400",
    "a subscription sent over HTTP (subscriptions are served over WebSocket), or a plan feature the router does not run (`@defer` in a subscription)",
  ),
  BAD_REQUEST: define(
    "BAD_REQUEST",
    400,
    "400",
    "the HTTP request is not a GraphQL request (malformed JSON, a body that is not an object, a `text/plain` POST refused by CSRF prevention)",
  ),
  PAYLOAD_TOO_LARGE: define(
    "PAYLOAD_TOO_LARGE",
    413,
    "413",
    "the body is larger than `ROUTER_MAX_BODY_BYTES` (a WebSocket message that large closes the socket with 1009)",
  ),
  PERSISTED_QUERY_NOT_FOUND: define("PERSISTED_QUERY_NOT_FOUND", 200, "200", "a persisted-query hash the router does not know yet: send the query text with it"),
  TRUSTED_DOCUMENT_REQUIRED: define("TRUSTED_DOCUMENT_REQUIRED", 400, "400", "with `TRUSTED_DOCUMENTS=require`, a document that is not registered"),
  RATE_LIMITED: define(
    "RATE_LIMITED",
    429,
    "429",
    "the client's budget for this kind of operation is spent (router), or too many sign-in attempts (accounts); `Retry-After` and `extensions.retryAfterSeconds` say when to try again",
  ),
  REQUEST_TIMEOUT: define(
    "REQUEST_TIMEOUT",
    504,
    "200",
    "the request ran past `ROUTER_REQUEST_TIMEOUT_MS`; the fetches still running were aborted, and the data fetched in time is returned",
  ),
  BAD_USER_INPUT: define(
    "BAD_USER_INPUT",
    400,
    "400 / 200",
    "a variable does not fit its type (400, before anything runs; the message names the variable), or an argument is invalid: NUL bytes or unpaired surrogates in a string, a cursor that does not belong to the sort; `extensions.issues` lists each field and why",
  ),
  NOT_FOUND: define(
    "NOT_FOUND",
    404,
    "200",
    "a mutation names something that does not exist (or is not yours: the two are not told apart). Queries by id answer `null` instead",
  ),
  UNAUTHENTICATED: define("UNAUTHENTICATED", 401, "401 / 200", "sign-in required, or the token is bad or expired (HTTP 401 from the router)"),
  FORBIDDEN: define("FORBIDDEN", 403, "200", "signed in, but not allowed (admin-only operations, someone else's data)"),
  CONFLICT: define("CONFLICT", 409, "200", "unique value taken (email, SKU)"),
  INVALID_CREDENTIALS: define("INVALID_CREDENTIALS", 401, "200", "wrong email or password (the same for both)"),
  INVALID_STATE: define(
    "INVALID_STATE",
    409,
    "200",
    "the object is not in a state that allows this (cancel a paid order, advance a delivered shipment)",
  ),
  INSUFFICIENT_STOCK: define("INSUFFICIENT_STOCK", 409, "200", "an order asks for more than is in stock"),
  SERVICE_OVERLOADED: define(
    "SERVICE_OVERLOADED",
    503,
    "503 / 200",
    "a subgraph's database pool or transaction slots were all busy for longer than their wait: retry after `Retry-After` (nothing was written)",
  ),
  SUBGRAPH_UNAVAILABLE: define("SUBGRAPH_UNAVAILABLE", 502, "200", "a subgraph could not be reached (refused, reset, a non-2xx answer); the rest of the data is still returned"),
  SUBGRAPH_TIMEOUT: define("SUBGRAPH_TIMEOUT", 504, "200", "a subgraph did not answer within `SUBGRAPH_TIMEOUT_MS`; the rest of the data is still returned"),
  DOWNSTREAM_SERVICE_ERROR: define("DOWNSTREAM_SERVICE_ERROR", 502, "200", "a subgraph answered with an error that carried no code of its own"),
  QUERY_PLANNING_FAILED: define(
    "QUERY_PLANNING_FAILED",
    500,
    "200",
    "the supergraph cannot plan this operation; with a `path`, one field of it that no subgraph resolves (the field is null, the rest of the data is returned)",
  ),
  ENTITY_KEY_MISSING: define(
    "ENTITY_KEY_MISSING",
    502,
    "200",
    "an entity could not be sent to the subgraph that resolves some of its fields: it lacks every key that subgraph resolves its type by (a key field null or missing); those fields are null, the rest of the data is returned",
  ),
  SUPERGRAPH_NOT_READY: define("SUPERGRAPH_NOT_READY", 503, "200", "the router has not loaded a supergraph yet (it is starting)"),
  SUBSCRIPTION_LIMIT_EXCEEDED: define(
    "SUBSCRIPTION_LIMIT_EXCEEDED",
    429,
    "(WebSocket)",
    "too many subscriptions on the connection or on the router; `extensions.scope` says which",
  ),
  SUBSCRIPTION_SOURCE_LOST: define("SUBSCRIPTION_SOURCE_LOST", 502, "(WebSocket)", "the owning subgraph's event stream was lost and could not be re-established"),
  SUBSCRIPTION_OVERFLOW: define(
    "SUBSCRIPTION_OVERFLOW",
    503,
    "(WebSocket)",
    "a subscriber fell further behind its events than its queue holds, and must subscribe again",
  ),
  INVALID_GRAPHQL: define(
    "INVALID_GRAPHQL",
    502,
    "200",
    "a subgraph's data contradicts the schema (a missing non-null field, a value of the wrong type); the field is null",
  ),
  INVALID_ROUTER_SIGNATURE: define(
    "INVALID_ROUTER_SIGNATURE",
    401,
    "401",
    "a request reached a subgraph without a valid router signature: missing, made for another subgraph, method or body, outside the window, or already used",
  ),
  INTERNAL_SERVER_ERROR: define(
    "INTERNAL_SERVER_ERROR",
    500,
    "500 / 200",
    "a bug; the details are in the service's log under the request id, never in the response",
  ),
} as const;

export type ErrorCode = keyof typeof ERRORS;

const knownCodes = new Set<string>(Object.keys(ERRORS));

/** True for a code from the catalogue: safe to show a client as it is. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && knownCodes.has(code);
}

/** True for errors raised from the catalogue (or by GraphQL parsing and validation), which are safe to show a client. */
export function isClientSafe(code: unknown): boolean {
  return isErrorCode(code) || (typeof code === "string" && code.startsWith("GRAPHQL_"));
}

/** The README's error table (header and one row per code), rendered from the catalogue. */
export function renderErrorTable(): string {
  const rows = Object.values(ERRORS).map((entry) => `| \`${entry.code}\` | ${entry.http} | ${entry.description} |`);
  return ["| code | HTTP | meaning |", "|---|---|---|", ...rows].join("\n");
}
