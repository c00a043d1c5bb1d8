import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { refuseUpgrade, type Tracing } from "@store/kit";
import { RouterCloseCode } from "../closeCodes.ts";
import type { RouterContext } from "../context.ts";
import type { RouterMetrics } from "../metrics.ts";
import { CLOSE_GRACE_MS } from "./ClientConnection.ts";
import { createSubscriptionHooks, type SubscriptionHooksOptions } from "./createSubscriptionHooks.ts";
import type { SubgraphFetch } from "./prepareSubscription.ts";
import { SharedEventResults } from "./SharedEventResults.ts";
import { SubscriptionAdmission } from "./SubscriptionAdmission.ts";
import { SubscriptionTracing } from "./SubscriptionTracing.ts";
import { UpstreamPool, type UpstreamStats } from "./UpstreamPool.ts";

export interface SubscriptionEndpointOptions extends Omit<SubscriptionHooksOptions, "clientQueueMax"> {
  /** ROUTER_SIGNING_SECRET: signs the caller's identity towards subgraphs (upstream connectionParams). */
  signingSecret: string;
  /** How a caller's subscription sends the entity fetches of its events (QueryExecutor.fetcherFor). */
  fetcherFor(context: RouterContext): SubgraphFetch;
  metrics: RouterMetrics;
  /**
   * The router's tracing: a span per client subscription and per delivered
   * event (see SubscriptionTracing), and the trace context sent upstream.
   * @default none: no spans, no trace context upstream
   */
  tracing?: Tracing;
  /**
   * Largest message a client may send, in bytes: the HTTP body limit. A
   * larger one closes the socket with 1009 (message too big).
   * @default 1048576
   */
  maxPayloadBytes?: number;
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

export interface SubscriptionEndpoint {
  /** Takes over an upgrade request to a GraphQL path (see the kit's routeUpgrades); 503 while stopping. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): SubscriptionStats;
  /**
   * Refuses new sockets, closes every client with 1001 (a client that does
   * not finish the closing handshake within `graceMs` is cut off), then
   * closes every upstream subscription and socket.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * GraphQL over WebSocket (graphql-transport-ws) for the router's clients, on
 * its HTTP port and path: the ws adapter (sockets, upgrades, shutdown) around
 * createSubscriptionHooks.
 *
 * Subscriptions are planned with @apollo/query-planner and run by the
 * router: the plan's primary fetch is an upstream graphql-ws subscription on
 * the owning subgraph (UpstreamPool, shared between identical client
 * subscriptions), and every event runs the plan's `rest` (shared per event by
 * SharedEventResults) before it is shaped and sent.
 */
export function createSubscriptionEndpoint(options: SubscriptionEndpointOptions): SubscriptionEndpoint {
  const { metrics } = options;
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
  const admission = new SubscriptionAdmission({ perConnection: options.maxSubscriptionsPerConnection ?? 100, perRouter: options.maxSubscriptionsPerRouter ?? 10_000 }, metrics.subscriptionsActive);
  const hooks = createSubscriptionHooks(
    { ...options, logger: log, clientQueueMax: options.clientQueueMax ?? 1000 },
    { pool, admission, results: new SharedEventResults(), fetcherFor: options.fetcherFor, metrics, tracing: options.tracing?.enabled ? new SubscriptionTracing(options.tracing.tracer) : undefined },
  );
  // Without a shared origin check: the token travels in connectionParams,
  // not in a cookie, so a cross-site page cannot borrow a user's session.
  // maxPayload: ws closes the socket with 1009 before buffering a larger message.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  useServer(hooks, wss, options.clientKeepAliveMs ?? 12_000);
  wss.on("connection", (socket) => {
    metrics.wsConnections.inc();
    socket.once("close", () => metrics.wsConnections.dec());
  });
  let stopping = false;

  return {
    handleUpgrade(req, socket, head) {
      if (stopping) return refuseUpgrade(socket, 503, "Service Unavailable");
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    stats() {
      return { connections: wss.clients.size, subscriptions: admission.count, upstream: pool.stats() };
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
