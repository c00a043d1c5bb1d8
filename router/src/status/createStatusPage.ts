import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { ERRORS, sendError, sendJson, type Logger, type RouteHandler, type SpanStore } from "@store/kit";
import { bearerToken } from "../edge/authenticate.ts";
import { createRedTracker } from "./createRedTracker.ts";
import { createSubgraphPoller } from "./pollSubgraphs.ts";
import { sagaTimeline } from "./sagaTimeline.ts";
import { slowOperations } from "./slowOperations.ts";
import type { SagaAnswer, StatusData, TraceFigures } from "./StatusData.ts";

export interface StatusPageOptions {
  /** Each subgraph's routing URL in the supergraph the router runs; undefined before one is loaded. */
  subgraphUrls(): ReadonlyMap<string, string> | undefined;
  /** The router's signing secret: subgraphs answer /status to the router only. */
  signingSecret: string;
  /** The router's metrics (RED figures). */
  registry: Registry;
  /** Spans of every service in this process (`npm start`): slow operations and saga timelines. Without it the page says traces are not kept here. */
  spanStore?: SpanStore | undefined;
  /** `service.name` of the router's own spans. @default "router" */
  routerService?: string;
  /** METRICS_TOKEN: when set, the page and its data require it (`Authorization: Bearer`, or `?token=`). */
  token?: string | undefined;
  logger: Logger;
  /** How long a subgraph may take to answer its status. @default 1500 */
  subgraphTimeoutMs?: number;
  /** How long one computed answer is reused, however many pages poll. @default 1000 */
  cacheMs?: number;
  /** Slow operations are taken from this far back. @default 300000 (5 minutes) */
  slowWindowMs?: number;
  /** @default 10 */
  slowLimit?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface StatusPage {
  /** GET /status (the page), its script and stylesheet, and /status/data. */
  readonly routes: Readonly<Record<string, RouteHandler>>;
  /** What /status/data answers (at most one computation per `cacheMs`). */
  data(): Promise<StatusData>;
  /** What /status/data?order=<id> answers. */
  saga(orderId: string): SagaAnswer;
  close(): Promise<void>;
}

export const NO_TRACES_MESSAGE = "traces are not kept in this process";

const ORDER_ID = /^[\w-]{1,64}$/;

/**
 * Only these files, from beside this module: the page works offline (no CDN,
 * no font), and its strict Content-Security-Policy allows nothing but them
 * and fetches to the same origin.
 */
const ASSETS: Record<string, { file: string; type: string }> = {
  "/status": { file: "status.html", type: "text/html" },
  "/status/status.js": { file: "status.js", type: "text/javascript" },
  "/status/status.css": { file: "status.css", type: "text/css" },
};
const assetCache = new Map<string, Buffer>();
const asset = (file: string) => {
  let body = assetCache.get(file);
  if (!body) assetCache.set(file, (body = readFileSync(new URL(`./assets/${file}`, import.meta.url))));
  return body;
};

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  // A `?token=` in the address must not travel anywhere in a Referer.
  "referrer-policy": "no-referrer",
};

/**
 * The router's status page: the subgraphs' health and dependencies, RED
 * figures per operation, event lag, and (with a span store) slow operations
 * with their waterfalls and an order's saga timeline. A page of plain HTML,
 * CSS and a same-origin script that polls /status/data every 2 s.
 */
export function createStatusPage(options: StatusPageOptions): StatusPage {
  const { spanStore, logger, routerService = "router", cacheMs = 1000, slowWindowMs = 5 * 60_000, slowLimit = 10, now = Date.now } = options;
  const log = logger.child({ component: "status" });
  const startedAt = now();
  const poller = createSubgraphPoller({ subgraphUrls: () => options.subgraphUrls() ?? new Map(), signingSecret: options.signingSecret, timeoutMs: options.subgraphTimeoutMs, now });
  const red = createRedTracker({ registry: options.registry, minIntervalMs: cacheMs, now });
  const expected = options.token ? digest(options.token) : undefined;
  let last: { at: number; answer: Promise<StatusData> } | undefined;

  const traces = (): TraceFigures =>
    spanStore
      ? { kept: true, windowMinutes: slowWindowMs / 60_000, slowest: slowOperations(spanStore, { routerService, windowMs: slowWindowMs, limit: slowLimit, maxSpans: 300, now: now() }) }
      : { kept: false, message: NO_TRACES_MESSAGE };

  const compute = async (): Promise<StatusData> => {
    const [poll, operations] = await Promise.all([poller.poll(), red.figures()]);
    return {
      generatedAt: new Date(now()).toISOString(),
      router: { service: routerService, uptimeSeconds: Math.round((now() - startedAt) / 1000), supergraphLoaded: options.subgraphUrls() !== undefined },
      subgraphs: poll.subgraphs,
      operations,
      events: poll.events,
      traces: traces(),
    };
  };

  // One computation per `cacheMs` however many pages poll: ten open pages
  // must not mean ten times the status requests to every subgraph.
  const data = (): Promise<StatusData> => {
    const at = now();
    if (last && at - last.at < cacheMs) return last.answer;
    const answer = compute();
    last = { at, answer };
    // A failed computation is not kept: the next poll tries again.
    answer.catch(() => last?.answer === answer && (last = undefined));
    return answer;
  };
  const saga = (orderId: string): SagaAnswer => (spanStore ? { kept: true, ...sagaTimeline(spanStore, orderId) } : { kept: false, orderId, message: NO_TRACES_MESSAGE });

  const authorized = (req: IncomingMessage, url: URL) => {
    if (!expected) return true;
    const given = bearerToken(req.headers.authorization) ?? url.searchParams.get("token") ?? undefined;
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };

  const serve: RouteHandler = (req, res, path) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return sendError(res, 405, ERRORS.BAD_REQUEST.code, "The status page answers GET only");
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = ASSETS[path];
    // The script and stylesheet are the same for everyone; the page and its data need the token.
    if ((path === "/status" || path === "/status/data") && !authorized(req, url)) return sendError(res, 401, ERRORS.UNAUTHENTICATED.code, "The status page requires the metrics token");
    if (file) return sendAsset(res, file, req.method === "HEAD");
    const orderId = url.searchParams.get("order");
    if (orderId !== null) {
      if (!ORDER_ID.test(orderId)) return sendError(res, 400, ERRORS.BAD_USER_INPUT.code, "order must be an order id");
      return sendJson(res, 200, saga(orderId), { "cache-control": "no-store", ...SECURITY_HEADERS });
    }
    data().then(
      (answer) => sendJson(res, 200, answer, { "cache-control": "no-store", ...SECURITY_HEADERS }),
      (error: unknown) => {
        log.error({ err: error }, "status data failed");
        if (!res.headersSent) sendError(res, 500, ERRORS.INTERNAL_SERVER_ERROR.code, "Status data could not be computed");
      },
    );
  };
  const routes: Record<string, RouteHandler> = { "/status/data": serve };
  for (const path of Object.keys(ASSETS)) routes[path] = serve;
  return { routes, data, saga, close: () => poller.close() };
}

function sendAsset(res: ServerResponse, { file, type }: { file: string; type: string }, headOnly: boolean): void {
  const body = asset(file);
  res.writeHead(200, { "content-type": `${type}; charset=utf-8`, "content-length": body.length, "cache-control": "no-cache", ...SECURITY_HEADERS });
  res.end(headOnly ? undefined : body);
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Whether the status page is served: ROUTER_STATUS_PAGE when set, else
 * everywhere but production (the rule of ROUTER_INTROSPECTION).
 */
export function statusPageEnabled(config: { ROUTER_STATUS_PAGE?: boolean | undefined }, production: boolean): boolean {
  return config.ROUTER_STATUS_PAGE ?? !production;
}
