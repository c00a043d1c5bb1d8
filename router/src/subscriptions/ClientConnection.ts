import type { WebSocket } from "ws";
import type { Identity, Logger } from "@store/kit";
import { RouterCloseCode } from "../closeCodes.ts";
import type { RouterContext } from "../context.ts";
import type { ClientKey } from "../edge/clientAddress.ts";
import type { ClientSubscription, OutgoingQueue } from "./ClientSubscription.ts";

/** A client that ignores our close frame is cut off after this long: its socket and queue must not linger. */
export const CLOSE_GRACE_MS = 5_000;
/** setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ClientConnectionOptions {
  socket: Pick<WebSocket, "close" | "terminate">;
  identity: Identity | null;
  /** Whose budget the connection's operations spend (rate limits). */
  clientKey: ClientKey | undefined;
  requestId: string;
  /** The connection's own logger (with its request id). */
  logger: Logger;
  /** Payloads queued for the connection, all its subscriptions together, before it is closed with 1013. */
  queueMax: number;
  /** Called once, when the router closes the connection, with the reason (a metric label). */
  onDrop(reason: string): void;
}

/**
 * One client socket: who it is, its subscriptions, its share of the outgoing
 * queue (a client too slow to read its events is closed with 1013 rather
 * than let its backlog grow) and its access token's expiry (a subscription
 * must not outlive the caller's authorization: closed with 4401).
 */
export class ClientConnection implements OutgoingQueue {
  readonly subscriptions = new Set<ClientSubscription>();
  /** Subscriptions admitted (counted against the limits from onSubscribe on, before they start). */
  admitted = 0;
  private queued = 0;
  private dropped = false;
  private expiry: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClientConnectionOptions) {}

  get log(): Logger {
    return this.options.logger;
  }

  get requestId(): string {
    return this.options.requestId;
  }

  /** A new context for one operation or subscription of this connection. */
  context(): RouterContext {
    const { identity, requestId, logger, clientKey } = this.options;
    return { identity, requestId, logger, ...(clientKey ? { clientKey } : {}) };
  }

  take(): boolean {
    if (this.dropped) return false;
    if (this.queued >= this.options.queueMax) {
      this.drop(RouterCloseCode.SlowConsumer, `Slow consumer: more than ${this.options.queueMax} payloads queued`, "slow_consumer");
      return false;
    }
    this.queued += 1;
    return true;
  }

  give(count: number): void {
    this.queued -= count;
  }

  /** Closes the connection with 4401 when the access token expires (`epochSeconds`, its `exp`). */
  expireAt(epochSeconds: number): void {
    const ms = epochSeconds * 1000 - Date.now();
    // Beyond setTimeout's range: check again once that long has passed.
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
    this.options.onDrop(metric);
    this.log.warn({ code, reason }, "closing client connection");
    for (const subscription of [...this.subscriptions]) subscription.finish({ by: "router", reason: metric });
    this.options.socket.close(code, reason);
    // A client too slow to read its events is too slow to read the close
    // frame behind them; terminate it rather than wait for ws's 30 s.
    setTimeout(() => this.options.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  dispose(): void {
    clearTimeout(this.expiry);
  }
}
