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

import { serveGraphiQL, serveGraphiQLAsset, wantsGraphiQL } from "./graphiql.ts";
import { fileSupergraphSource, urlSupergraphSource, type SupergraphSource } from "./supergraphSource.ts";
import { SupergraphPlanner } from "./execution/SupergraphPlanner.ts";
import { QueryExecutor, withExecutor } from "./execution/QueryExecutor.ts";
import { createFastPath } from "./execution/fastPath.ts";
import { createOperationLimits, type OperationLimits } from "./limits/operationLimits.ts";
import { operationLimitsRule, useOperationGuard } from "./plugins/useOperationGuard.ts";
import { RequestDeadline } from "./execution/RequestDeadline.ts";
import { clientAddressOf, clientKeyFor, clientKeyOf, createRateLimiter, rateLimitedError, rateLimitOptionsFromConfig, useRateLimit, type RateLimiter } from "./plugins/useRateLimit.ts";
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

const SUGGESTION = / ?Did you mean [^?]*\?/g;
// graphql-js 16 says "more that N tokens"; a later version may fix the typo.
const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/**
 * Codes the router passes through to clients; anything else is masked. Also
 * gives Apollo Server's answers the router's own words: its parser's token
 * limit as OPERATION_LIMIT_EXCEEDED, a parser stack overflow as a plain parse
 * error, and (with introspection off) no "Did you mean" suggestions.
 */
function formatError(logger: Logger, metrics: RouterMetrics, limits: OperationLimits, suggestions: boolean) {
  return (given: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let formatted = given;
    if (formatted.extensions?.code === "GRAPHQL_PARSE_FAILED") {
      const tokens = TOKEN_LIMIT.exec(formatted.message);
      if (tokens) {
        const source = error instanceof Error && "source" in error ? (error as { source?: { body?: string } }).source?.body : undefined;
        formatted = source ? limits.tooManyTokens(source).toJSON() : ERRORS.OPERATION_LIMIT_EXCEEDED.err(`The document has more tokens than the limit of ${tokens[1]}`, { extensions: { limit: "tokens", maximum: Number(tokens[1]) } }).toJSON();
      } else if (/call stack/i.test(formatted.message)) {
        formatted = { message: "Syntax Error: the document is nested too deeply to parse", extensions: { code: "GRAPHQL_PARSE_FAILED" } };
      }
    }
    // operationLimitsRule's error, which Apollo Server's validation gave its own code.
    if (formatted.extensions?.code === "GRAPHQL_VALIDATION_FAILED" && typeof formatted.extensions.limit === "string") {
      formatted = { ...formatted, extensions: { ...formatted.extensions, code: ERRORS.OPERATION_LIMIT_EXCEEDED.code } };
    }
    if (!suggestions && formatted.message.includes("Did you mean")) formatted = { ...formatted, message: formatted.message.replace(SUGGESTION, "") };
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
  const production = (config.NODE_ENV ?? process.env.NODE_ENV) === "production";
  const introspection = config.ROUTER_INTROSPECTION ?? !production;
  const limits = createOperationLimits({
    maxTokens: config.ROUTER_MAX_TOKENS,
    maxDepth: config.ROUTER_MAX_DEPTH,
    maxAliases: config.ROUTER_MAX_ALIASES,
    maxRootFields: config.ROUTER_MAX_ROOT_FIELDS,
    maxDirectives: config.ROUTER_MAX_DIRECTIVES,
    maxSelections: config.ROUTER_MAX_SELECTIONS,
    maxCost: config.ROUTER_MAX_COST,
    defaultListSize: config.ROUTER_COST_DEFAULT_LIST_SIZE,
    weights: config.ROUTER_COST_WEIGHTS,
  });
  const limiter: RateLimiter = createRateLimiter(rateLimitOptionsFromConfig(config), log);
  /** Spends one operation of the client's budget (fast path, WebSocket subscribe); RATE_LIMITED when it is spent. */
  const spendBudget = async (context: RouterContext, operationType: "query" | "mutation" | "subscription") => {
    if (!context.clientKey) return undefined;
    const decision = await limiter.consume(context.clientKey, operationType);
    return decision.ok ? undefined : rateLimitedError(decision);
  };
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
  const planner = new SupergraphPlanner({ urlOverrides: config.subgraphUrls, logger: log, limits, cacheBytes: config.ROUTER_CACHE_BYTES });
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
  const formatErrors = formatError(log, metrics, limits, introspection);
  const apollo = new ApolloServer<RouterContext>({
    // Our own shutdown (kit onShutdown / the platform) stops Apollo Server. Its own
    // signal handlers would call stop() a second time, concurrently, and
    // @apollo/server 5.5 can wait forever on that second call.
    stopOnTerminationSignals: false,
    gateway: withExecutor(gateway, config.QUERY_EXECUTOR === "router" ? executor : undefined),
    includeStacktraceInErrorResponses: false,
    formatError: formatErrors,
    introspection,
    hideSchemaDetailsFromClientErrors: !introspection,
    // The same token limit as the fast path's parser.
    parseOptions: { maxTokens: config.ROUTER_MAX_TOKENS },
    validationRules: [operationLimitsRule(limits)],
    // Usage and schema reporting go to Apollo's cloud when APOLLO_KEY is set: never from here.
    plugins: [useOperationGuard<RouterContext>(limits), useRateLimit<RouterContext>(limiter, (context) => context.clientKey), useMetrics(metrics), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled(), ...(trusted ? [trusted.plugin<RouterContext>()] : [])],
    ...(trusted ? { persistedQueries: { cache: trusted.cache } } : {}),
  });

  const subscriptions = createSubscriptionServer({
    planner,
    jwtSecret: config.JWT_SECRET,
    signingSecret: config.ROUTER_SIGNING_SECRET,
    fetchSubgraph: (name, url, request, context) => executor.client(name, url).send(request, executor.signerFor(context)),
    async executeOperation(request, context) {
      const response = await apollo.executeOperation({ query: request.query, operationName: request.operationName, variables: request.variables }, { contextValue: context });
      // Incremental delivery is not enabled, so every response is single.
      return response.body.kind === "single" ? response.body.singleResult : { errors: [{ message: "Incremental delivery is not supported", extensions: { code: ERRORS.OPERATION_NOT_SUPPORTED.code } }] };
    },
    logger: log,
    metrics,
    maxPayloadBytes: config.ROUTER_MAX_BODY_BYTES,
    clientKeyOf: (request, identity) => clientKeyOf(request, identity, config.ROUTER_TRUST_PROXY),
    consume: (context, operationType) => spendBudget(context, operationType),
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
  const fastPath = config.QUERY_EXECUTOR === "router" && !trusted ? createFastPath({ executor, planner, metrics, formatError: formatErrors, admit: spendBudget }) : undefined;

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
  let metricsServer: Server | undefined;
  let started = false;

  // In production the metrics are not on the public port: METRICS_PORT
  // (default 9464, loopback) serves them apart; elsewhere /metrics on PORT
  // unless METRICS_PORT is set. METRICS_TOKEN protects either.
  const metricsPort = config.METRICS_PORT ?? (production ? 9464 : undefined);
  const serveMetrics = (req: IncomingMessage, res: ServerResponse) => {
    if (config.METRICS_TOKEN && req.headers.authorization !== `Bearer ${config.METRICS_TOKEN}`) {
      return sendError(res, 401, ERRORS.UNAUTHENTICATED.code, "The metrics endpoint requires its bearer token");
    }
    metrics.registry.metrics().then(
      (body) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(body);
      },
      (error: unknown) => {
        log.error({ err: error }, "metrics collection failed");
        sendError(res, 500, "INTERNAL_SERVER_ERROR", "metrics collection failed");
      },
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") return sendJson(res, 200, { status: "ok" });
    if (path === "/ready") return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "starting" });
    if (path === "/metrics" && metricsPort === undefined) return serveMetrics(req, res);
    if (path?.startsWith("/graphiql/") && serveGraphiQLAsset(path, res)) return;
    if (path !== "/graphql" && path !== "/") return sendError(res, 404, "NOT_FOUND", `No route for ${path}`);
    if (applyCors(req, res)) return;
    if (wantsGraphiQL(req)) return serveGraphiQL(res);
    // The request's deadline, and its client's disconnect: either aborts the
    // subgraph fetches still in flight (one timer per request).
    const deadline = new RequestDeadline();
    const timer = setTimeout(() => deadline.abort(new Error("request deadline")), config.ROUTER_REQUEST_TIMEOUT_MS);
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) deadline.abort(new Error("client disconnected"));
    });
    handleGraphQLRequest(req, res, {
      apollo,
      authenticate,
      maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
      context: async ({ identity, requestId }) => {
        const clientIp = clientAddressOf(req, config.ROUTER_TRUST_PROXY);
        return { identity, requestId, logger: log.child({ requestId }), clientKey: clientKeyFor(clientIp, identity), clientIp, signal: deadline };
      },
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
      if (metricsPort !== undefined) {
        const served = createServer((req, res) => ((req.url ?? "/").split("?")[0] === "/metrics" ? serveMetrics(req, res) : sendError(res, 404, "NOT_FOUND", "Only /metrics is served here")));
        await new Promise<void>((resolve, reject) => {
          served.once("error", reject);
          served.listen(metricsPort, config.METRICS_HOST, () => resolve());
        });
        metricsServer = served;
        log.info({ url: `http://${config.METRICS_HOST}:${(served.address() as AddressInfo).port}/metrics` }, "metrics listening");
      }
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
      if (metricsServer) await closeServer(metricsServer);
      metricsServer = undefined;
      if (started) await apollo.stop();
      started = false;
      await executor.close();
      await limiter.close();
    },
  };
}
