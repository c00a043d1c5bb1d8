import { ERRORS, type Identity, type Logger, type TraceCarrier } from "@store/kit";
import type { FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from "../graphql.ts";
import { subgraphError } from "../execution/executePlanNode.ts";
import type { JsonObject } from "../execution/jsonObject.ts";
import type { RouterMetrics } from "../metrics.ts";
import { closeUpstreamSocket, isCloseLike, openUpstreamSocket, type PooledSocket, type UpstreamSocketOptions } from "./openUpstreamSocket.ts";

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
  /**
   * The subscribing client's trace context. When this request opens the
   * upstream subscription, its Subscribe message carries it in `extensions`
   * (on a socket the router's signature opened), and a socket it opens
   * carries the `traceparent` signed in connectionParams.
   */
  trace?: TraceCarrier | undefined;
}

/** A client's place in an upstream subscription. */
export interface UpstreamMembership {
  /** Leaves the upstream subscription (the last client to leave completes it). */
  leave(): void;
  /** The trace context of the request that opened the upstream subscription: this one's own, or an earlier client's. */
  readonly opener: TraceCarrier | undefined;
}

/** Receives one upstream stream. `end` comes once and nothing follows it. */
export interface UpstreamSink {
  next(event: FormattedExecutionResult): void;
  /** The stream is over: completed by the subgraph (no errors) or failed (the errors say why). */
  end(errors?: readonly GraphQLError[]): void;
}

export interface UpstreamPoolOptions extends UpstreamSocketOptions {
  logger: Logger;
  metrics?: RouterMetrics;
}

export interface UpstreamStats {
  /** Sockets open (or opening) to subgraphs: one per subgraph and caller identity. */
  sockets: number;
  /** Subscriptions open on subgraphs, each shared by every identical client subscription. */
  subscriptions: number;
}

interface SharedSubscription {
  readonly key: string;
  readonly serviceName: string;
  readonly socket: PooledSocket;
  readonly sinks: Set<UpstreamSink>;
  readonly opener: TraceCarrier | undefined;
  stop: () => void;
}

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

  /** Joins (or opens) the upstream subscription for `request`. */
  subscribe(request: UpstreamRequest, sink: UpstreamSink): UpstreamMembership {
    const url = toWebSocketUrl(request.url);
    const caller = identityKey(request.identity);
    const key = JSON.stringify([url, caller, request.operationName ?? null, request.query, canonicalJson(request.variables)]);
    const subscription = this.shared.get(key) ?? this.open(key, url, caller, request);
    subscription.sinks.add(sink);
    return { leave: () => this.leave(subscription, sink), opener: subscription.opener };
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
    await Promise.all(sockets.map((socket) => closeUpstreamSocket(socket)));
    this.sockets.clear();
  }

  private open(key: string, url: string, caller: string, request: UpstreamRequest): SharedSubscription {
    const socketKey = `${url}\n${caller}`;
    let socket = this.sockets.get(socketKey);
    if (!socket) {
      socket = openUpstreamSocket(socketKey, url, request, this.options, this.log);
      this.sockets.set(socketKey, socket);
    }
    socket.users += 1;
    const subscription: SharedSubscription = { key, serviceName: request.serviceName, socket, sinks: new Set(), opener: request.trace, stop: () => {} };
    this.shared.set(key, subscription);
    this.options.metrics?.upstreamSubscriptions.inc({ subgraph: request.serviceName });
    // graphql-ws calls the sink only asynchronously, so `stop` is in place before any event.
    subscription.stop = socket.client.subscribe<JsonObject>(
      { query: request.query, operationName: request.operationName ?? null, variables: request.variables, ...(request.trace?.traceparent ? { extensions: { ...request.trace } } : {}) },
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
      void closeUpstreamSocket(socket);
    }
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
