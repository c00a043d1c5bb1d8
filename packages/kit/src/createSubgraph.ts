import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin, type GraphQLRequest } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper/resolverMap.js";
import { GraphQLError, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from "graphql";
import { isClientSafe, ErrorCode } from "./errors.ts";
import { verifyIdentityHeaders, type Identity } from "./identity.ts";
import { handleGraphQLRequest, routerSignatureRequired, sendError, sendJson } from "./http.ts";
import type { Logger } from "./logger.ts";
import { createSubscriptionServer, type SubscriptionServer } from "./subscriptionServer.ts";
import { randomUUID } from "node:crypto";
import type { Registry } from "prom-client";

/** What every subgraph's context starts from. */
export interface RequestContextBase {
  identity: Identity | null;
  requestId: string;
  logger: Logger;
}

export interface SubgraphOptions<TContext extends RequestContextBase> {
  /** Subgraph name as in supergraph.yaml, e.g. "catalog". */
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  /** Builds a request's context (per-request DataLoaders live here). */
  createContext(base: RequestContextBase): TContext;
  /** Readiness beyond "the process is up", e.g. a `SELECT 1`. */
  ready?(): Promise<void>;
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
    options?: { identity?: Identity | null },
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
    if (isClientSafe(code) && code !== ErrorCode.InternalServerError) return formatted;
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    logger.error({ err: original, path: formatted.path }, "unexpected error in resolver");
    return {
      message: "Internal server error",
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.InternalServerError },
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
  // buildSubgraphSchema keeps a Subscription field's `subscribe` (an AsyncIterable source) next to its `resolve`.
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as never }]);
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
    plugins: [useRequestLogging<TContext>(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()],
    // The router is the only client; it asks for the SDL through `_service`.
    introspection: true,
  });
  let started: Promise<void> | undefined;
  const ensureStarted = () => (started ??= apollo.start());
  let http: Server | undefined;
  let sockets: SubscriptionServer | undefined;

  const contextFor = (identity: Identity | null, requestId: string) =>
    options.createContext({ identity, requestId, logger: logger.child({ requestId }) });

  const closeListening = async () => {
    // WebSockets first: node's server.close() waits for upgraded sockets too.
    await sockets?.close();
    sockets = undefined;
    if (http) await closeServer(http);
    http = undefined;
  };

  return {
    name: options.name,
    schema,
    apollo,
    subscriptions,
    async execute<TData>(query: string | DocumentNode, variables?: Record<string, unknown>, opts: { identity?: Identity | null } = {}) {
      await ensureStarted();
      const request: Omit<GraphQLRequest, "query"> & { query?: string | DocumentNode } = { query, variables };
      const response = await apollo.executeOperation<TData>(request as never, {
        contextValue: contextFor(opts.identity ?? null, randomUUID()),
      });
      if (response.body.kind !== "single") throw new Error("incremental delivery is not used by subgraphs");
      return response.body.singleResult as FormattedExecutionResult<TData>;
    },
    async listen({ port, host = "127.0.0.1", routerSigningSecret }) {
      await ensureStarted();
      const server = createServer((req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path === "/health") return sendJson(res, 200, { status: "ok", subgraph: options.name });
        if (path === "/ready") {
          void (options.ready?.() ?? Promise.resolve()).then(
            () => sendJson(res, 200, { status: "ready", subgraph: options.name }),
            (error: unknown) => {
              logger.warn({ err: error }, "readiness check failed");
              sendJson(res, 503, { status: "unavailable", subgraph: options.name });
            },
          );
          return;
        }
        if (path === "/metrics" && options.registry) {
          const registry = options.registry;
          void registry.metrics().then(
            (body) => {
              res.writeHead(200, { "content-type": registry.contentType });
              res.end(body);
            },
            (error: unknown) => {
              logger.error({ err: error }, "metrics collection failed");
              sendError(res, 500, ErrorCode.InternalServerError, "metrics collection failed");
            },
          );
          return;
        }
        if (path !== "/graphql" && path !== "/") return sendError(res, 404, "NOT_FOUND", `No route for ${path}`);
        handleGraphQLRequest(req, res, {
          apollo,
          authenticate(request) {
            const verified = verifyIdentityHeaders(routerSigningSecret, request.headers);
            if (!verified.ok) throw routerSignatureRequired(verified.reason);
            return verified.identity;
          },
          context: async ({ identity, requestId }) => contextFor(identity, requestId),
        }).catch((error: unknown) => {
          logger.error({ err: error }, "request failed");
          if (!res.headersSent) sendError(res, 500, ErrorCode.InternalServerError, "Internal server error");
          else res.destroy();
        });
      });
      const ws = subscriptions
        ? createSubscriptionServer({ schema, routerSigningSecret, logger, formatError, context: (identity, requestId) => contextFor(identity, requestId) })
        : undefined;
      server.on("upgrade", (req, socket, head: Buffer) => {
        const path = (req.url ?? "/").split("?")[0];
        if (!ws || (path !== "/graphql" && path !== "/")) {
          // An upgraded socket has no HTTP error handler left: a reset peer must not crash the process.
          socket.once("error", () => socket.destroy());
          socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        ws.handleUpgrade(req, socket, head);
      });
      // Keep-alive from the router must outlive its pool's idle timeout, or
      // the router races a closing socket.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, host, () => resolve());
        });
      } catch (error) {
        await ws?.close();
        throw error;
      }
      http = server;
      sockets = ws;
      const actual = (server.address() as AddressInfo).port;
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

/**
 * Stops accepting connections and waits for requests in flight, up to
 * `graceMs`; then drops whatever is still open so shutdown always ends.
 */
export function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    // Idle keep-alive sockets would hold close() open for their whole timeout.
    server.closeIdleConnections();
  });
}
