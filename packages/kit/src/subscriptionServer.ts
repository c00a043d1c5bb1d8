import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { ERRORS } from "./errors.ts";
import { MAX_BODY_BYTES, saneRequestId } from "./http.ts";
import { WEBSOCKET_METHOD, type Identity } from "./identity.ts";
import type { Logger } from "./logger.ts";
import { acceptRouterRequest, type ReplayGuard } from "./replayGuard.ts";

export interface SubscriptionServerOptions<TContext> {
  schema: GraphQLSchema;
  /** This subgraph's name: connectionParams signed for another subgraph are refused. */
  subgraph: string;
  /** The router's signing secret: connectionParams must carry a valid identity signature. */
  routerSigningSecret: string;
  /** Remembers accepted connectionParams' signatures: captured params cannot open a second connection. */
  replayGuard: ReplayGuard;
  /** How far the params' timestamp may be from this clock. @default DEFAULT_SIGNATURE_WINDOW_MS */
  signatureWindowMs?: number;
  logger: Logger;
  /**
   * Builds an operation's context. Called when a subscription starts (the
   * subscribe resolvers authorize with it) and again for every event, so
   * per-request caches (DataLoaders) never serve one event's rows to the next.
   */
  context(identity: Identity | null, requestId: string): TContext;
  /** The same masking as over HTTP: only catalogue errors reach the router. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
  /** Ping interval; a peer that misses a pong for as long is dropped. @default 12000 */
  keepAliveMs?: number;
  /** Largest message accepted from a peer, in bytes. @default MAX_BODY_BYTES */
  maxPayloadBytes?: number;
}

export interface SubscriptionServer {
  /** Hands an HTTP upgrade request on /graphql to graphql-ws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** WebSocket connections open right now. */
  readonly connections: number;
  /**
   * Closes every connection with 1001 (their subscriptions' iterators are
   * returned, so bus listeners are released), then the server. A peer that
   * does not finish the closing handshake within `graceMs` is cut off.
   */
  close(graceMs?: number): Promise<void>;
}

/** RFC 6455 close code 1013: the server cannot take the connection now. */
const TRY_AGAIN_LATER = 1013;

interface Caller {
  identity: Identity | null;
  requestId: string;
}

/** connectionParams are arbitrary JSON; only string values can be identity headers. Keys compare case-insensitively, as headers do. */
function paramsAsHeaders(params: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) if (typeof value === "string") headers[key.toLowerCase()] = value;
  return headers;
}

const withCode = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, code } });

/**
 * graphql-js's subscribe(), except that every event executes with a fresh
 * context: graphql-js reuses the subscribe-time context for all events.
 */
async function subscribeWithFreshContexts(args: ExecutionArgs, freshContext: () => unknown): Promise<AsyncGenerator<ExecutionResult, undefined> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(stream))) return stream as ExecutionResult;
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const stop = async () => {
    await source.return?.();
  };
  const results: AsyncGenerator<ExecutionResult, undefined> = {
    async next() {
      const event = await source.next();
      if (event.done) return { done: true, value: undefined };
      try {
        return { done: false, value: await execute({ ...args, rootValue: event.value, contextValue: freshContext() }) };
      } catch (error) {
        await stop();
        throw error;
      }
    },
    async return() {
      await stop();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await stop();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}

/**
 * GraphQL over WebSocket (graphql-transport-ws) for the router's upstream
 * subscriptions, sharing the HTTP server's port and path.
 *
 * Trust works as over HTTP, once per connection: connectionParams carry the
 * router's identity headers signed for one connection to this subgraph
 * (method WS, empty body, a nonce); a missing, bad or already used signature
 * closes the socket with 4403. When the replay guard cannot answer, the
 * socket closes with 1013 (try again later) instead, which the router retries. Every operation on the connection runs as that identity,
 * so the router must not mix callers on one upstream socket.
 */
export function createSubscriptionServer<TContext>(options: SubscriptionServerOptions<TContext>): SubscriptionServer {
  const { schema, routerSigningSecret, formatError } = options;
  const log = options.logger.child({ component: "subscriptions" });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? MAX_BODY_BYTES });
  // graphql-ws hands onConnect and onSubscribe the same per-connection object.
  const callers = new WeakMap<object, Caller>();
  const freshContexts = new WeakMap<object, () => unknown>();

  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));

  const disposable = useServer<Record<string, unknown>>(
    {
      schema,
      // Never an internal error's message in a close reason, whatever NODE_ENV says.
      isProd: true,
      async onConnect(ctx) {
        const accepted = await acceptRouterRequest(routerSigningSecret, options.replayGuard, {
          method: WEBSOCKET_METHOD,
          subgraph: options.subgraph,
          body: "",
          headers: paramsAsHeaders(ctx.connectionParams),
          ...(options.signatureWindowMs === undefined ? {} : { windowMs: options.signatureWindowMs }),
        });
        if (!accepted.ok) {
          log.warn({ reason: accepted.reason, remote: ctx.extra.request.socket.remoteAddress }, "subscription connection refused");
          // 1013 (try again later) is retried by the router; the 4403 that
          // graphql-ws sends for `false` is final, and a second close is a no-op.
          if (accepted.unavailable) ctx.extra.socket.close(TRY_AGAIN_LATER, "Replay guard unavailable");
          return false;
        }
        callers.set(ctx, { identity: accepted.identity, requestId: saneRequestId(accepted.requestId) });
        return true;
      },
      // Parsing and validating here (not inside graphql-ws) turns a bad document
      // into an error for that one operation; thrown, it would close the socket
      // and every other subscription on it.
      onSubscribe(ctx, id, payload) {
        const caller = callers.get(ctx);
        if (!caller) return [new GraphQLError("The connection is not authenticated", { extensions: { code: ERRORS.UNAUTHENTICATED.code } })];
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          const syntax = error instanceof GraphQLError ? error : new GraphQLError("The query could not be parsed");
          return [withCode(syntax, "GRAPHQL_PARSE_FAILED")];
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED"));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Unable to identify the operation to run", { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })];
        const variables = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (variables.errors) return variables.errors.map((error) => withCode(error, ERRORS.BAD_USER_INPUT.code));
        const contextValue = options.context(caller.identity, caller.requestId) as object;
        freshContexts.set(contextValue, () => options.context(caller.identity, caller.requestId));
        log.debug({ requestId: caller.requestId, operationId: id, operationName: operation.name?.value }, "operation started");
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      subscribe: (args) => subscribeWithFreshContexts(args, freshContexts.get(args.contextValue as object) ?? (() => args.contextValue)),
      onNext: (_ctx, _id, _payload, _args, result): FormattedExecutionResult | void => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    get connections() {
      return wss.clients.size;
    },
    async close(graceMs = 5_000) {
      const force = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, graceMs);
      force.unref();
      try {
        // Closes every client with 1001, then waits for them to be gone.
        await disposable.dispose();
      } finally {
        clearTimeout(force);
      }
    },
  };
}
