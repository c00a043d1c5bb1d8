import { z } from "zod";
import { loadConfig } from "@store/kit";

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().min(1).max(600_000);

export const routerConfigSchema = z
  .object({
    PORT: port.default(4000),
    HOST: z.string().default("127.0.0.1"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Path of the supergraph SDL; watched and reloaded on change. */
    SUPERGRAPH_PATH: z.string().default("supergraph.graphql"),
    /** Alternatively, a URL polled for the supergraph SDL. */
    SUPERGRAPH_URL: z.url().optional(),
    SUPERGRAPH_POLL_INTERVAL_MS: positiveMs.default(10_000),
    ROUTER_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters"),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
    SUBGRAPH_TIMEOUT_MS: positiveMs.default(10_000),
    /** Comma-separated origins allowed by CORS; empty allows none but same-origin. */
    CORS_ORIGINS: z.string().default(""),
    /**
     * "require": run only operations registered in OPERATIONS_DIR (trusted
     * documents), by the sha256 of their printed text; "off": any operation.
     */
    /**
     * Who executes query and mutation plans: "router", the router's own
     * executor (pooled connections, de-duplicated entity fetches, compiled
     * response shaping); "gateway", @apollo/gateway's executor (a fallback,
     * and the reference the equivalence tests compare against).
     */
    QUERY_EXECUTOR: z.enum(["router", "gateway"]).default("router"),
    /**
     * Read-only subgraph fetches (of queries, never mutations) identical to one
     * already in flight for the same identity wait for its answer instead of
     * being sent again.
     * @default true
     */
    SUBGRAPH_DEDUPLICATE: z.stringbool().default(true),
    TRUSTED_DOCUMENTS: z.enum(["off", "require"]).default("off"),
    OPERATIONS_DIR: z.string().default("operations"),
    /**
     * Subscriptions one WebSocket connection may hold at once; one more gets a
     * SUBSCRIPTION_LIMIT_EXCEEDED error (the connection stays open).
     * @default 100
     */
    SUBSCRIPTIONS_MAX_PER_CONNECTION: z.coerce.number().int().min(1).default(100),
    /**
     * Subscriptions this router instance holds at once, over all connections.
     * @default 10000
     */
    SUBSCRIPTIONS_MAX_PER_ROUTER: z.coerce.number().int().min(1).default(10_000),
    /**
     * Event payloads queued for one client connection (all its subscriptions)
     * that it has not read yet. One more closes the connection with 1013: a
     * slow client is dropped instead of growing the router's memory.
     * @default 1000
     */
    SUBSCRIPTION_CLIENT_QUEUE_MAX: z.coerce.number().int().min(1).default(1000),
    /**
     * Reconnection attempts after an upstream subgraph socket is lost; when
     * they are used up, each client's subscription ends with SUBSCRIPTION_SOURCE_LOST.
     * @default 5
     */
    SUBSCRIPTION_UPSTREAM_RETRY_ATTEMPTS: z.coerce.number().int().min(0).max(100).default(5),
    /**
     * First reconnection delay; it doubles per attempt (with jitter), capped at 30 s.
     * @default 1000
     */
    SUBSCRIPTION_UPSTREAM_RETRY_DELAY_MS: positiveMs.default(1000),
    /**
     * Ping interval on upstream sockets; a socket whose pong does not come
     * back within as long is dropped and reconnected (a half-open TCP link
     * would otherwise stall subscriptions silently). 0 disables.
     * @default 10000
     */
    SUBSCRIPTION_UPSTREAM_KEEPALIVE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  });

export type RouterConfig = z.output<typeof routerConfigSchema> & {
  /** Routing URL overrides from SUBGRAPH_<NAME>_URL, keyed by subgraph name. */
  subgraphUrls: Record<string, string>;
};

/** Parses the router's environment; SUBGRAPH_<NAME>_URL variables override routing URLs. */
export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const parsed = loadConfig(routerConfigSchema, env);
  const subgraphUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(key);
    if (match?.[1] && value) subgraphUrls[match[1].toLowerCase()] = value;
  }
  return { ...parsed, subgraphUrls };
}
