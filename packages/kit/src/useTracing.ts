import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import { GraphQLError, GraphQLScalarType, isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema } from "graphql";

/**
 * Subgraph tracing beyond the server span: the operation's name and type on
 * it, and a span per call of a resolver the service declared.
 *
 * Resolver spans come from wrapping the declared resolvers, not from Apollo's
 * `willResolveField`: a plugin hook runs beside the resolver and cannot make
 * its span the active one while the resolver runs, so the database spans of
 * that resolver could not nest under it.
 */

// GraphQL's attributes are still incubating in the semantic conventions; the
// package asks that such names be copied rather than imported.
export const ATTR_GRAPHQL_OPERATION_TYPE = "graphql.operation.type";
export const ATTR_GRAPHQL_OPERATION_NAME = "graphql.operation.name";
/** SHA-256 of the document, hex (never the document itself). */
export const ATTR_GRAPHQL_DOCUMENT_HASH = "graphql.document.hash";

/** Resolver spans one request makes at most; calls past it run untraced and are counted on the request span. */
export const MAX_RESOLVER_SPANS = 100;

/** `store.graphql.resolver_spans_dropped`: declared resolver calls past MAX_RESOLVER_SPANS. */
export const ATTR_RESOLVER_SPANS_DROPPED = "store.graphql.resolver_spans_dropped";

interface RequestTrace {
  span: Span;
  resolverSpans: number;
  dropped: number;
}

// The request travels in the async context, beside the active span: Apollo
// hands plugins and resolvers a shallow copy of the context object, so that
// object cannot lead to the request.
const REQUEST_TRACE = createContextKey("@store/kit request trace");

/**
 * The context an operation runs in: `span` active, and named as the
 * operation's own span, which its resolver spans are children of and
 * useTracing names and labels.
 */
export function requestContext(parent: Context, span: Span): Context {
  const request: RequestTrace = { span, resolverSpans: 0, dropped: 0 };
  return trace.setSpan(parent, span).setValue(REQUEST_TRACE, request);
}

const activeRequest = () => context.active().getValue(REQUEST_TRACE) as RequestTrace | undefined;

/**
 * What failed, as a span may record it: the catalogue code, a driver's code
 * (P2002, a SQLSTATE) or the error's class name. Never the message: messages
 * may quote variable values (`Order <id> does not exist`, a driver's
 * "invalid input syntax: ..."); the log line of the same request, which
 * carries the trace id, has them.
 */
export function errorType(error: unknown): string {
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  if (typeof code === "string") return code;
  const cause = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const own = (cause as { code?: unknown } | null | undefined)?.code;
  if (typeof own === "string") return own;
  return cause instanceof Error ? cause.name : "Error";
}

/** Marks a span failed by `error` (see errorType for what is kept of it). */
export function markFailed(span: Span, error: unknown): void {
  const type = errorType(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.addEvent("exception", { "exception.type": type });
}

/**
 * Names the request span after its operation (`query TopProducts`, or the
 * type alone when it has no name) with `graphql.operation.type`/`.name` and
 * `graphql.document.hash` (Apollo's SHA-256 of the document; never the
 * document or its variables), and marks it failed when the response carries
 * errors (their codes). A request whose span records nothing gets no hooks.
 */
export function useTracing<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const request = activeRequest();
      if (!request?.span.isRecording()) return;
      const { span } = request;
      return {
        async didResolveOperation({ operation, operationName, queryHash }) {
          if (!operation) return;
          const type = operation.operation;
          span.updateName(operationName ? `${type} ${operationName}` : type);
          span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
          if (operationName) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operationName);
          if (queryHash) span.setAttribute(ATTR_GRAPHQL_DOCUMENT_HASH, queryHash);
        },
        async didEncounterErrors({ errors }) {
          const types = [...new Set(errors.map(errorType))];
          span.setStatus({ code: SpanStatusCode.ERROR, message: types.join(", ") });
          span.setAttribute(ATTR_ERROR_TYPE, types[0]!);
          span.setAttribute("graphql.error.count", errors.length);
        },
        async willSendResponse() {
          if (request.dropped > 0) span.setAttribute(ATTR_RESOLVER_SPANS_DROPPED, request.dropped);
        },
      };
    },
  };
}

function pathText(path: GraphQLResolveInfo["path"] | undefined): string {
  const keys: (string | number)[] = [];
  for (let at = path; at; at = at.prev) keys.push(at.key);
  return keys.reverse().join(".");
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === "function";

function tracedResolver(resolve: GraphQLFieldResolver<unknown, unknown>, name: string, tracer: Tracer): GraphQLFieldResolver<unknown, unknown> {
  return function (this: unknown, source, args, contextValue, info) {
    const request = activeRequest();
    if (!request?.span.isRecording()) return resolve.call(this, source, args, contextValue, info);
    if (request.resolverSpans >= MAX_RESOLVER_SPANS) {
      request.dropped++;
      return resolve.call(this, source, args, contextValue, info);
    }
    request.resolverSpans++;
    // Under the request span even when graphql-js runs a nested field inside
    // its parent's continuation: each resolver span is the request's child.
    const parent = trace.setSpan(context.active(), request.span);
    const span = tracer.startSpan(
      name,
      {
        kind: SpanKind.INTERNAL,
        attributes: { "graphql.field.name": info.fieldName, "graphql.field.path": pathText(info.path), "graphql.field.type": String(info.returnType) },
      },
      parent,
    );
    let result: unknown;
    try {
      result = context.with(trace.setSpan(parent, span), () => resolve.call(this, source, args, contextValue, info));
    } catch (error) {
      markFailed(span, error);
      span.end();
      throw error;
    }
    if (!isPromiseLike(result)) {
      span.end();
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        markFailed(span, error);
        span.end();
        throw error;
      },
    );
  };
}

/**
 * The fields whose resolvers the service declared, `Type.field`: functions,
 * and `{ resolve }` / `{ subscribe }` objects. Type-level entries
 * (`__resolveReference`, `__resolveType`) are not fields; `Query._entities`,
 * which calls `__resolveReference`, is added when any type declares one.
 */
export function declaredFields(resolvers: Readonly<Record<string, unknown>>): Set<string> {
  const fields = new Set<string>();
  for (const [typeName, map] of Object.entries(resolvers)) {
    if (!map || typeof map !== "object" || map instanceof GraphQLScalarType) continue;
    for (const [field, resolver] of Object.entries(map)) {
      if (field === "__resolveReference") fields.add("Query._entities");
      if (field.startsWith("__")) continue;
      const declared = typeof resolver === "function" || (typeof resolver === "object" && resolver !== null && ("resolve" in resolver || "subscribe" in resolver));
      if (declared) fields.add(`${typeName}.${field}`);
    }
  }
  return fields;
}

/**
 * Wraps, in `schema` itself, the resolvers of the declared fields so each
 * call is an INTERNAL span `resolve <Type>.<field>` (graphql.field.name,
 * .path, .type), the active span while the resolver runs (its database
 * spans nest under it), failed by what it throws or rejects with. Only for a
 * request whose span is recording (see requestContext), at most
 * MAX_RESOLVER_SPANS per request. Default property resolvers are never
 * wrapped: they cost nothing worth a span.
 */
export function traceResolvers(schema: GraphQLSchema, resolvers: Readonly<Record<string, unknown>>, tracer: Tracer): void {
  const declared = declaredFields(resolvers);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      if (!declared.has(`${type.name}.${field.name}`)) continue;
      const name = `resolve ${type.name}.${field.name}`;
      if (field.resolve) field.resolve = tracedResolver(field.resolve, name, tracer);
      if (field.subscribe) field.subscribe = tracedResolver(field.subscribe, name, tracer);
    }
  }
}
