import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type Tracer } from "@opentelemetry/api";
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from "@opentelemetry/semantic-conventions";
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequest } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { GraphQLError, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLResolveInfo, type GraphQLScalarType, type GraphQLSchema } from "graphql";
import { isClientSafe, ERRORS } from "./errors.ts";
import type { Identity } from "./identity.ts";
import { closeServer, GRAPHQL_PATHS, handleGraphQLRequest, healthRoute, listenOn, metricsRoute, readinessRoute, refuseUpgrade, replayGuardUnavailable, routeRequests, routerSignatureRequired, routeUpgrades, sendError, type RouteHandler } from "./http.ts";
import { acceptRouterRequest, createMemoryReplayGuard, type ReplayGuard } from "./replayGuard.ts";
import type { Logger } from "./logger.ts";
import { isOverloadError } from "./prisma.ts";
import { useRetryAfter, OVERLOAD_RETRY_AFTER_SECONDS } from "./useRetryAfter.ts";
import { useSafeStrings } from "./useSafeStrings.ts";
import { createSubscriptionServer, type SubscriptionServer } from "./subscriptionServer.ts";
import { runWithRequestSignal } from "./requestSignal.ts";
import { statusRoute, type SubgraphStatus } from "./subgraphStatus.ts";
import { contextFrom } from "./tracing/propagation.ts";
import { disabledTracing, type Tracing } from "./tracing/startTracing.ts";
import { markFailed, requestContext, traceResolvers, useTracing } from "./useTracing.ts";
import { randomUUID } from "node:crypto";
import type { Registry } from "prom-client";

/** What every subgraph's context starts from. */
export interface RequestContextBase {
  identity: Identity | null;
  requestId: string;
  logger: Logger;
  /** The client's address as the router forwarded it (signed): for throttling by client. Absent over WebSocket and in process. */
  clientIp?: string | undefined;
  /**
   * Aborted when the router gives up on the request (its deadline passed or
   * its client left, and it closed the connection): long work should stop.
   * Entities are not resolved any more once it is aborted.
   */
  signal?: AbortSignal;
}

/** A field's resolver, `(parent, args, context, info)`; a subscription field's `subscribe` has the same shape. */
export type FieldResolver<TContext> = (parent: any, args: any, context: TContext, info: GraphQLResolveInfo) => unknown;

/** `__resolveReference(reference, context, info)`, and likewise `__resolveType` and `__isTypeOf`. */
export type TypeLevelResolver<TContext> = (value: any, context: TContext, info: GraphQLResolveInfo) => unknown;

/** One type's resolvers: what graphql-codegen's `XResolvers<Context>` types are assignable to. */
export interface TypeResolvers<TContext> {
  __resolveReference?: TypeLevelResolver<TContext>;
  [fieldName: string]: FieldResolver<TContext> | TypeLevelResolver<TContext> | { resolve?: FieldResolver<TContext>; subscribe?: FieldResolver<TContext> } | undefined;
}

/**
 * A subgraph's resolvers by type name, as graphql-js and federation call
 * them. graphql-codegen's `Resolvers` (typescript-resolvers, federation on) is
 * assignable to it as it is; the codegen types themselves tie each resolver
 * to the subgraph's `Context`. Apollo's own `GraphQLResolverMap` is not
 * public API, and its field resolver type does not admit
 * `__resolveReference`'s three-argument signature.
 */
export interface SubgraphResolvers<TContext> {
  [typeName: string]: TypeResolvers<TContext> | GraphQLScalarType | undefined;
}

/** What `buildSubgraphSchema` takes as a module's resolvers, read off its public signature. */
type ApolloResolverMap = NonNullable<Exclude<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], DocumentNode>["resolvers"]>;

export interface SubgraphOptions<TContext extends RequestContextBase> {
  /** Subgraph name as in supergraph.yaml, e.g. "catalog". */
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers<NoInfer<TContext>>;
  logger: Logger;
  /** Builds a request's context (per-request DataLoaders live here). */
  createContext(base: RequestContextBase): TContext;
  /** Readiness beyond "the process is up", e.g. a `SELECT 1`. */
  ready?(): Promise<void>;
  /**
   * The detailed health served at `GET /status` to the router only (see
   * SubgraphStatus and createStatusCheck). Without it, there is no /status.
   */
  status?(): Promise<SubgraphStatus>;
  /**
   * The service's tracing: a SERVER span per request (its parent the
   * router's signed `traceparent`, never an unsigned one) and per
   * subscription, and a span per call of a declared resolver.
   * @default disabled: no spans, no plugin, no wrapped resolver
   */
  tracing?: Tracing;
  /** Served at /metrics when given (events, consumer lag, process). */
  registry?: Registry;
  /**
   * Serve GraphQL over WebSocket (graphql-ws, `graphql-transport-ws`) on the
   * HTTP port at /graphql, for the router's upstream subscriptions.
   * @default true when the schema has a Subscription type, else false
   */
  subscriptions?: boolean;
}

export interface ListenOptions {
  port: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Shared secret for the router's identity signature. Requests without a valid one get 401. */
  routerSigningSecret: string;
  /**
   * How far a signature's timestamp may be from this clock (ROUTER_SIGNATURE_WINDOW_MS).
   * @default DEFAULT_SIGNATURE_WINDOW_MS (30 s)
   */
  signatureWindowMs?: number;
  /**
   * Remembers accepted signatures, so each is accepted once; owned by the
   * caller (share one Redis guard among a subgraph's instances).
   * @default an in-memory guard of this listener's own, closed with it
   */
  replayGuard?: ReplayGuard;
}

export interface RunningSubgraph {
  url: string;
  /** ws:// address of the same endpoint, when subscriptions are served. */
  subscriptionsUrl: string | undefined;
  port: number;
  server: Server;
  /** WebSocket connections open right now (0 without subscriptions): lets tests prove teardown. */
  webSocketConnections(): number;
  /** Closes WebSocket connections (1001), then the HTTP server. */
  close(): Promise<void>;
}

export interface Subgraph<TContext extends RequestContextBase> {
  readonly name: string;
  readonly schema: GraphQLSchema;
  readonly apollo: ApolloServer<TContext>;
  /** Whether listen() serves subscriptions over WebSocket. */
  readonly subscriptions: boolean;
  /**
   * Runs one operation in process, as the given caller: what subgraph tests use.
   * Starts Apollo Server on first use.
   */
  execute<TData = Record<string, unknown>>(
    query: string | DocumentNode,
    variables?: Record<string, unknown>,
    options?: { identity?: Identity | null; clientIp?: string },
  ): Promise<FormattedExecutionResult<TData>>;
  listen(options: ListenOptions): Promise<RunningSubgraph>;
  /** Stops Apollo Server (and, when listening, WebSocket connections and the HTTP server). */
  stop(): Promise<void>;
}

/**
 * Hides anything not from the error catalogue: a client never sees a stack,
 * SQL text or a driver message. The original is logged with the request id.
 */
function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isClientSafe(code) && code !== ERRORS.INTERNAL_SERVER_ERROR.code) return formatted;
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (isOverloadError(original)) {
      // Busy, not broken: a client may retry (useRetryAfter turns a refused request into 503 + Retry-After).
      logger.warn({ err: original, path: formatted.path }, "database overloaded");
      return {
        message: "The service is overloaded; try again shortly",
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: { code: ERRORS.SERVICE_OVERLOADED.code, retryAfterSeconds: OVERLOAD_RETRY_AFTER_SECONDS },
      };
    }
    logger.error({ err: original, path: formatted.path }, "unexpected error in resolver");
    return {
      message: "Internal server error",
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ERRORS.INTERNAL_SERVER_ERROR.code },
    };
  };
}

function useRequestLogging<TContext extends RequestContextBase>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = performance.now();
      return {
        async willSendResponse({ errors, operationName }) {
          contextValue.logger.debug(
            { operationName: operationName ?? request.operationName, ms: Math.round(performance.now() - started), errors: errors?.length ?? 0 },
            "graphql request",
          );
        },
      };
    },
  };
}

export function createSubgraph<TContext extends RequestContextBase>(options: SubgraphOptions<TContext>): Subgraph<TContext> {
  const logger = options.logger.child({ component: "subgraph" });
  const tracing = options.tracing ?? disabledTracing(options.name);
  // buildSubgraphSchema keeps a Subscription field's `subscribe` (an AsyncIterable source) next to its `resolve`.
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: stopResolvingWhenAborted(options.resolvers) }]);
  if (tracing.enabled) traceResolvers(schema, options.resolvers, tracing.tracer);
  const subscriptions = options.subscriptions ?? Boolean(schema.getSubscriptionType());
  const formatError = createFormatError(logger);
  const apollo = new ApolloServer<TContext>({
    // Our own shutdown (kit onShutdown / the platform) stops Apollo Server. Its own
    // signal handlers would call stop() a second time, concurrently, and
    // @apollo/server 5.5 can wait forever on that second call.
    stopOnTerminationSignals: false,
    schema,
    includeStacktraceInErrorResponses: false,
    formatError,
    // Federated traces (ftv1), usage and schema reports are for Apollo's cloud,
    // which we never report to (APOLLO_KEY in the environment changes nothing).
    plugins: [
      useRequestLogging<TContext>(),
      useSafeStrings<TContext>(),
      useRetryAfter<TContext>(),
      ...(tracing.enabled ? [useTracing<TContext>()] : []),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
    // The router is the only client; it asks for the SDL through `_service`.
    introspection: true,
  });
  let started: Promise<void> | undefined;
  const ensureStarted = () => (started ??= apollo.start());
  let http: Server | undefined;
  let sockets: SubscriptionServer | undefined;

  const contextFor = (identity: Identity | null, requestId: string, clientIp?: string, signal?: AbortSignal) =>
    options.createContext({ identity, requestId, logger: logger.child({ requestId }), ...(clientIp ? { clientIp } : {}), ...(signal ? { signal } : {}) });
  let ownGuard: ReplayGuard | undefined;

  const closeListening = async () => {
    // WebSockets first: node's server.close() waits for upgraded sockets too.
    await sockets?.close();
    sockets = undefined;
    if (http) await closeServer(http);
    http = undefined;
    await ownGuard?.close();
    ownGuard = undefined;
  };

  return {
    name: options.name,
    schema,
    apollo,
    subscriptions,
    async execute<TData>(query: string | DocumentNode, variables?: Record<string, unknown>, opts: { identity?: Identity | null; clientIp?: string } = {}) {
      await ensureStarted();
      const request: Omit<GraphQLRequest, "query"> & { query?: string | DocumentNode } = { query, variables };
      const run = async () => {
        const contextValue = contextFor(opts.identity ?? null, randomUUID(), opts.clientIp);
        const response = await apollo.executeOperation<TData>(request as never, { contextValue });
        if (response.body.kind !== "single") throw new Error("incremental delivery is not used by subgraphs");
        return response.body.singleResult as FormattedExecutionResult<TData>;
      };
      if (!tracing.enabled) return run();
      // In process, nothing vouches for a caller's trace: always a trace of its own.
      const span = tracing.tracer.startSpan("graphql", { kind: SpanKind.SERVER, root: true, attributes: { "store.subgraph": options.name } });
      try {
        return await context.with(requestContext(ROOT_CONTEXT, span), run);
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    async listen({ port, host = "127.0.0.1", routerSigningSecret, signatureWindowMs, replayGuard }) {
      await ensureStarted();
      const guard = replayGuard ?? (ownGuard = createMemoryReplayGuard());
      // What a request's signature vouched for besides the identity, for its context.
      const clientIps = new WeakMap<IncomingMessage, string>();
      const traceparents = new WeakMap<IncomingMessage, string>();
      const graphql: RouteHandler = (req, res, path) => {
        const arrived = performance.now();
        // Aborted when the router closes the connection before the answer is
        // sent; resolvers and loaders see it (context.signal, requestSignal()).
        const signal = abortedWith(res);
        runWithRequestSignal(signal, () => handleGraphQLRequest(req, res, {
          apollo,
          async authenticate(request, body) {
            const accepted = await acceptRouterRequest(routerSigningSecret, guard, {
              method: request.method ?? "GET",
              subgraph: options.name,
              body,
              headers: request.headers,
              ...(signatureWindowMs === undefined ? {} : { windowMs: signatureWindowMs }),
            });
            if (!accepted.ok) {
              // debug: a replayed request could otherwise flood the logs.
              logger.debug({ reason: accepted.reason, remote: request.socket.remoteAddress }, "request refused: router signature");
              throw accepted.unavailable ? replayGuardUnavailable() : routerSignatureRequired(accepted.reason);
            }
            if (accepted.clientIp) clientIps.set(request, accepted.clientIp);
            // Signed, so the router's: a client can neither forge nor replay it.
            if (accepted.traceparent) traceparents.set(request, accepted.traceparent);
            return accepted.identity;
          },
          context: async ({ req: request, identity, requestId }) => contextFor(identity, requestId, clientIps.get(request), signal),
          around: tracing.enabled
            ? (request, response, answer) => inServerSpan(tracing.tracer, { subgraph: options.name, route: path, arrived, traceparent: traceparents.get(request) }, request, response, answer)
            : undefined,
        }).catch((error: unknown) => {
          logger.error({ err: error }, "request failed");
          if (!res.headersSent) sendError(res, 500, ERRORS.INTERNAL_SERVER_ERROR.code, "Internal server error");
          else res.destroy();
        }));
      };
      const server = createServer(
        routeRequests({
          "/health": healthRoute({ subgraph: options.name }),
          "/ready": readinessRoute(async () => {
            await options.ready?.();
            return true;
          }, { body: { subgraph: options.name }, logger }),
          "/metrics": options.registry ? metricsRoute(options.registry, { logger }) : undefined,
          "/status": options.status
            ? statusRoute({ subgraph: options.name, routerSigningSecret, replayGuard: guard, signatureWindowMs, status: options.status, logger })
            : undefined,
          ...Object.fromEntries(GRAPHQL_PATHS.map((path) => [path, graphql])),
        }),
      );
      const ws = subscriptions
        ? createSubscriptionServer({
            schema,
            subgraph: options.name,
            routerSigningSecret,
            replayGuard: guard,
            ...(signatureWindowMs === undefined ? {} : { signatureWindowMs }),
            logger,
            formatError,
            tracing,
            context: (identity, requestId) => contextFor(identity, requestId),
          })
        : undefined;
      server.on("upgrade", routeUpgrades((req, socket, head) => (ws ? ws.handleUpgrade(req, socket, head) : refuseUpgrade(socket, 404, "Not Found"))));
      // Keep-alive from the router must outlive its pool's idle timeout, or
      // the router races a closing socket.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      let actual: number;
      try {
        actual = await listenOn(server, port, host);
      } catch (error) {
        await ws?.close();
        throw error;
      }
      http = server;
      sockets = ws;
      const authority = `${host.includes(":") ? `[${host}]` : host}:${actual}`;
      const url = `http://${authority}/graphql`;
      const subscriptionsUrl = ws ? `ws://${authority}/graphql` : undefined;
      logger.info({ url, subscriptionsUrl }, "subgraph listening");
      return {
        url,
        subscriptionsUrl,
        port: actual,
        server,
        webSocketConnections: () => ws?.connections ?? 0,
        close: closeListening,
      };
    },
    async stop() {
      await closeListening();
      if (started) await apollo.stop();
    },
  };
}

interface ServerSpanOptions {
  subgraph: string;
  /** The path the request matched: `http.route`. */
  route: string;
  /** performance.now() when the request arrived: the span covers reading and verifying it too. */
  arrived: number;
  /** The traceparent the router signed, if any: the span's parent. Without one, a trace of its own. */
  traceparent: string | undefined;
}

/**
 * Answers an authenticated request in its SERVER span, `POST /graphql` until
 * useTracing names it after its operation, and records the HTTP status it
 * ends with. Its parent is only ever the signed traceparent: the request's
 * own headers are not read here.
 */
function inServerSpan(tracer: Tracer, { subgraph, route, arrived, traceparent }: ServerSpanOptions, req: IncomingMessage, res: ServerResponse, answer: () => Promise<void>): Promise<void> {
  const method = req.method ?? "GET";
  const parent = contextFrom({ traceparent }, ROOT_CONTEXT);
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, startTime: arrived, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_HTTP_ROUTE]: route, "store.subgraph": subgraph } },
    parent,
  );
  return context.with(requestContext(parent, span), () => answerInSpan(span, res, answer));
}

/** Runs a request's answer in its server span, then records the HTTP status the span ends with. */
async function answerInSpan(span: Span, res: ServerResponse, answer: () => Promise<void>): Promise<void> {
  try {
    await answer();
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    // Headers not sent means an unexpected error: the caller answers 500.
    const status = res.headersSent ? res.statusCode : 500;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    span.end();
  }
}

/** A signal aborted when `res` closes before the answer was sent: the router closed the connection. */
function abortedWith(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(ERRORS.REQUEST_TIMEOUT.err("The router gave up on this request"));
  });
  return controller.signal;
}

/**
 * The resolvers with every `__resolveReference` refusing to start once the
 * request is aborted: an `_entities` fetch of hundreds of representations
 * stops where it is when the router has given up on it.
 */
function stopResolvingWhenAborted<TContext extends RequestContextBase>(resolvers: SubgraphResolvers<TContext>): ApolloResolverMap {
  const wrapped: Record<string, unknown> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const resolveReference = (fields as { __resolveReference?: unknown } | undefined)?.__resolveReference;
    if (typeof resolveReference !== "function") {
      wrapped[typeName] = fields;
      continue;
    }
    wrapped[typeName] = {
      ...(fields as object),
      __resolveReference(reference: unknown, context: TContext, info: unknown) {
        if (context.signal?.aborted) throw ERRORS.REQUEST_TIMEOUT.err("The router gave up on this request");
        return (resolveReference as (...args: unknown[]) => unknown)(reference, context, info);
      },
    };
  }
  // The same map with a wrapped function in place of each __resolveReference: Apollo reads it as untyped as it is.
  return wrapped as ApolloResolverMap;
}
