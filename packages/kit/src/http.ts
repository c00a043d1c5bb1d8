import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { IdentityHeader, type Identity } from "./identity.ts";
import { ERRORS, type ErrorCode } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The request body's bytes as received (what the router signature covers). */
export async function readBodyBytes(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(ERRORS.PAYLOAD_TOO_LARGE.httpStatus, ERRORS.PAYLOAD_TOO_LARGE.code, `Request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return (await readBodyBytes(req, limit)).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[IdentityHeader.RequestId];
  return saneRequestId(Array.isArray(given) ? given[0] : given);
}

/** The router's request id when it looks sane, else a new one: never echo arbitrary bytes into logs. */
export function saneRequestId(value: unknown): string {
  return typeof value === "string" && /^[\w.-]{1,128}$/.test(value) ? value : randomUUID();
}

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /**
   * Resolves the caller, or answers 401 by throwing HttpError. Gets the body's
   * raw bytes (empty for GET): a router signature covers them.
   */
  authenticate(req: IncomingMessage, body: Buffer): Identity | null | Promise<Identity | null>;
  context(args: { req: IncomingMessage; identity: Identity | null; requestId: string }): Promise<TContext>;
  /**
   * Largest request body accepted; a larger one answers 413 PAYLOAD_TOO_LARGE.
   * @default MAX_BODY_BYTES (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Answers a JSON POST before Apollo Server does, when it can (the router's
   * fast path): its status, serialized response and extra headers, or
   * undefined to let Apollo Server answer. Runs after authentication, with
   * the same context.
   */
  shortcut?(body: string, context: TContext): Promise<{ status: number; body: string; headers?: Record<string, string> } | undefined>;
  /**
   * Runs the rest of an authenticated request inside it: its context, its
   * execution and its answer (errors answered too, so `res.statusCode` is
   * final when `answer` settles). A subgraph's server span lives here; a
   * request refused by `authenticate` never reaches it.
   */
  around?(req: IncomingMessage, res: ServerResponse, answer: () => Promise<void>): Promise<void>;
}

const EMPTY_BODY = Buffer.alloc(0);

/** `application/json`, with parameters or without; nothing that Apollo Server's CSRF check would treat as simple. */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Runs one GraphQL-over-HTTP request through Apollo Server on plain node:http.
 * Apollo Server 5 ships no node:http integration besides `standalone`, which
 * owns the server; we need our own routes (/health) and identity checks.
 */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLHttpOptions<TContext>,
): Promise<void> {
  const requestId = requestIdOf(req);
  try {
    // Read before authenticating: the router's signature covers the body's bytes.
    const bytes = req.method === "POST" ? await readBodyBytes(req, options.maxBodyBytes) : EMPTY_BODY;
    const identity = await options.authenticate(req, bytes);
    const answer = () => answerGraphQLRequest(req, res, options, bytes, identity, requestId);
    await (options.around ? options.around(req, res, answer) : answer());
  } catch (error) {
    if (error instanceof HttpError) return sendHttpError(res, error);
    throw error;
  }
}

function sendHttpError(res: ServerResponse, error: HttpError): void {
  // The rest of a refused body is never read: the connection cannot carry
  // another request, so it closes after this answer (not left hanging).
  if (error.status === 413) res.setHeader("connection", "close");
  sendError(res, error.status, error.code, error.message);
}

async function answerGraphQLRequest<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  options: GraphQLHttpOptions<TContext>,
  bytes: Buffer,
  identity: Identity | null,
  requestId: string,
): Promise<void> {
  try {
    const raw = bytes.toString("utf8");
    let context: Promise<TContext> | undefined;
    const contextOnce = () => (context ??= options.context({ req, identity, requestId }));
    if (options.shortcut && raw && JSON_CONTENT_TYPE.test(req.headers["content-type"] ?? "")) {
      const answer = await options.shortcut(raw, await contextOnce());
      if (answer !== undefined) {
        res.writeHead(answer.status, { ...answer.headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(answer.body), [IdentityHeader.RequestId]: requestId });
        res.end(answer.body);
        return;
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    let body: unknown = raw;
    if (raw && headers.get("content-type")?.includes("application/json")) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HttpError(ERRORS.BAD_REQUEST.httpStatus, ERRORS.BAD_REQUEST.code, "Request body is not valid JSON");
      }
    }
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
      context: contextOnce,
    });
    const outHeaders: Record<string, string> = { [IdentityHeader.RequestId]: requestId };
    for (const [key, value] of response.headers) outHeaders[key] = value;
    res.writeHead(response.status ?? 200, outHeaders);
    if (response.body.kind === "complete") {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  } catch (error) {
    if (error instanceof HttpError) return sendHttpError(res, error);
    throw error;
  }
}

export const routerSignatureRequired = (reason: string) =>
  new HttpError(ERRORS.INVALID_ROUTER_SIGNATURE.httpStatus, ERRORS.INVALID_ROUTER_SIGNATURE.code, `Subgraphs accept only requests signed by the router (${reason})`);

/** The replay guard could not tell whether a signature was used before (its Redis is away): refused, but worth a retry. */
export const replayGuardUnavailable = () =>
  new HttpError(ERRORS.SERVICE_OVERLOADED.httpStatus, ERRORS.SERVICE_OVERLOADED.code, "The subgraph cannot check router signatures right now; try again");

// What every process (the router, each subgraph) serves beside GraphQL:
// routes, health, readiness, metrics, CORS, WebSocket upgrades.

/** The request's path, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Answers one request; `path` is the one the route table matched (query string removed). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

/** 404 NOT_FOUND, naming the path. */
export const notFound: RouteHandler = (_req, res, path) => sendError(res, 404, ERRORS.NOT_FOUND.code, `No route for ${path}`);

/** The paths a GraphQL endpoint answers on, over HTTP and WebSocket alike. */
export const GRAPHQL_PATHS: readonly string[] = ["/graphql", "/"];

/**
 * A request listener that answers each request by its path: the handler of
 * that exact path in `routes` (an undefined entry is no route), else
 * `fallback` (404 NOT_FOUND).
 */
export function routeRequests(routes: Readonly<Record<string, RouteHandler | undefined>>, fallback: RouteHandler = notFound): (req: IncomingMessage, res: ServerResponse) => void {
  const table = new Map<string, RouteHandler>();
  for (const [path, handler] of Object.entries(routes)) if (handler) table.set(path, handler);
  return (req, res) => {
    const path = pathOf(req);
    (table.get(path) ?? fallback)(req, res, path);
  };
}

/** `/health` (liveness): 200 `{ status: "ok" }` with `body`'s fields, while the process runs. */
export function healthRoute(body: Readonly<Record<string, unknown>> = {}): RouteHandler {
  const payload = { status: "ok", ...body };
  return (_req, res) => sendJson(res, 200, payload);
}

export interface ReadinessOptions {
  /** Fields answered beside `status` (a subgraph's name). */
  body?: Readonly<Record<string, unknown>>;
  /** Where a check that throws or rejects is logged. */
  logger?: Pick<Logger, "warn">;
}

/**
 * `/ready` (readiness): 200 `{ status: "ready" }` when `check` answers true;
 * 503 `{ status: "starting" }` when it answers false (not yet), 503
 * `{ status: "unavailable" }` when it throws or rejects (a dependency is
 * down; logged).
 */
export function readinessRoute(check: () => boolean | Promise<boolean>, { body = {}, logger }: ReadinessOptions = {}): RouteHandler {
  const answer = (res: ServerResponse, status: "ready" | "starting" | "unavailable") => sendJson(res, status === "ready" ? 200 : 503, { status, ...body });
  const failed = (res: ServerResponse, error: unknown) => {
    logger?.warn({ err: error }, "readiness check failed");
    answer(res, "unavailable");
  };
  return (_req, res) => {
    let ready: boolean | Promise<boolean>;
    try {
      ready = check();
    } catch (error) {
      return failed(res, error);
    }
    if (typeof ready === "boolean") return answer(res, ready ? "ready" : "starting");
    ready.then((value) => answer(res, value ? "ready" : "starting"), (error: unknown) => failed(res, error));
  };
}

/** What `/metrics` serves: a prom-client Registry, or anything shaped like one. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Answers with the registry's metrics (Prometheus text format); 500 when collecting them fails (logged). */
export function sendMetrics(res: ServerResponse, registry: MetricsRegistry, logger: Pick<Logger, "error">): void {
  registry.metrics().then(
    (body) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
    },
    (error: unknown) => {
      logger.error({ err: error }, "metrics collection failed");
      sendError(res, 500, ERRORS.INTERNAL_SERVER_ERROR.code, "metrics collection failed");
    },
  );
}

/**
 * `/metrics`: the registry's metrics. With `authorize`, a request it refuses
 * gets 401 UNAUTHENTICATED instead (a token the scraper sends).
 */
export function metricsRoute(registry: MetricsRegistry, { logger, authorize }: { logger: Pick<Logger, "error">; authorize?: (req: IncomingMessage) => boolean }): RouteHandler {
  return (req, res) => {
    if (authorize && !authorize(req)) return sendError(res, 401, ERRORS.UNAUTHENTICATED.code, "The metrics endpoint requires its bearer token");
    sendMetrics(res, registry, logger);
  };
}

export interface CorsOptions {
  /** Origins allowed to call from a browser; without any, only same-origin pages can. */
  origins: Iterable<string>;
  /** @default "content-type, authorization, apollo-require-preflight, x-request-id" */
  allowHeaders?: string;
  /** @default "GET, POST, OPTIONS" */
  allowMethods?: string;
  /** How long a browser may keep a preflight's answer. @default 600 */
  maxAgeSeconds?: number;
}

/**
 * CORS for a GraphQL endpoint: a request from an allowed origin gets the
 * access-control headers, and a preflight (OPTIONS) is answered 204. The
 * returned function answers true when it has answered the request.
 */
export function createCors({ origins, allowHeaders = "content-type, authorization, apollo-require-preflight, x-request-id", allowMethods = "GET, POST, OPTIONS", maxAgeSeconds = 600 }: CorsOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const allowed = new Set(origins);
  const maxAge = String(maxAgeSeconds);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-allow-headers", allowHeaders);
      res.setHeader("access-control-allow-methods", allowMethods);
      res.setHeader("access-control-max-age", maxAge);
    }
    if (req.method !== "OPTIONS") return false;
    res.writeHead(204).end();
    return true;
  };
}

/**
 * Answers an upgrade request that will not become a WebSocket. The socket has
 * no HTTP error handler any more: a peer that resets it must not crash the process.
 */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.once("error", () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** An `upgrade` listener: GraphQL paths go to `accept`, any other path is refused 404. */
export function routeUpgrades(accept: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => (GRAPHQL_PATHS.includes(pathOf(req)) ? accept(req, socket, head) : refuseUpgrade(socket, 404, "Not Found"));
}

/** Listens on `port` and `host`; resolves with the port bound (for port 0), rejects when the port is taken. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting connections and waits for requests in flight, up to
 * `graceMs`; then drops whatever is still open so shutdown always ends.
 */
export function closeServer(server: Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    // Idle keep-alive sockets would hold close() open for their whole timeout.
    server.closeIdleConnections();
  });
}
