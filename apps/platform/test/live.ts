import { createClient, type Client } from "graphql-ws";
import { WebSocket } from "ws";
import type { EventBus } from "@store/events";
import { eventually } from "@store/testing";
import type { Platform } from "../src/index.ts";

/** A client app's graphql-ws connection to the router, signed in with a bearer token. */
export function connectRouter(routerUrl: string, token?: string): Client {
  return createClient({
    url: routerUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Live listeners open on a platform's bus (both buses count them). */
export const liveListeners = (platform: Platform) => (platform.bus as EventBus & { listenerCount(): number }).listenerCount();

/**
 * Waits until a subscription that `start` opens through `platform`'s
 * subgraphs is live. The client is not told when that is; the subgraph
 * serving it is: each subscription opens one listener on the bus, and every
 * event published after that reaches it.
 */
export async function startLive<T>(platform: Platform, start: () => T | Promise<T>, what = "the subscription's listener on the bus"): Promise<T> {
  const before = liveListeners(platform);
  const started = await start();
  await eventually(() => liveListeners(platform) === before + 1, { what });
  return started;
}
