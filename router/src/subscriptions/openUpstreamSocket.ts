import { setTimeout as delay } from "node:timers/promises";
import { createClient, CloseCode, type Client } from "graphql-ws";
import WebSocket from "ws";
import { encodeIdentity, signRouterRequest, WEBSOCKET_METHOD, type Identity, type Logger, type TraceCarrier } from "@store/kit";

/** One graphql-ws client to a subgraph, for one caller, shared by that caller's upstream subscriptions. */
export interface PooledSocket {
  readonly key: string;
  readonly client: Client;
  /** The WebSocket open right now, if any (graphql-ws replaces it on reconnect). */
  socket: WebSocket | undefined;
  /** Shared subscriptions using the socket; at zero it is disposed. */
  users: number;
}

export interface UpstreamSocketOptions {
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
}

/** Who the socket is for: the subgraph, the caller, and the request that opened it (its id travels as x-request-id). */
export interface UpstreamCaller {
  serviceName: string;
  identity: Identity | null;
  requestId: string;
  /** The trace context of the client subscription that opened the socket: its `traceparent` is signed into connectionParams. */
  trace?: TraceCarrier | undefined;
}

const MAX_RETRY_DELAY_MS = 30_000;
const DISPOSE_WAIT_MS = 2_000;

/**
 * A lazy graphql-ws client to `url` for one caller: connects with the first
 * subscription, signs connectionParams afresh on every (re)connect, retries
 * a lost or refused connection with back-off, and drops a socket whose pong
 * is late (a half-open link would otherwise stall its subscriptions silently).
 */
export function openUpstreamSocket(key: string, url: string, caller: UpstreamCaller, options: UpstreamSocketOptions, logger: Logger): PooledSocket {
  const { signingSecret, retryAttempts = 5, retryDelayMs = 1000, keepAliveMs = 10_000, connectTimeoutMs = 10_000 } = options;
  const { identity, requestId, serviceName } = caller;
  const encodedIdentity = encodeIdentity(identity);
  const traceparent = caller.trace?.traceparent;
  const log = logger.child({ subgraph: serviceName, requestId });
  let pongTimer: NodeJS.Timeout | undefined;
  // The callbacks below run only once the client connects, after `pooled` is set.
  let pooled: PooledSocket;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: true,
    // Subgraphs accept a signature's timestamp only within a short window and
    // each signature only once (one connection), and a socket may live for days.
    // What signConnectionParams signs, plus the opener's traceparent: signed, a subgraph trusts it as the router's.
    connectionParams: () => signRouterRequest(signingSecret, { method: WEBSOCKET_METHOD, subgraph: serviceName, body: "", identity: encodedIdentity, requestId, traceparent }),
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
      // graphql-ws sends pings but never gives up on a missing pong.
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
  return pooled;
}

/** Disposes the client and waits for its socket's closing handshake (at most 2 s). */
export async function closeUpstreamSocket(pooled: PooledSocket): Promise<void> {
  const open = pooled.socket;
  const closed = open && open.readyState !== WebSocket.CLOSED ? new Promise<void>((resolve) => open.once("close", () => resolve())) : Promise.resolve();
  // dispose() waits for a connection attempt in flight, which may fail or
  // sit in a retry delay of up to 30 s. Without subscriptions graphql-ws
  // opens nothing after that delay, so shutdown need not wait for it; it
  // does wait (as long) for the closing handshake of the socket it had.
  await Promise.race([Promise.all([Promise.resolve(pooled.client.dispose()).catch(() => {}), closed]), delay(DISPOSE_WAIT_MS, undefined, { ref: false })]);
}

/** A close event (or anything shaped like one): graphql-ws reports lost sockets so. */
export function isCloseLike(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && "code" in value && typeof value.code === "number" && "reason" in value;
}
