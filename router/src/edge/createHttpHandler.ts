import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { ApolloServer } from "@apollo/server";
import { context as activeContext } from "@opentelemetry/api";
import { createCors, ERRORS, GRAPHQL_PATHS, handleGraphQLRequest, healthRoute, metricsRoute, notFound, readinessRoute, routeRequests, sendError, type GraphQLHttpOptions, type Logger, type RouteHandler, type Tracing } from "@store/kit";
import type { RouterConfig } from "../config.ts";
import type { RouterContext } from "../context.ts";
import type { FastPath } from "../execution/fastPath.ts";
import { RequestDeadline } from "../execution/RequestDeadline.ts";
import type { RouterMetrics } from "../metrics.ts";
import { startOperationTrace } from "../tracing/OperationTrace.ts";
import { authenticate, bearerToken } from "./authenticate.ts";
import { clientAddressOf, clientKeyFor } from "./clientAddress.ts";
import { serveGraphiQL, serveGraphiQLAsset, wantsGraphiQL } from "./graphiql.ts";

export interface HttpHandlerOptions {
  config: Pick<RouterConfig, "JWT_SECRET" | "CORS_ORIGINS" | "ROUTER_MAX_BODY_BYTES" | "ROUTER_REQUEST_TIMEOUT_MS" | "ROUTER_TRUST_PROXY" | "METRICS_TOKEN" | "ROUTER_TRUST_TRACEPARENT">;
  apollo: ApolloServer<RouterContext>;
  /** The router's own path for plain JSON POSTs; undefined sends every request through Apollo Server. */
  fastPath: FastPath | undefined;
  metrics: RouterMetrics;
  /** Whether /metrics is served on the GraphQL port (else on a port of its own: `metricsOnly`). */
  metricsOnGraphQLPort: boolean;
  /** Operator routes served wherever /metrics is (the status page), each guarding itself. */
  operatorRoutes?: Readonly<Record<string, RouteHandler>>;
  /** Whether the router can serve: it has a supergraph. */
  ready(): boolean;
  logger: Logger;
  /** A span per GraphQL request (the operation's), when enabled. @default none */
  tracing?: Tracing;
}

export interface HttpHandler {
  /** The GraphQL port: /graphql (and /), GraphiQL, /health, /ready, and /metrics unless it has a port of its own. */
  requests: RequestListener;
  /** A metrics port: /metrics (and the operator routes) only. */
  metricsOnly: RequestListener;
}

/**
 * The router's HTTP edge, on the kit's HTTP primitives: a route table, CORS,
 * GraphiQL for browsers, and GraphQL over HTTP (authentication, the request
 * deadline, the fast path, else Apollo Server). METRICS_TOKEN, when set,
 * guards /metrics wherever it is served.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpHandler {
  const { config, apollo, fastPath, logger } = options;
  const cors = createCors({ origins: config.CORS_ORIGINS.split(",").map((origin) => origin.trim()).filter(Boolean) });
  const metricsToken = config.METRICS_TOKEN;
  const metrics = metricsRoute(options.metrics.registry, { logger, ...(metricsToken ? { authorize: (req: IncomingMessage) => bearerToken(req.headers.authorization) === metricsToken } : {}) });
  const authenticateRequest = (req: IncomingMessage) => authenticate(config.JWT_SECRET, req.headers.authorization, "Authorization header");
  const shortcut = fastPath ? (body: string, context: RouterContext) => fastPath.run(body, context) : undefined;
  const tracer = options.tracing?.enabled ? options.tracing.tracer : undefined;
  const trustTraceparent = config.ROUTER_TRUST_TRACEPARENT;

  const graphql: RouteHandler = (req, res) => {
    if (cors(req, res)) return;
    if (wantsGraphiQL(req)) return serveGraphiQL(res);
    // The request's deadline, and its client's disconnect: either aborts the
    // subgraph fetches still in flight (one timer per request).
    const deadline = new RequestDeadline();
    const timer = setTimeout(() => deadline.abort(new Error("request deadline")), config.ROUTER_REQUEST_TIMEOUT_MS);
    // The operation's span covers the whole exchange, body and authentication included.
    const trace = tracer ? startOperationTrace(tracer, req, trustTraceparent) : undefined;
    res.once("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) deadline.abort(new Error("client disconnected"));
      trace?.end(res.headersSent ? res.statusCode : undefined);
    });
    const handling: GraphQLHttpOptions<RouterContext> = {
      apollo,
      authenticate: authenticateRequest,
      maxBodyBytes: config.ROUTER_MAX_BODY_BYTES,
      context: async ({ identity, requestId }) => {
        const clientIp = clientAddressOf(req, config.ROUTER_TRUST_PROXY);
        trace?.span.setAttribute("store.request_id", requestId);
        return { identity, requestId, logger: logger.child({ requestId, ...trace?.logFields() }), clientKey: clientKeyFor(clientIp, identity), clientIp, signal: deadline, trace };
      },
      shortcut,
    };
    // A recorded operation is the active span while it runs, so every log line
    // of the request carries its trace and span ids; spans themselves find their
    // parent on the context (RouterContext.trace), not here.
    const handled = trace?.recording ? activeContext.with(trace.context, handleGraphQLRequest<RouterContext>, undefined, req, res, handling) : handleGraphQLRequest(req, res, handling);
    handled.catch((error: unknown) => failed(res, error));
  };

  const failed = (res: ServerResponse, error: unknown) => {
    logger.error({ err: error }, "request failed");
    if (!res.headersSent) sendError(res, 500, ERRORS.INTERNAL_SERVER_ERROR.code, "Internal server error");
    else res.destroy();
  };

  const routes: Record<string, RouteHandler | undefined> = {
    "/health": healthRoute(),
    "/ready": readinessRoute(options.ready),
    "/metrics": options.metricsOnGraphQLPort ? metrics : undefined,
    ...(options.metricsOnGraphQLPort ? options.operatorRoutes : {}),
  };
  for (const path of GRAPHQL_PATHS) routes[path] = graphql;
  return {
    requests: routeRequests(routes, (req, res, path) => (path.startsWith("/graphiql/") && serveGraphiQLAsset(path, res) ? undefined : notFound(req, res, path))),
    metricsOnly: routeRequests({ "/metrics": metrics, ...options.operatorRoutes }),
  };
}

