import { GraphQLError } from "graphql";

/**
 * The one catalogue of error codes a client can see. Codes are stable: clients
 * branch on `extensions.code`, never on the message.
 */
export const ErrorCode = {
  BadUserInput: "BAD_USER_INPUT",
  NotFound: "NOT_FOUND",
  Unauthenticated: "UNAUTHENTICATED",
  Forbidden: "FORBIDDEN",
  Conflict: "CONFLICT",
  InvalidCredentials: "INVALID_CREDENTIALS",
  InvalidState: "INVALID_STATE",
  InsufficientStock: "INSUFFICIENT_STOCK",
  InvalidRouterSignature: "INVALID_ROUTER_SIGNATURE",
  /** A subscriber fell further behind its events than its queue holds; it missed events and must subscribe again. */
  SubscriptionOverflow: "SUBSCRIPTION_OVERFLOW",
  /** The router gave up on the request (its deadline passed, or its client left): the subgraph stops resolving. */
  RequestTimeout: "REQUEST_TIMEOUT",
  /**
   * The service cannot take the request right now (a dependency it must consult is away, or its
   * database pool is exhausted); try again after `extensions.retryAfterSeconds` / `Retry-After`.
   */
  ServiceOverloaded: "SERVICE_OVERLOADED",
  /** Too many attempts (sign-in throttling); try again after `extensions.retryAfterSeconds` / `Retry-After`. */
  RateLimited: "RATE_LIMITED",
  InternalServerError: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CatalogueEntry {
  readonly code: ErrorCode;
  /** HTTP status used when the error is answered outside GraphQL (401 on a bad signature). */
  readonly httpStatus: number;
  err(message: string, extensions?: Record<string, unknown>): GraphQLError;
}

function entry(code: ErrorCode, httpStatus: number): CatalogueEntry {
  return {
    code,
    httpStatus,
    err: (message, extensions) => new GraphQLError(message, { extensions: { ...extensions, code } }),
  };
}

export const ERRORS = {
  BAD_USER_INPUT: entry(ErrorCode.BadUserInput, 400),
  NOT_FOUND: entry(ErrorCode.NotFound, 404),
  UNAUTHENTICATED: entry(ErrorCode.Unauthenticated, 401),
  FORBIDDEN: entry(ErrorCode.Forbidden, 403),
  CONFLICT: entry(ErrorCode.Conflict, 409),
  INVALID_CREDENTIALS: entry(ErrorCode.InvalidCredentials, 401),
  INVALID_STATE: entry(ErrorCode.InvalidState, 409),
  INSUFFICIENT_STOCK: entry(ErrorCode.InsufficientStock, 409),
  INVALID_ROUTER_SIGNATURE: entry(ErrorCode.InvalidRouterSignature, 401),
  SUBSCRIPTION_OVERFLOW: entry(ErrorCode.SubscriptionOverflow, 503),
  REQUEST_TIMEOUT: entry(ErrorCode.RequestTimeout, 504),
  SERVICE_OVERLOADED: entry(ErrorCode.ServiceOverloaded, 503),
  RATE_LIMITED: entry(ErrorCode.RateLimited, 429),
  INTERNAL_SERVER_ERROR: entry(ErrorCode.InternalServerError, 500),
} as const satisfies Record<ErrorCode, CatalogueEntry>;

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** True for errors raised from the catalogue (or by GraphQL validation), which are safe to show a client. */
export function isClientSafe(code: unknown): boolean {
  return typeof code === "string" && (knownCodes.has(code) || code.startsWith("GRAPHQL_") || code === "PERSISTED_QUERY_NOT_FOUND" || code === "OPERATION_RESOLUTION_FAILURE" || code === "BAD_REQUEST");
}
