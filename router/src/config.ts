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
     * Largest request body (HTTP) and WebSocket message, in bytes; a larger
     * body answers 413 PAYLOAD_TOO_LARGE, a larger message closes the socket with 1009.
     * @default 1048576 (1 MiB)
     */
    ROUTER_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /**
     * Lexical tokens per document; the parser stops past it. At most 5000.
     * graphql-js parses by recursion: nesting deep enough to overflow its
     * stack (about 3000 selection sets, fewer list literals) is answered as
     * GRAPHQL_PARSE_FAILED whatever this is.
     * @default 2000
     */
    ROUTER_MAX_TOKENS: z.coerce.number().int().min(10).max(5000).default(2000),
    /** Field nesting, fragments expanded (GraphiQL's introspection query is 15 deep). @default 15 */
    ROUTER_MAX_DEPTH: z.coerce.number().int().min(1).default(15),
    /** Aliased fields per operation, fragments expanded. @default 30 */
    ROUTER_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
    /** Fields selected on the root type. @default 20 */
    ROUTER_MAX_ROOT_FIELDS: z.coerce.number().int().min(1).default(20),
    /** Directives on any one field, fragment or operation. @default 5 */
    ROUTER_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(5),
    /** Fields per operation after fragment expansion. @default 1500 */
    ROUTER_MAX_SELECTIONS: z.coerce.number().int().min(1).default(1500),
    /**
     * Demand-control cost per operation: a field of object type costs 1, a
     * leaf 0, a mutation's root field 10 (ROUTER_COST_WEIGHTS overrides them),
     * and a list field multiplies the cost below it by its `first`/`last`
     * argument (or its connection field's), else by ROUTER_COST_DEFAULT_LIST_SIZE.
     * Introspection costs nothing.
     * @default 5000
     */
    ROUTER_MAX_COST: z.coerce.number().int().min(1).default(5000),
    /** Size assumed for a list without a `first`/`last` argument. @default 10 */
    ROUTER_COST_DEFAULT_LIST_SIZE: z.coerce.number().int().min(0).default(10),
    /** Field weights as JSON, e.g. `{"Query.products": 5, "Product.reviews": 2}`. @default {} */
    ROUTER_COST_WEIGHTS: z
      .string()
      .default("{}")
      .transform((text, ctx) => {
        try {
          return z.record(z.string().regex(/^[_A-Za-z]\w*\.[_A-Za-z]\w*$/, "keys are Type.field"), z.number().min(0)).parse(JSON.parse(text));
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `must be a JSON object of "Type.field": weight (${(error as Error).message.split("\n")[0]})` });
          return z.NEVER;
        }
      }),
    /**
     * Overall deadline of one request. When it passes (or the client goes
     * away) the subgraph fetches in flight are aborted and the client gets
     * REQUEST_TIMEOUT with the data that was fetched in time.
     * @default 30000
     */
    ROUTER_REQUEST_TIMEOUT_MS: positiveMs.default(30_000),
    /**
     * Introspection and field suggestions ("Did you mean …?") in error
     * messages. Unset: on, except with NODE_ENV=production.
     */
    ROUTER_INTROSPECTION: z.stringbool().optional(),
    /**
     * The status page (/status, /status/data): services' health, RED figures,
     * event lag, slow operations, saga timelines. Served beside /metrics (on
     * METRICS_PORT when that is in use) and guarded by METRICS_TOKEN when set.
     * Unset: on, except with NODE_ENV=production.
     */
    ROUTER_STATUS_PAGE: z.stringbool().optional(),
    /**
     * Port of the Prometheus endpoint when it is served apart from the
     * GraphQL port (always with NODE_ENV=production; else only when set).
     * @default 9464 in production, unset otherwise (served at /metrics on PORT)
     */
    METRICS_PORT: port.optional(),
    /** Address the metrics port listens on. @default 127.0.0.1 */
    METRICS_HOST: z.string().default("127.0.0.1"),
    /** When set, /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** Approximate bytes each of the router's document and plan caches may hold. @default 33554432 (32 MiB) */
    ROUTER_CACHE_BYTES: z.coerce.number().int().min(1024 * 1024).default(32 * 1024 * 1024),
    NODE_ENV: z.string().optional(),
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
    /**
     * Per-client rate limits: each user (or, anonymous, each IP) may run so
     * many operations of each type per RATE_LIMIT_DURATION_S; one more gets
     * RATE_LIMITED (HTTP 429 with Retry-After). "false" turns them off.
     * @default true
     */
    ROUTER_RATE_LIMIT: z.stringbool().default(true),
    /**
     * The rate-limit window, in seconds.
     * @default 60
     */
    RATE_LIMIT_DURATION_S: z.coerce.number().int().min(1).max(86_400).default(60),
    /**
     * Queries per client per window; 0: unlimited.
     * @default 1200
     */
    RATE_LIMIT_QUERY_POINTS: z.coerce.number().int().min(0).default(1200),
    /**
     * Mutations per client per window; 0: unlimited.
     * @default 300
     */
    RATE_LIMIT_MUTATION_POINTS: z.coerce.number().int().min(0).default(300),
    /**
     * Subscriptions a client may start per window (over WebSocket); 0: unlimited.
     * @default 300
     */
    RATE_LIMIT_SUBSCRIPTION_POINTS: z.coerce.number().int().min(0).default(300),
    /**
     * Redis (redis:// or rediss://) in which every router instance counts rate
     * limits, so the budget is shared. Unset, each instance counts in memory.
     * While Redis is unreachable, instances count in memory.
     * @default undefined
     */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
    /**
     * Prefix of the rate-limit keys in Redis, so deployments can share one.
     * @default "store:ratelimit"
     */
    RATE_LIMIT_KEY_PREFIX: z.string().min(1).default("store:ratelimit"),
    /**
     * The router sits behind a reverse proxy: an anonymous client's IP is the
     * right-most X-Forwarded-For hop that is not a private or loopback
     * address. Off, it is the socket's peer and X-Forwarded-For is ignored.
     * @default false
     */
    ROUTER_TRUST_PROXY: z.stringbool().default(false),
    /**
     * A client's W3C `traceparent` is the parent of the router's operation
     * span (the router joins its trace and follows its sampling decision).
     * Off, each operation starts a trace of its own and only links to the
     * client's: on a public edge, clients must not choose traces or sampling.
     * Turn on behind a proxy or CDN that starts traces and strips clients' own.
     * @default false
     */
    ROUTER_TRUST_TRACEPARENT: z.stringbool().default(false),
    /**
     * Distinct operation names the request metrics label (`operation_name`),
     * the first seen; later names count as "~other", anonymous operations as
     * "~anonymous". Clients choose operation names: this bounds the series.
     * @default 200
     */
    ROUTER_METRICS_MAX_OPERATIONS: z.coerce.number().int().min(0).max(10_000).default(200),
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
