import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { IdentityHeader, type Identity } from "./identity.ts";
import { ERRORS, type ErrorCode } from "./errors.ts";

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
    if (error instanceof HttpError) {
      // The rest of a refused body is never read: the connection cannot carry
      // another request, so it closes after this answer (not left hanging).
      if (error.status === 413) res.setHeader("connection", "close");
      return sendError(res, error.status, error.code, error.message);
    }
    throw error;
  }
}

export const routerSignatureRequired = (reason: string) =>
  new HttpError(ERRORS.INVALID_ROUTER_SIGNATURE.httpStatus, ERRORS.INVALID_ROUTER_SIGNATURE.code, `Subgraphs accept only requests signed by the router (${reason})`);

/** The replay guard could not tell whether a signature was used before (its Redis is away): refused, but worth a retry. */
export const replayGuardUnavailable = () =>
  new HttpError(ERRORS.SERVICE_OVERLOADED.httpStatus, ERRORS.SERVICE_OVERLOADED.code, "The subgraph cannot check router signatures right now; try again");
