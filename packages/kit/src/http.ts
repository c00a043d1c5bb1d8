import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { IdentityHeader, type Identity } from "./identity.ts";
import { ERRORS } from "./errors.ts";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
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
  /** Resolves the caller, or answers 401 by throwing HttpError. */
  authenticate(req: IncomingMessage): Identity | null | Promise<Identity | null>;
  context(args: { req: IncomingMessage; identity: Identity | null; requestId: string }): Promise<TContext>;
  /**
   * Answers a JSON POST before Apollo Server does, when it can (the router's
   * fast path): the serialized response (status 200), or undefined to let
   * Apollo Server answer. Runs after authentication, with the same context.
   */
  shortcut?(body: string, context: TContext): Promise<string | undefined>;
}

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
    const identity = await options.authenticate(req);
    const raw = req.method === "POST" ? await readBody(req) : "";
    let context: Promise<TContext> | undefined;
    const contextOnce = () => (context ??= options.context({ req, identity, requestId }));
    if (options.shortcut && raw && JSON_CONTENT_TYPE.test(req.headers["content-type"] ?? "")) {
      const answer = await options.shortcut(raw, await contextOnce());
      if (answer !== undefined) {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(answer), [IdentityHeader.RequestId]: requestId });
        res.end(answer);
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
        throw new HttpError(400, "BAD_REQUEST", "Request body is not valid JSON");
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
    if (error instanceof HttpError) return sendError(res, error.status, error.code, error.message);
    throw error;
  }
}

export const routerSignatureRequired = (reason: string) =>
  new HttpError(ERRORS.INVALID_ROUTER_SIGNATURE.httpStatus, ERRORS.INVALID_ROUTER_SIGNATURE.code, `Subgraphs accept only requests signed by the router (${reason})`);
