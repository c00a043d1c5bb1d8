import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  GraphQLError,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from "../graphql.ts";
import type { Context } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { requestIdOf, verifyAccessToken, type Identity, type Logger } from "@store/kit";
import { RouterCloseCode } from "../closeCodes.ts";
import { ERRORS } from "@store/kit";
import type { RouterMetrics } from "../metrics.ts";
import type { RouterContext } from "../context.ts";
import { ClientSubscription, SubscriptionEndedError, type OutgoingQueue } from "./ClientSubscription.ts";
import { executeSubscriptionEvent } from "./executeSubscriptionEvent.ts";
import type { JsonObject, SubgraphRequest, SubgraphResponse } from "../execution/executePlanNode.ts";
import type { SupergraphPlanner, SupergraphSnapshot } from "../execution/SupergraphPlanner.ts";
import { UpstreamPool, type UpstreamStats } from "./UpstreamPool.ts";
import type { PlannedSubscription } from "../execution/SupergraphPlanner.ts";

export interface SubscriptionServerOptions {
  planner: SupergraphPlanner;
  /** JWT_SECRET: verifies the access token in connectionParams. */
  jwtSecret: string;
  /** ROUTER_SIGNING_SECRET: signs the caller's identity towards subgraphs. */
  signingSecret: string;
  /** Sends one operation to a subgraph over HTTP (entity fetches); transport failures come back as errors. */
  fetchSubgraph(serviceName: string, url: string, request: SubgraphRequest, context: RouterContext): Promise<SubgraphResponse>;
  /** Runs a query or mutation sent over the socket, the way an HTTP request runs (gateway, plugins, error masking). */
  executeOperation(request: { query: string; operationName: string | undefined; variables: JsonObject | undefined }, context: RouterContext): Promise<FormattedExecutionResult>;
  logger: Logger;
  metrics: RouterMetrics;
  /**
   * Largest message a client may send, in bytes: the HTTP body limit. A
   * larger one closes the socket with 1009 (message too big).
   * @default 1048576
   */
  maxPayloadBytes?: number;
  /** Whose budget the connection's operations spend (rate limits): the user, else the client's address. */
  clientKeyOf?(request: IncomingMessage, identity: Identity | null): RouterContext["clientKey"];
  /** Spends one operation of the client's budget; a RATE_LIMITED error when it is spent. */
  consume?(context: RouterContext, operationType: "query" | "mutation" | "subscription"): Promise<GraphQLError | undefined>;
  /** @default 100 */
  maxSubscriptionsPerConnection?: number;
  /** @default 10000 */
  maxSubscriptionsPerRouter?: number;
  /** Payloads queued for one connection before it is closed with 1013. @default 1000 */
  clientQueueMax?: number;
  /** @default 5 */
  upstreamRetryAttempts?: number;
  /** @default 1000 */
  upstreamRetryDelayMs?: number;
  /** @default 10000 */
  upstreamKeepAliveMs?: number;
  /** How long a subgraph may take to acknowledge a socket. @default 10000 */
  upstreamConnectTimeoutMs?: number;
  /**
   * Ping interval towards clients; one that misses a pong for as long is
   * dropped (graphql-ws's ws adapter does this).
   * @default 12000
   */
  clientKeepAliveMs?: number;
}

export interface SubscriptionStats {
  connections: number;
  subscriptions: number;
  upstream: UpstreamStats;
}

export interface SubscriptionServer {
  /** Serves graphql-ws on `server`'s upgrade requests to /graphql (and /, like HTTP). */
  attach(server: Server): void;
  stats(): SubscriptionStats;
  /**
   * Refuses new sockets, closes every client with 1001 (a client that does
   * not finish the closing handshake within `graceMs` is cut off), then
   * closes every upstream subscription and socket.
   */
  stop(graceMs?: number): Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)$/i;
/** A client that ignores our close frame is cut off after this long: its socket and queue must not linger. */
const CLOSE_GRACE_MS = 5_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

type ConnectionParams = Record<string, unknown>;
type SocketContext = Context<ConnectionParams, Extra & Partial<{ connection: ClientConnection }>>;

/** What onSubscribe hands to graphql-ws's subscribe/execute, through ExecutionArgs.contextValue. */
type PreparedOperation =
  | { kind: "subscription"; start(): ClientSubscription }
  | { kind: "operation"; query: string; variables: JsonObject | undefined; context: RouterContext };

/** One client socket: who it is, its subscriptions and its share of the outgoing queue. */
class ClientConnection implements OutgoingQueue {
  readonly subscriptions = new Set<ClientSubscription>();
  /** Subscriptions admitted (counted against the limits from onSubscribe on, before they start). */
  admitted = 0;
  private queued = 0;
  private dropped = false;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly identity: Identity | null,
    readonly clientKey: RouterContext["clientKey"],
    readonly requestId: string,
    readonly log: Logger,
    private readonly queueMax: number,
    private readonly onDrop: (reason: string) => void,
  ) {}

  take(): boolean {
    if (this.dropped) return false;
    if (this.queued >= this.queueMax) {
      this.drop(RouterCloseCode.SlowConsumer, `Slow consumer: more than ${this.queueMax} payloads queued`, "slow_consumer");
      return false;
    }
    this.queued += 1;
    return true;
  }

  give(count: number): void {
    this.queued -= count;
  }

  /** Closes the socket when the access token expires: a subscription must not outlive the caller's authorization. */
  expireAt(epochSeconds: number): void {
    const ms = epochSeconds * 1000 - Date.now();
    // setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days): check again then instead.
    this.expiry = setTimeout(
      () => (ms > MAX_TIMER_MS ? this.expireAt(epochSeconds) : this.drop(RouterCloseCode.Unauthorized, "Access token has expired", "token_expired")),
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
    this.expiry.unref();
  }

  /** Ends every subscription now (upstreams are left at once) and closes the socket. */
  drop(code: number, reason: string, metric: string): void {
    if (this.dropped) return;
    this.dropped = true;
    this.onDrop(metric);
    this.log.warn({ code, reason }, "closing client connection");
    for (const subscription of [...this.subscriptions]) subscription.finish();
    this.socket.close(code, reason);
    // A client too slow to read its events is too slow to read the close
    // frame behind them; terminate it rather than wait for ws's 30 s.
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  dispose(): void {
    clearTimeout(this.expiry);
  }
}

/** Answers an upgrade request that will not become a WebSocket. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** A GraphQLError (ours or a library's) or an already formatted error (Apollo Server's), as JSON. */
function toFormatted(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  return "toJSON" in error && typeof error.toJSON === "function" ? error.toJSON() : error;
}

/** Reads `exp` from a token that verifyAccessToken already accepted (so its payload is trusted). */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GraphQL over WebSocket (graphql-transport-ws) for clients, on the router's
 * HTTP port and path.
 *
 * Subscriptions are planned with @apollo/query-planner and run by the
 * router: the plan's primary fetch is an upstream graphql-ws subscription on
 * the owning subgraph (shared between identical client subscriptions), and
 * every event runs the plan's `rest` before it is shaped and sent. Queries
 * and mutations on the socket run through Apollo Server and the gateway,
 * exactly as over HTTP.
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { planner, metrics } = options;
  const maxPerConnection = options.maxSubscriptionsPerConnection ?? 100;
  const maxPerRouter = options.maxSubscriptionsPerRouter ?? 10_000;
  const queueMax = options.clientQueueMax ?? 1000;
  const log = options.logger.child({ component: "subscriptions" });
  const pool = new UpstreamPool({
    signingSecret: options.signingSecret,
    retryAttempts: options.upstreamRetryAttempts,
    retryDelayMs: options.upstreamRetryDelayMs,
    keepAliveMs: options.upstreamKeepAliveMs,
    connectTimeoutMs: options.upstreamConnectTimeoutMs,
    logger: log,
    metrics,
  });
  // Without a shared origin check: the token travels in connectionParams,
  // not in a cookie, so a cross-site page cannot borrow a user's session.
  // maxPayload: ws closes the socket with 1009 before buffering a larger message.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  let admitted = 0;
  let stopping = false;

  const unauthorized = (ctx: SocketContext, reason: string): false => {
    metrics.wsDisconnects.inc({ reason: "unauthorized" });
    // graphql-ws answers `false` with 4403 Forbidden; a bad token is 4401.
    // Closing first makes graphql-ws's own close a no-op on a closing socket.
    ctx.extra.socket.close(RouterCloseCode.Unauthorized, reason);
    return false;
  };

  const admit = (connection: ClientConnection): GraphQLError | (() => void) => {
    if (connection.admitted >= maxPerConnection) {
      return ERRORS.SUBSCRIPTION_LIMIT_EXCEEDED.err(`At most ${maxPerConnection} subscriptions per connection`, { extensions: { scope: "connection", limit: maxPerConnection } });
    }
    if (admitted >= maxPerRouter) {
      return ERRORS.SUBSCRIPTION_LIMIT_EXCEEDED.err("The router is at its subscription limit; try again later", { extensions: { scope: "router", limit: maxPerRouter } });
    }
    connection.admitted += 1;
    admitted += 1;
    metrics.subscriptionsActive.inc();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      connection.admitted -= 1;
      admitted -= 1;
      metrics.subscriptionsActive.dec();
    };
  };

  // One upstream event is delivered to every client subscription sharing the
  // upstream (same subgraph, primary operation and identity). Clients with the
  // same plan and variables get one execution of `rest` per event, shared:
  // 500 subscribers of one product cost one entity fetch, not 500.
  const eventResults = new WeakMap<object, Map<PlannedSubscription, Map<string, Promise<ExecutionResult>>>>();
  const sharedEventResult = (event: object, plan: PlannedSubscription, variablesKey: string, run: () => Promise<ExecutionResult>): Promise<ExecutionResult> => {
    let byPlan = eventResults.get(event);
    if (!byPlan) {
      byPlan = new Map();
      eventResults.set(event, byPlan);
    }
    let byVariables = byPlan.get(plan);
    if (!byVariables) {
      byVariables = new Map();
      byPlan.set(plan, byVariables);
    }
    let result = byVariables.get(variablesKey);
    if (!result) {
      result = run();
      byVariables.set(variablesKey, result);
    }
    return result;
  };

  const prepareSubscription = (
    connection: ClientConnection,
    supergraph: SupergraphSnapshot,
    request: { query: string; document: DocumentNode; operation: OperationDefinitionNode; operationName: string | undefined; variables: JsonObject },
  ): PreparedOperation | readonly GraphQLError[] => {
    // Parsed, within the limits, valid and with coerced variables (SupergraphSnapshot.prepare).
    const { query, document, operationName, variables } = request;
    let plan;
    try {
      plan = supergraph.plan(query, document, operationName);
    } catch (error) {
      return [error instanceof GraphQLError ? error : ERRORS.QUERY_PLANNING_FAILED.err("The operation could not be planned")];
    }
    const url = supergraph.subgraphUrls.get(plan.primary.serviceName);
    if (!url) return [ERRORS.QUERY_PLANNING_FAILED.err(`The supergraph has no routing URL for subgraph ${plan.primary.serviceName}`)];
    const release = admit(connection);
    if (release instanceof GraphQLError) return [release];

    const { identity, requestId } = connection;
    const context: RouterContext = { identity, requestId, logger: connection.log, ...(connection.clientKey ? { clientKey: connection.clientKey } : {}) };
    const variablesKey = JSON.stringify(variables);
    const primaryVariables: JsonObject = {};
    for (const name of plan.primary.variableUsages ?? []) if (variables[name] !== undefined) primaryVariables[name] = variables[name];
    const fetch = (serviceName: string, request: SubgraphRequest): Promise<SubgraphResponse> => {
      const target = plan.supergraph.subgraphUrls.get(serviceName);
      if (!target) return Promise.resolve({ errors: [{ message: `No routing URL for subgraph ${serviceName}`, extensions: { code: ERRORS.INTERNAL_SERVER_ERROR.code } }] });
      return options.fetchSubgraph(serviceName, target, request, context);
    };

    return {
      kind: "subscription",
      start() {
        const subscription = new ClientSubscription({
          queue: connection,
          open: (sink) => pool.subscribe({ serviceName: plan.primary.serviceName, url, identity, requestId, query: plan.primary.operation, operationName: plan.primary.operationName, variables: primaryVariables }, sink),
          execute: async (event) => {
            try {
              const result = await sharedEventResult(event, plan, variablesKey, () => executeSubscriptionEvent({ plan, variables, fetch, logger: connection.log }, event));
              metrics.subscriptionEvents.inc({ outcome: result.errors?.length ? "error" : "ok" });
              return result;
            } catch (error) {
              connection.log.error({ err: error }, "subscription event failed in the router");
              metrics.subscriptionEvents.inc({ outcome: "error" });
              return { data: null, errors: [ERRORS.INTERNAL_SERVER_ERROR.err("Internal server error")] };
            }
          },
          onEnd: () => {
            connection.subscriptions.delete(subscription);
            release();
          },
        });
        if (!subscription.done) connection.subscriptions.add(subscription);
        return subscription;
      },
    };
  };

  useServer<ConnectionParams, { connection: ClientConnection }>(
    {
      async onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        let identity: Identity | null = null;
        let expiresAt: number | undefined;
        // No token is an anonymous caller; subgraphs decide what it may see.
        if (header !== undefined && header !== null && header !== "") {
          const token = typeof header === "string" ? BEARER.exec(header)?.[1] : undefined;
          if (!token) return unauthorized(ctx, "connectionParams.authorization must be 'Bearer <token>'");
          const checked = await verifyAccessToken(options.jwtSecret, token);
          if (!checked.ok) return unauthorized(ctx, checked.reason === "expired" ? "Access token has expired" : "Access token is invalid");
          identity = checked.identity;
          expiresAt = expiryOf(token);
        }
        const requestId = requestIdOf(ctx.extra.request);
        const connection = new ClientConnection(ctx.extra.socket, identity, options.clientKeyOf?.(ctx.extra.request, identity), requestId, log.child({ requestId }), queueMax, (reason) => metrics.wsDisconnects.inc({ reason }));
        if (expiresAt !== undefined) connection.expireAt(expiresAt);
        ctx.extra.connection = connection;
        return true;
      },
      // The rate limit is spent first (asynchronously); from there on,
      // synchronous on purpose: the limit check and the admission cannot
      // interleave with another Subscribe message on the same socket.
      async onSubscribe(ctx, _id, payload) {
        const connection = ctx.extra.connection;
        if (!connection) return [new GraphQLError("The connection is not acknowledged", { extensions: { code: ERRORS.INTERNAL_SERVER_ERROR.code } })];
        try {
          const supergraph = planner.current();
          if (!supergraph) return [ERRORS.SUPERGRAPH_NOT_READY.err("The router has not loaded a supergraph yet")];
          const operationName = payload.operationName ?? undefined;
          const variables = (payload.variables ?? {}) as JsonObject;
          // The same checks, limits and error codes as over HTTP.
          const ready = supergraph.prepare(payload.query, operationName, variables);
          if ("errors" in ready) return ready.errors;
          const { document, operation } = ready;
          const context: RouterContext = { identity: connection.identity, requestId: connection.requestId, logger: connection.log, ...(connection.clientKey ? { clientKey: connection.clientKey } : {}) };
          // Queries and mutations spend theirs in Apollo Server's plugin, as over HTTP.
          if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
            const refused = await options.consume?.(context, "subscription");
            if (refused) return [refused];
          }
          const prepared =
            operation.operation === OperationTypeNode.SUBSCRIPTION
              ? prepareSubscription(connection, supergraph, { query: payload.query, document, operation, operationName, variables })
              : ({ kind: "operation", query: payload.query, variables: payload.variables ?? undefined, context } satisfies PreparedOperation);
          if (Array.isArray(prepared)) return prepared as readonly GraphQLError[];
          const args: ExecutionArgs = { schema: supergraph.apiSchema, document, operationName, variableValues: variables, contextValue: prepared };
          return args;
        } catch (error) {
          // A throw here would close the socket and every other subscription on it.
          connection.log.error({ err: error }, "subscribe failed in the router");
          return [ERRORS.INTERNAL_SERVER_ERROR.err("Internal server error")];
        }
      },
      subscribe: (args) => (args.contextValue as Extract<PreparedOperation, { kind: "subscription" }>).start(),
      execute: async (args) => {
        const prepared = args.contextValue as Extract<PreparedOperation, { kind: "operation" }>;
        // Apollo Server's plugins spend the client's rate limit (the operation
        // limits, checked in onSubscribe, are checked there once more).
        // Already formatted (masked) by Apollo Server; onNext passes it through as is.
        return (await options.executeOperation({ query: prepared.query, operationName: args.operationName ?? undefined, variables: prepared.variables }, prepared.context)) as ExecutionResult;
      },
      onNext(_ctx, _id, _payload, _args, result): FormattedExecutionResult {
        const { errors: raw, ...rest } = result;
        const errors = (raw as readonly (GraphQLError | GraphQLFormattedError)[] | undefined)?.map(toFormatted);
        for (const error of errors ?? []) countError(metrics, error);
        return errors?.length ? { ...rest, errors } : rest;
      },
      onError(ctx, _id, _payload, errors) {
        const ended = errors[0]?.originalError;
        const all = ended instanceof SubscriptionEndedError ? ended.errors : errors;
        return all.map((error) => {
          // Anything without a code is an unexpected failure: logged, never shown.
          if (error.extensions.code) {
            countError(metrics, error.toJSON());
            return error.toJSON();
          }
          (ctx.extra.connection?.log ?? log).error({ err: error.originalError ?? error }, "unexpected subscription error");
          return { message: "Internal server error", extensions: { code: ERRORS.INTERNAL_SERVER_ERROR.code } };
        });
      },
      onClose(ctx) {
        ctx.extra.connection?.dispose();
      },
    },
    wss,
    options.clientKeepAliveMs ?? 12_000,
  );

  wss.on("connection", (socket) => {
    metrics.wsConnections.inc();
    socket.once("close", () => metrics.wsConnections.dec());
  });

  return {
    attach(server) {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path !== "/graphql" && path !== "/") return refuseUpgrade(socket, 404, "Not Found");
        if (stopping) return refuseUpgrade(socket, 503, "Service Unavailable");
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
      });
    },
    stats() {
      return { connections: wss.clients.size, subscriptions: admitted, upstream: pool.stats() };
    },
    async stop(graceMs = CLOSE_GRACE_MS) {
      stopping = true;
      // wss.close() calls back once every client socket is gone.
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const socket of wss.clients) {
        metrics.wsDisconnects.inc({ reason: "shutdown" });
        socket.close(RouterCloseCode.GoingAway, "Router shutting down");
      }
      const force = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, graceMs);
      force.unref();
      try {
        await closed;
      } finally {
        clearTimeout(force);
      }
      // Client subscriptions ended with their sockets and left their
      // upstreams; this closes whatever is still open (or retrying).
      await pool.dispose();
    },
  };
}

function countError(metrics: RouterMetrics, error: GraphQLFormattedError): void {
  const subgraph = typeof error.extensions?.serviceName === "string" ? error.extensions.serviceName : "";
  metrics.errors.inc({ code: String(error.extensions?.code ?? ERRORS.INTERNAL_SERVER_ERROR.code), subgraph });
}
