import { setTimeout as delay } from "node:timers/promises";
import { createClient, CloseCode, type Client } from "graphql-ws";
import type { FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from "../graphql.ts";
import WebSocket from "ws";
import { signConnectionParams, type Identity, type Logger } from "@store/kit";
import { ERRORS } from "@store/kit";
import type { RouterMetrics } from "../metrics.ts";
import { subgraphError, type JsonObject } from "../execution/executePlanNode.ts";

/** One subscription to open on a subgraph: the primary fetch of a plan, as a caller. */
export interface UpstreamRequest {
  serviceName: string;
  /** The subgraph's routing URL (http or https); the socket goes to the same URL as ws or wss. */
  url: string;
  identity: Identity | null;
  /** Sent as x-request-id when a new socket opens (a shared socket keeps its first one). */
  requestId: string;
  query: string;
  operationName: string | undefined;
  variables: JsonObject;
}

/** Receives one upstream stream. `end` comes once and nothing follows it. */
export interface UpstreamSink {
  next(event: FormattedExecutionResult): void;
  /** The stream is over: completed by the subgraph (no errors) or failed (the errors say why). */
  end(errors?: readonly GraphQLError[]): void;
}

export interface UpstreamPoolOptions {
  /** ROUTER_SIGNING_SECRET: connectionParams carry the caller's identity signed with it. */
  signingSecret: string;
  /** Reconnections after a socket is lost, before its subscriptions end with SUBSCRIPTION_SOURCE_LOST. @default 5 */
  retryAttempts?: number;
  /** First reconnection delay, doubled per attempt with jitter, capped at 30 s. @default 1000 */
  retryDelayMs?: number;
  /** Ping interval; a socket whose pong is later than this is dropped and reconnected. 0 disables. @default 10000 */
  keepAliveMs?: number;
  /** How long a subgraph may take to acknowledge a new connection. @default 10000 */
  connectTimeoutMs?: number;
  logger: Logger;
  metrics?: RouterMetrics;
}

export interface UpstreamStats {
  /** Sockets open (or opening) to subgraphs: one per subgraph and caller identity. */
  sockets: number;
  /** Subscriptions open on subgraphs, each shared by every identical client subscription. */
  subscriptions: number;
}

interface PooledSocket {
  readonly key: string;
  readonly client: Client;
  /** The WebSocket open right now, if any (graphql-ws replaces it on reconnect). */
  socket: WebSocket | undefined;
  /** Shared subscriptions using the socket; at zero it is disposed. */
  users: number;
}

interface SharedSubscription {
  readonly key: string;
  readonly serviceName: string;
  readonly socket: PooledSocket;
  readonly sinks: Set<UpstreamSink>;
  stop: () => void;
}

const MAX_RETRY_DELAY_MS = 30_000;
const DISPOSE_WAIT_MS = 2_000;

/**
 * The router's subscriptions to subgraphs, over graphql-ws.
 *
 * Identical subscriptions are shared: the same subgraph, operation,
 * variables and caller identity open one upstream subscription, whose events
 * fan out to every client that asked for it; the last client to leave
 * completes it. Sockets are per subgraph and identity, because a subgraph
 * authorizes once per connection (from the signed connectionParams): two
 * callers never share a socket, one caller's subscriptions do.
 */
export class UpstreamPool {
  private readonly sockets = new Map<string, PooledSocket>();
  private readonly shared = new Map<string, SharedSubscription>();
  private readonly log: Logger;

  constructor(private readonly options: UpstreamPoolOptions) {
    this.log = options.logger.child({ component: "upstream-subscriptions" });
  }

  /** Joins (or opens) the upstream subscription for `request`. Returns the function that leaves it. */
  subscribe(request: UpstreamRequest, sink: UpstreamSink): () => void {
    const url = toWebSocketUrl(request.url);
    const caller = identityKey(request.identity);
    const key = JSON.stringify([url, caller, request.operationName ?? null, request.query, canonicalJson(request.variables)]);
    const subscription = this.shared.get(key) ?? this.open(key, url, caller, request);
    subscription.sinks.add(sink);
    return () => this.leave(subscription, sink);
  }

  stats(): UpstreamStats {
    return { sockets: this.sockets.size, subscriptions: this.shared.size };
  }

  /** Completes every upstream subscription and closes every socket. */
  async dispose(): Promise<void> {
    const sockets = [...this.sockets.values()];
    for (const subscription of [...this.shared.values()]) {
      subscription.stop();
      this.end(subscription, undefined);
    }
    // Normally each socket went with its last subscription; disposing again
    // also stops one that is waiting to retry.
    await Promise.all(sockets.map((socket) => this.disposeSocket(socket)));
    this.sockets.clear();
  }

  private open(key: string, url: string, caller: string, request: UpstreamRequest): SharedSubscription {
    const socket = this.socketFor(url, caller, request);
    socket.users += 1;
    const subscription: SharedSubscription = { key, serviceName: request.serviceName, socket, sinks: new Set(), stop: () => {} };
    this.shared.set(key, subscription);
    this.options.metrics?.upstreamSubscriptions.inc({ subgraph: request.serviceName });
    // graphql-ws calls the sink only asynchronously, so `stop` is in place before any event.
    subscription.stop = socket.client.subscribe<JsonObject>(
      { query: request.query, operationName: request.operationName ?? null, variables: request.variables },
      {
        next: (event) => {
          for (const sink of [...subscription.sinks]) sink.next(event as FormattedExecutionResult);
        },
        error: (error) => this.end(subscription, this.describeFailure(error, request.serviceName)),
        complete: () => this.end(subscription, undefined),
      },
    );
    return subscription;
  }

  private leave(subscription: SharedSubscription, sink: UpstreamSink): void {
    subscription.sinks.delete(sink);
    if (subscription.sinks.size > 0 || this.shared.get(subscription.key) !== subscription) return;
    // The last client left: complete upstream (graphql-ws sends Complete and,
    // with no other subscription on the socket, closes it).
    subscription.stop();
    this.forget(subscription);
  }

  private end(subscription: SharedSubscription, errors: readonly GraphQLError[] | undefined): void {
    if (this.shared.get(subscription.key) !== subscription) return;
    this.forget(subscription);
    for (const sink of [...subscription.sinks]) sink.end(errors);
    subscription.sinks.clear();
  }

  private forget(subscription: SharedSubscription): void {
    this.shared.delete(subscription.key);
    this.options.metrics?.upstreamSubscriptions.dec({ subgraph: subscription.serviceName });
    const socket = subscription.socket;
    socket.users -= 1;
    if (socket.users === 0 && this.sockets.get(socket.key) === socket) {
      this.sockets.delete(socket.key);
      void this.disposeSocket(socket);
    }
  }

  private async disposeSocket(pooled: PooledSocket): Promise<void> {
    const open = pooled.socket;
    const closed = open && open.readyState !== WebSocket.CLOSED ? new Promise<void>((resolve) => open.once("close", () => resolve())) : Promise.resolve();
    // dispose() waits for a connection attempt in flight, which may fail or
    // sit in a retry delay of up to 30 s. Without subscriptions graphql-ws
    // opens nothing after that delay, so shutdown need not wait for it; it
    // does wait (as long) for the closing handshake of the socket it had.
    await Promise.race([Promise.all([Promise.resolve(pooled.client.dispose()).catch(() => {}), closed]), delay(DISPOSE_WAIT_MS, undefined, { ref: false })]);
  }

  private socketFor(url: string, caller: string, request: UpstreamRequest): PooledSocket {
    const key = `${url}\n${caller}`;
    const existing = this.sockets.get(key);
    if (existing) return existing;
    const { signingSecret, retryAttempts = 5, retryDelayMs = 1000, keepAliveMs = 10_000, connectTimeoutMs = 10_000 } = this.options;
    const { identity, requestId, serviceName } = request;
    const log = this.log.child({ subgraph: serviceName, requestId });
    let pongTimer: NodeJS.Timeout | undefined;
    // The callbacks below run only once the client connects, after `pooled` is set.
    let pooled: PooledSocket;
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: true,
      // Signed afresh on every (re)connect: subgraphs accept a signature's
      // timestamp only within a short window and each signature only once
      // (one connection), and a socket may live for days.
      connectionParams: () => signConnectionParams(signingSecret, { subgraph: serviceName, identity, requestId }),
      connectionAckWaitTimeout: connectTimeoutMs,
      keepAlive: keepAliveMs,
      retryAttempts,
      retryWait: async (retries) => {
        const base = Math.min(retryDelayMs * 2 ** retries, MAX_RETRY_DELAY_MS);
        await delay(base / 2 + Math.random() * (base / 2));
      },
      // graphql-ws retries only close events by default, but a subgraph that
      // is restarting refuses the connection (an error event): exactly when a
      // retry helps. A refused signature (4401/4403) will not fix itself.
      shouldRetry: (failure) => !(isCloseLike(failure) && (failure.code === CloseCode.Unauthorized || failure.code === CloseCode.Forbidden)),
      on: {
        opened: (socket) => {
          pooled.socket = socket as WebSocket;
        },
        connected: (_socket, _payload, wasRetry) => {
          if (wasRetry) log.info("upstream subscription socket re-established");
        },
        closed: (event) => {
          pooled.socket = undefined;
          clearTimeout(pongTimer);
          if (isCloseLike(event) && event.code !== 1000) log.warn({ code: event.code, reason: event.reason }, "upstream subscription socket closed");
        },
        // graphql-ws sends pings but never gives up on a missing pong; a
        // half-open TCP link would stall every subscription on it silently.
        ping: (received) => {
          if (received || keepAliveMs <= 0) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => pooled.socket?.terminate(), keepAliveMs);
          pongTimer.unref();
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
    pooled = { key, client, socket: undefined, users: 0 };
    this.sockets.set(key, pooled);
    return pooled;
  }

  /** What ends a client's subscription when the upstream one fails: the subgraph's own errors, or a lost stream. */
  private describeFailure(failure: unknown, serviceName: string): GraphQLError[] {
    if (Array.isArray(failure)) return (failure as GraphQLFormattedError[]).map((error) => subgraphError(error, serviceName, error.path));
    if (isCloseLike(failure)) {
      this.log.warn({ subgraph: serviceName, code: failure.code, reason: failure.reason }, "upstream subscription lost");
      return [
        ERRORS.SUBSCRIPTION_SOURCE_LOST.err(`The subscription stream from subgraph ${serviceName} was lost (${failure.code}${failure.reason ? `: ${failure.reason}` : ""})`, {
          extensions: { serviceName, closeCode: failure.code },
        }),
      ];
    }
    this.log.warn({ subgraph: serviceName, err: failure }, "upstream subscription unreachable");
    return [ERRORS.SUBSCRIPTION_SOURCE_LOST.err(`Subgraph ${serviceName} cannot be reached for subscriptions`, { extensions: { serviceName } })];
  }
}

function isCloseLike(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && "code" in value && typeof value.code === "number" && "reason" in value;
}

/** The subgraph's WebSocket URL: its routing URL with http(s) turned into ws(s), same host, port and path. */
export function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, (_match, secure: string) => `ws${secure}://`);
}

function identityKey(identity: Identity | null): string {
  return identity ? JSON.stringify([identity.userId, [...identity.roles].sort()]) : "anonymous";
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` share an upstream subscription. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
