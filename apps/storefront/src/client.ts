import { createClient as createSocketClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "urql";

export interface Endpoint {
  httpUrl: string;
  wsUrl: string;
}

/**
 * The router's endpoint: VITE_STORE_GRAPHQL_URL when the build names one,
 * else /graphql on the page's own origin (serve.ts proxies it to the router,
 * so neither CORS nor the router's address is the app's concern).
 */
export function endpointFor(location: { origin: string }, configured: string | undefined): Endpoint {
  const httpUrl = new URL(configured || "/graphql", location.origin).href;
  return { httpUrl, wsUrl: httpUrl.replace(/^http/, "ws") };
}

export interface StoreClient {
  client: Client;
  /** Closes the subscription socket (a new session gets a client of its own). */
  dispose(): void;
}

/**
 * An urql client for one session: queries and mutations over HTTP, with the
 * token in the Authorization header; subscriptions over one lazy graphql-ws
 * socket, with the token in connectionParams (how the router reads it there).
 * A new token means a new client: the socket authenticates once, when it
 * opens, and the cache must not show one user's data to the next.
 */
export function createStoreClient(endpoint: Endpoint, token: string | undefined): StoreClient {
  const authorization = token ? `Bearer ${token}` : undefined;
  const socket = createSocketClient({ url: endpoint.wsUrl, lazy: true, connectionParams: authorization ? { authorization } : {}, retryAttempts: 5 });
  const client = new Client({
    url: endpoint.httpUrl,
    // The router's CSRF prevention refuses a GET without a preflight header: POST always.
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({ headers: authorization ? { authorization } : {} }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
  });
  return { client, dispose: () => void socket.dispose() };
}
