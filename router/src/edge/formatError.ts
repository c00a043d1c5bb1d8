import { ERRORS, type Logger } from "@store/kit";
import type { GraphQLError, GraphQLFormattedError } from "../graphql.ts";
import type { OperationLimits } from "../limits/operationLimits.ts";
import type { RouterMetrics } from "../metrics.ts";

/** Formats an error the way Apollo Server does before its formatError hook, for the router's own paths. */
export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const SUGGESTION = / ?Did you mean [^?]*\?/g;
// graphql-js 16 says "more that N tokens"; a later version may fix the typo.
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/**
 * An error as JSON, as Apollo Server formats it before its formatError hook:
 * a code is always present (INTERNAL_SERVER_ERROR when it has none). Takes a
 * GraphQLError (the router's own, a library's) or an error already formatted
 * (Apollo Server's answer to an operation sent over a WebSocket).
 */
export function toFormatted(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  const formatted = "toJSON" in error && typeof error.toJSON === "function" ? error.toJSON() : error;
  return formatted.extensions?.code ? formatted : { ...formatted, extensions: { ...formatted.extensions, code: ERRORS.INTERNAL_SERVER_ERROR.code } };
}

/**
 * What a client may see of an error, on every path (Apollo Server, the fast
 * path, WebSocket): codes from the catalogue and subgraphs' errors pass, and
 * are counted by code and subgraph; anything else is logged and masked as
 * INTERNAL_SERVER_ERROR. Also gives Apollo Server's answers the router's own
 * words: its parser's token limit as OPERATION_LIMIT_EXCEEDED, a parser stack
 * overflow as a plain parse error, and (with introspection off, `suggestions`
 * false) no "Did you mean" suggestions.
 */
export function createFormatError(logger: Logger, metrics: RouterMetrics, limits: OperationLimits, suggestions: boolean): FormatError {
  return (given, error) => {
    let formatted = given;
    if (formatted.extensions?.code === ERRORS.GRAPHQL_PARSE_FAILED.code) {
      const tokens = TOKEN_LIMIT.exec(formatted.message);
      if (tokens) {
        const source = error instanceof Error && "source" in error ? (error as { source?: { body?: string } }).source?.body : undefined;
        formatted = source ? limits.tooManyTokens(source).toJSON() : ERRORS.OPERATION_LIMIT_EXCEEDED.err(`The document has more tokens than the limit of ${tokens[1]}`, { extensions: { limit: "tokens", maximum: Number(tokens[1]) } }).toJSON();
      } else if (/call stack/i.test(formatted.message)) {
        formatted = { message: "Syntax Error: the document is nested too deeply to parse", extensions: { code: ERRORS.GRAPHQL_PARSE_FAILED.code } };
      }
    }
    // operationLimitsRule's error, which Apollo Server's validation gave its own code.
    if (formatted.extensions?.code === ERRORS.GRAPHQL_VALIDATION_FAILED.code && typeof formatted.extensions.limit === "string") {
      formatted = { ...formatted, extensions: { ...formatted.extensions, code: ERRORS.OPERATION_LIMIT_EXCEEDED.code } };
    }
    if (!suggestions && formatted.message.includes("Did you mean")) formatted = { ...formatted, message: formatted.message.replace(SUGGESTION, "") };
    const code = String(formatted.extensions?.code ?? ERRORS.INTERNAL_SERVER_ERROR.code);
    const subgraph = typeof formatted.extensions?.serviceName === "string" ? formatted.extensions.serviceName : "";
    metrics.errors.inc({ code, subgraph });
    if (code !== ERRORS.INTERNAL_SERVER_ERROR.code || subgraph) return formatted;
    logger.error({ err: error }, "unexpected router error");
    return { message: "Internal server error", ...(formatted.path ? { path: formatted.path } : {}), extensions: { code } };
  };
}
