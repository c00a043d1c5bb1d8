import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLFormattedError } from "graphql";
import { closeServer, disableDependencyTelemetry, ERRORS, handleGraphQLRequest, HttpError, sendError, sendJson, verifyAccessToken, type Identity, type Logger } from "@store/kit";
import type { RouterConfig } from "./config.ts";
import type { RouterContext } from "./context.ts";
import { createMetrics, type RouterMetrics } from "./metrics.ts";
import { SubgraphDataSource } from "./SubgraphDataSource.ts";
import { createTrustedDocuments } from "./trustedDocuments.ts";
import { RouterErrorCode } from "./errors.ts";
import { serveGraphiQL, serveGraphiQLAsset, wantsGraphiQL } from "./graphiql.ts";
import { fileSupergraphSource, urlSupergraphSource, type SupergraphSource } from "./supergraphSource.ts";
import { SupergraphPlanner } from "./execution/SupergraphPlanner.ts";
import { QueryExecutor, withExecutor } from "./execution/QueryExecutor.ts";
import { createFastPath } from "./execution/fastPath.ts";
import { createSubscriptionServer, type SubscriptionStats } from "./subscriptions/createSubscriptionServer.ts";

export interface RouterDeps {
  config: RouterConfig;
  logger: Logger;
}

export interface Router {
  readonly metrics: RouterMetrics;
  /** WebSocket connections, client subscriptions and upstream sockets/subscriptions right now. */
  subscriptionStats(): SubscriptionStats;
  listen(): Promise<{ url: string; port: number; server: Server }>;
  stop(): Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** Codes the router passes through to clients; anything else is masked. */
function formatError(logger: Logger, metrics: RouterMetrics) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? "INTERNAL_SERVER_ERROR");
    const subgraph = typeof formatted.extensions?.serviceName === "string" ? formatted.extensions.serviceName : "";
    metrics.errors.inc({ code, subgraph });
    if (code !== "INTERNAL_SERVER_ERROR" || subgraph) return formatted;
    logger.error({ err: error }, "unexpected router error");
    return { message: "Internal server error", ...(formatted.path ? { path: formatted.path } : {}), extensions: { code } };
  };
}

function useMetrics(metrics: RouterMetrics): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, errors, response }) {
          const type = operation?.operation ?? "unknown";
          const failed = Boolean(errors?.length) || (response.body.kind === "single" && Boolean(response.body.singleResult.errors?.length));
          metrics.requests.inc({ operation_type: type, status: failed ? "error" : "ok" });
          metrics.requestDuration.observe({ operation_type: type }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/** The router's composition root: gateway, Apollo Server, HTTP routes, supergraph reloads. */
export function createRouter({ config, logger }: RouterDeps): Router {
  const metrics = createMetrics();
  const log = logger.child({ component: "router" });
  const source: SupergraphSource = config.SUPERGRAPH_URL
    ? urlSupergraphSource(config.SUPERGRAPH_URL, log, config.SUPERGRAPH_POLL_INTERVAL_MS)
    : fileSupergraphSource(config.SUPERGRAPH_PATH, log);
  let ready = false;

  // With QUERY_EXECUTOR=gateway, @apollo/gateway executes plans through these
  // data sources (same signing, timeout and metrics as the router's clients).
  const dataSources = new Map<string, SubgraphDataSource>();
  const dataSourceFor = (name: string, url: string): SubgraphDataSource => {
    const key = `${name} ${url}`;
    let source = dataSources.get(key);
    if (!source) {
      source = new SubgraphDataSource({ name, url, signingSecret: config.ROUTER_SIGNING_SECRET, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, metrics, logger: log });
      dataSources.set(key, source);
    }
    return source;
  };

  // Before the gateway exists: its constructor starts Apollo's usage telemetry
  // (cloud metadata probes included) unless this is set.
  disableDependencyTelemetry();
  const gateway = new ApolloGateway({
    logger: log,
    async supergraphSdl({ update }) {
      const sdl = await source.initial();
      metrics.supergraphReloads.inc({ outcome: "loaded" });
      source.watch(async (next) => {
        // The gateway swaps schema and plans atomically; requests already
        // executing finish on the supergraph they started with.
        try {
          update(next);
          metrics.supergraphReloads.inc({ outcome: "reloaded" });
          log.info("supergraph reloaded");
        } catch (error) {
          metrics.supergraphReloads.inc({ outcome: "rejected" });
          log.error({ err: error }, "supergraph update failed; keeping the current one");
        }
      });
      return { supergraphSdl: sdl, cleanup: async () => source.stop() };
    },
    buildService: ({ name, url }) => dataSourceFor(name, config.subgraphUrls[name] ?? url ?? ""),
  });

  // The router plans and runs operations itself (the gateway refuses to run
  // subscription plans at all), on the supergraph the gateway accepted last:
  // this listener runs on the first load and on every successful reload.
  const planner = new SupergraphPlanner({ urlOverrides: config.subgraphUrls, logger: log });
  const executor = new QueryExecutor({ planner, signingSecret: config.ROUTER_SIGNING_SECRET, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, deduplicate: config.SUBGRAPH_DEDUPLICATE, metrics, logger: log });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    try {
      planner.update(coreSupergraphSdl);
    } catch (error) {
      log.error({ err: error }, "the planner could not load the supergraph; keeping the previous one");
    }
  });

  const trusted = config.TRUSTED_DOCUMENTS === "require" ? createTrustedDocuments(config.OPERATIONS_DIR) : undefined;
  if (trusted) log.info({ operations: trusted.size }, "trusted documents: only registered operations run");
  const formatErrors = formatError(log, metrics);
  const apollo = new ApolloServer<RouterContext>({
    // Our own shutdown (kit onShutdown / the platform) stops Apollo Server. Its own
    // signal handlers would call stop() a second time, concurrently, and
    // @apollo/server 5.5 can wait forever on that second call.
    stopOnTerminationSignals: false,
    gateway: withExecutor(gateway, config.QUERY_EXECUTOR === "router" ? executor : undefined),
    includeStacktraceInErrorResponses: false,
    formatError: formatErrors,
    // Usage and schema reporting go to Apollo's cloud when APOLLO_KEY is set: never from here.
    plugins: [useMetrics(metrics), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled(), ...(trusted ? [trusted.plugin<RouterContext>()] : [])],
    ...(trusted ? { persistedQueries: { cache: trusted.cache } } : {}),
  });

  const subscriptions = createSubscriptionServer({
    planner,
    jwtSecret: config.JWT_SECRET,
    signingSecret: config.ROUTER_SIGNING_SECRET,
    fetchSubgraph: (name, url, request, context) => executor.client(name, url).send(request, executor.headersFor(context)),
    async executeOperation(request, context) {
      const response = await apollo.executeOperation({ query: request.query, operationName: request.operationName, variables: request.variables }, { contextValue: context });
      // Incremental delivery is not enabled, so every response is single.
      return response.body.kind === "single" ? response.body.singleResult : { errors: [{ message: "Incremental delivery is not supported", extensions: { code: RouterErrorCode.OperationNotSupported } }] };
    },
    logger: log,
    metrics,
    maxSubscriptionsPerConnection: config.SUBSCRIPTIONS_MAX_PER_CONNECTION,
    maxSubscriptionsPerRouter: config.SUBSCRIPTIONS_MAX_PER_ROUTER,
    clientQueueMax: config.SUBSCRIPTION_CLIENT_QUEUE_MAX,
    upstreamRetryAttempts: config.SUBSCRIPTION_UPSTREAM_RETRY_ATTEMPTS,
    upstreamRetryDelayMs: config.SUBSCRIPTION_UPSTREAM_RETRY_DELAY_MS,
    upstreamKeepAliveMs: config.SUBSCRIPTION_UPSTREAM_KEEPALIVE_MS,
    upstreamConnectTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });

  // The common request (a JSON POST of a valid query or mutation) skips Apollo
  // Server's pipeline; trusted documents keep every request on Apollo Server.
  const fastPath = config.QUERY_EXECUTOR === "router" && !trusted ? createFastPath({ executor, planner, metrics, formatError: formatErrors }) : undefined;

  const corsOrigins = new Set(config.CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean));
  const applyCors = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (origin && corsOrigins.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-allow-headers", "content-type, authorization, apollo-require-preflight, x-request-id");
      res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
      res.setHeader("access-control-max-age", "600");
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return true;
    }
    return false;
  };

  const authenticate = async (req: IncomingMessage): Promise<Identity | null> => {
    const header = req.headers.authorization;
    if (!header) return null;
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new HttpError(401, ERRORS.UNAUTHENTICATED.code, "Authorization header must be 'Bearer <token>'");
    const checked = await verifyAccessToken(config.JWT_SECRET, token);
    if (!checked.ok) throw new HttpError(401, ERRORS.UNAUTHENTICATED.code, checked.reason === "expired" ? "Access token has expired" : "Access token is invalid");
    return checked.identity;
  };

  let server: Server | undefined;
  let started = false;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") return sendJson(res, 200, { status: "ok" });
    if (path === "/ready") return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "starting" });
    if (path === "/metrics") {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(body);
      });
      return;
    }
    if (path?.startsWith("/graphiql/") && serveGraphiQLAsset(path, res)) return;
    if (path !== "/graphql" && path !== "/") return sendError(res, 404, "NOT_FOUND", `No route for ${path}`);
    if (applyCors(req, res)) return;
    if (wantsGraphiQL(req)) return serveGraphiQL(res);
    handleGraphQLRequest(req, res, {
      apollo,
      authenticate,
      context: async ({ identity, requestId }) => ({ identity, requestId, logger: log.child({ requestId }) }),
      ...(fastPath ? { shortcut: (body: string, context: RouterContext) => fastPath.run(body, context) } : {}),
    }).catch((error: unknown) => {
      log.error({ err: error }, "request failed");
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
      else res.destroy();
    });
  };

  return {
    metrics,
    subscriptionStats: () => subscriptions.stats(),
    async listen() {
      await apollo.start();
      started = true;
      ready = true;
      const http = createServer(handle);
      http.keepAliveTimeout = 65_000;
      subscriptions.attach(http);
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(config.PORT, config.HOST, () => resolve());
      });
      server = http;
      const port = (http.address() as AddressInfo).port;
      const url = `http://${config.HOST}:${port}/graphql`;
      log.info({ url }, "router listening");
      return { url, port, server: http };
    },
    async stop() {
      ready = false;
      // WebSockets first: upgraded sockets would hold server.close() open, and
      // their upstream subscriptions must be torn down with them.
      if (server) await subscriptions.stop();
      if (server) await closeServer(server);
      server = undefined;
      if (started) await apollo.stop();
      started = false;
      await executor.close();
    },
  };
}
