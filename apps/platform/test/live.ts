import { createClient, type Client } from "graphql-ws";
import { WebSocket } from "ws";

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
