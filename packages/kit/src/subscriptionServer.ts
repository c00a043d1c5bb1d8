import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { context, ROOT_CONTEXT, SpanKind, trace, type Span } from "@opentelemetry/api";
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { traceContextOf } from "@store/events";
import { ERRORS } from "./errors.ts";
import { MAX_BODY_BYTES, saneRequestId } from "./http.ts";
import { WEBSOCKET_METHOD, type Identity } from "./identity.ts";
import type { Logger } from "./logger.ts";
import { acceptRouterRequest, type ReplayGuard } from "./replayGuard.ts";
import { contextFrom, traceCarrier, type TraceCarrier } from "./tracing/propagation.ts";
import { disabledTracing, type Tracing } from "./tracing/startTracing.ts";
import { ATTR_GRAPHQL_DOCUMENT_HASH, ATTR_GRAPHQL_OPERATION_NAME, ATTR_GRAPHQL_OPERATION_TYPE, markFailed, requestContext } from "./useTracing.ts";

/** Where a trace context may be: a Subscribe message's `extensions`, an EventEnvelope. */
type TraceFields = { traceparent?: unknown; tracestate?: unknown };

export interface SubscriptionServerOptions<TContext> {
  schema: GraphQLSchema;
  /** This subgraph's name: connectionParams signed for another subgraph are refused. */
  subgraph: string;
  /** The router's signing secret: connectionParams must carry a valid identity signature. */
  routerSigningSecret: string;
  /** Remembers accepted connectionParams' signatures: captured params cannot open a second connection. */
  replayGuard: ReplayGuard;
  /** How far the params' timestamp may be from this clock. @default DEFAULT_SIGNATURE_WINDOW_MS */
  signatureWindowMs?: number;
  logger: Logger;
  /**
   * Builds an operation's context. Called when a subscription starts (the
   * subscribe resolvers authorize with it) and again for every event, so
   * per-request caches (DataLoaders) never serve one event's rows to the next.
   */
  context(identity: Identity | null, requestId: string): TContext;
  /** The same masking as over HTTP: only catalogue errors reach the router. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** Ping interval; a peer that misses a pong for as long is dropped. @default 12000 */
  keepAliveMs?: number;
  /** Largest message accepted from a peer, in bytes. @default MAX_BODY_BYTES */
  maxPayloadBytes?: number;
  /**
   * A SERVER span per subscription started (its parent the trace context of
   * the Subscribe message's `extensions`, else the traceparent the router
   * signed into connectionParams), and a span per event delivered for an
   * event that carries a trace context. Payloads carry an event's trace
   * context in `extensions` whether or not this is enabled.
   * @default disabled
   */
  tracing?: Tracing;
}

export interface SubscriptionServer {
  /** Hands an HTTP upgrade request on /graphql to graphql-ws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** WebSocket connections open right now. */
  readonly connections: number;
  /**
   * Closes every connection with 1001 (their subscriptions' iterators are
   * returned, so bus listeners are released), then the server. A peer that
   * does not finish the closing handshake within `graceMs` is cut off.
   */
  close(graceMs?: number): Promise<void>;
}

/** RFC 6455 close code 1013: the server cannot take the connection now. */
const TRY_AGAIN_LATER = 1013;

interface Caller {
  identity: Identity | null;
  requestId: string;
  /** Signed with the connectionParams: the router's span that opened this subscription. */
  traceparent: string | undefined;
}

/** What a started operation's spans are named and labelled after. */
interface Operation {
  /** The router's span that subscribed: the parent of the subscription's start span. */
  opener: TraceCarrier;
  name: string | undefined;
  query: string;
}

/**
 * A `next` payload with the trace context the router continues the event's
 * trace from, in `extensions` (the router removes it before the client sees
 * the payload).
 */
function withTraceContext(result: ExecutionResult, carrier: TraceCarrier): ExecutionResult {
  const extensions: Record<string, unknown> = { ...result.extensions, traceparent: carrier.traceparent };
  if (carrier.tracestate) extensions.tracestate = carrier.tracestate;
  return { ...result, extensions };
}

/** Executes one event of a subscription: the payload for its source value. */
type DeliverEvent = (rootValue: unknown, contextValue: () => unknown) => Promise<ExecutionResult>;

/** connectionParams are arbitrary JSON; only string values can be identity headers. Keys compare case-insensitively, as headers do. */
function paramsAsHeaders(params: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) if (typeof value === "string") headers[key.toLowerCase()] = value;
  return headers;
}

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, code } });

/**
 * graphql-js's subscribe(), except that every event executes with a fresh
 * context: graphql-js reuses the subscribe-time context for all events.
 */
async function subscribeWithFreshContexts(args: ExecutionArgs, freshContext: () => unknown, deliver: DeliverEvent): Promise<AsyncGenerator<ExecutionResult, undefined> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(stream))) return stream as ExecutionResult;
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const stop = async () => {
    await source.return?.();
  };
  const results: AsyncGenerator<ExecutionResult, undefined> = {
    async next() {
      const event = await source.next();
      if (event.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await deliver(event.value, freshContext) };
      } catch (error) {
        await stop();
        throw error;
      }
    },
    async return() {
      await stop();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await stop();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}

/**
 * GraphQL over WebSocket (graphql-transport-ws) for the router's upstream
 * subscriptions, sharing the HTTP server's port and path.
 *
 * Trust works as over HTTP, once per connection: connectionParams carry the
 * router's identity headers signed for one connection to this subgraph
 * (method WS, empty body, a nonce); a missing, bad or already used signature
 * closes the socket with 4403. When the replay guard cannot answer, the
 * socket closes with 1013 (try again later) instead, which the router retries. Every operation on the connection runs as that identity,
 * so the router must not mix callers on one upstream socket.
 */
export function createSubscriptionServer<TContext>(options: SubscriptionServerOptions<TContext>): SubscriptionServer {
  const { schema, routerSigningSecret, formatError } = options;
  const tracing = options.tracing ?? disabledTracing(options.subgraph);
  const log = options.logger.child({ component: "subscriptions" });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? MAX_BODY_BYTES });
  // graphql-ws hands onConnect and onSubscribe the same per-connection object.
  const callers = new WeakMap<object, Caller>();
  const freshContexts = new WeakMap<object, () => unknown>();
  const operations = new WeakMap<object, Operation>();

  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));

  const disposable = useServer<Record<string, unknown>>(
    {
      schema,
      // Never an internal error's message in a close reason, whatever NODE_ENV says.
      isProd: true,
      async onConnect(ctx) {
        const accepted = await acceptRouterRequest(routerSigningSecret, options.replayGuard, {
          method: WEBSOCKET_METHOD,
          subgraph: options.subgraph,
          body: "",
          headers: paramsAsHeaders(ctx.connectionParams),
          ...(options.signatureWindowMs === undefined ? {} : { windowMs: options.signatureWindowMs }),
        });
        if (!accepted.ok) {
          log.warn({ reason: accepted.reason, remote: ctx.extra.request.socket.remoteAddress }, "subscription connection refused");
          // 1013 (try again later) is retried by the router; the 4403 that
          // graphql-ws sends for `false` is final, and a second close is a no-op.
          if (accepted.unavailable) ctx.extra.socket.close(TRY_AGAIN_LATER, "Replay guard unavailable");
          return false;
        }
        callers.set(ctx, { identity: accepted.identity, requestId: saneRequestId(accepted.requestId), traceparent: accepted.traceparent });
        return true;
      },
      // Parsing and validating here (not inside graphql-ws) turns a bad document
      // into an error for that one operation; thrown, it would close the socket
      // and every other subscription on it.
      onSubscribe(ctx, id, payload) {
        const caller = callers.get(ctx);
        if (!caller) return [new GraphQLError("The connection is not authenticated", { extensions: { code: ERRORS.UNAUTHENTICATED.code } })];
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          const syntax = error instanceof GraphQLError ? error : new GraphQLError("The query could not be parsed");
          return [withCode(syntax, "GRAPHQL_PARSE_FAILED")];
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED"));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Unable to identify the operation to run", { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })];
        const variables = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (variables.errors) return variables.errors.map((error) => withCode(error, ERRORS.BAD_USER_INPUT.code));
        const contextValue = options.context(caller.identity, caller.requestId) as object;
        freshContexts.set(contextValue, () => options.context(caller.identity, caller.requestId));
        // The router puts the subscribing client's trace context in the Subscribe
        // message's extensions. It is trusted as the router's because the socket
        // is: only the router could open it (signed connectionParams), and the
        // query and variables beside it run as the signed identity on the same
        // ground. Without one, the traceparent signed for the socket.
        const opener = traceContextOf(payload.extensions as TraceFields | undefined) ?? { traceparent: caller.traceparent };
        operations.set(contextValue, { opener, name: operation.name?.value, query: payload.query });
        log.debug({ requestId: caller.requestId, operationId: id, operationName: operation.name?.value }, "operation started");
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      subscribe: (args) => {
        const deliver: DeliverEvent = (rootValue, freshContext) => deliverEvent(args, operations.get(args.contextValue as object), rootValue, freshContext);
        const subscribe = () => subscribeWithFreshContexts(args, freshContexts.get(args.contextValue as object) ?? (() => args.contextValue), deliver);
        const operation = operations.get(args.contextValue as object);
        return tracing.enabled && operation ? startInSpan(operation, subscribe) : subscribe();
      },
      onNext: (_ctx, _id, _payload, _args, result): FormattedExecutionResult | void => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  /** The subscription's start (its subscribe resolvers, their authorization) as a SERVER span, a child of the router's signed span. */
  async function startInSpan<T extends AsyncGenerator<ExecutionResult, undefined> | ExecutionResult>(operation: Operation, subscribe: () => Promise<T>): Promise<T> {
    const parent = contextFrom(operation.opener, ROOT_CONTEXT);
    const span = tracing.tracer.startSpan(operation.name ? `subscription ${operation.name}` : "subscription", { kind: SpanKind.SERVER, attributes: { [ATTR_GRAPHQL_OPERATION_TYPE]: "subscription", "store.subgraph": options.subgraph } }, parent);
    if (span.isRecording()) {
      if (operation.name) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operation.name);
      span.setAttribute(ATTR_GRAPHQL_DOCUMENT_HASH, createHash("sha256").update(operation.query).digest("hex"));
    }
    try {
      const result = await context.with(requestContext(parent, span), subscribe);
      const errors = Symbol.asyncIterator in result ? undefined : (result as ExecutionResult).errors;
      if (errors?.[0]) markFailed(span, errors[0]);
      return result;
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * One event's payload. An event written inside a trace is delivered in a
   * span of that trace (its resolvers and database spans nest there), and
   * its payload carries the trace context on for the router: that span's,
   * or the event's own when this service records nothing.
   */
  async function deliverEvent(args: ExecutionArgs, operation: Operation | undefined, rootValue: unknown, freshContext: () => unknown): Promise<ExecutionResult> {
    const run = async () => execute({ ...args, rootValue, contextValue: freshContext() });
    const carrier = traceContextOf(rootValue as TraceFields | undefined);
    if (!carrier) return run();
    if (!tracing.enabled) return withTraceContext(await run(), carrier);
    const parent = contextFrom(carrier, ROOT_CONTEXT);
    const span = tracing.tracer.startSpan(operation?.name ? `subscription ${operation.name} event` : "subscription event", { kind: SpanKind.INTERNAL }, parent);
    if (span.isRecording()) {
      const { type, id, aggregateId } = rootValue as { type?: unknown; id?: unknown; aggregateId?: unknown };
      span.setAttributes({ [ATTR_GRAPHQL_OPERATION_TYPE]: "subscription", "store.subgraph": options.subgraph });
      if (operation?.name) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, operation.name);
      if (typeof type === "string") span.setAttribute("store.event.type", type);
      if (typeof id === "string") span.setAttribute("messaging.message.id", id);
      if (typeof aggregateId === "string") span.setAttribute("store.event.aggregate_id", aggregateId);
    }
    const active = requestContext(parent, span);
    try {
      const result = await context.with(active, run);
      if (result.errors?.[0]) markFailed(span, result.errors[0]);
      return withTraceContext(result, span.isRecording() ? traceCarrier(active) : carrier);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    get connections() {
      return wss.clients.size;
    },
    async close(graceMs = 5_000) {
      const force = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, graceMs);
      force.unref();
      try {
        // Closes every client with 1001, then waits for them to be gone.
        await disposable.dispose();
      } finally {
        clearTimeout(force);
      }
    },
  };
}
