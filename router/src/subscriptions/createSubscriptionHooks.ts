import type { IncomingMessage } from "node:http";
import { context as activeContext } from "@opentelemetry/api";
import type { ServerOptions } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import { ERRORS, HttpError, requestIdOf, type Logger } from "@store/kit";
import { RouterCloseCode } from "../closeCodes.ts";
import type { RouterContext } from "../context.ts";
import { authenticate, bearerToken, expiryOf } from "../edge/authenticate.ts";
import type { ClientKey } from "../edge/clientAddress.ts";
import { toFormatted, type FormatError } from "../edge/formatError.ts";
import { GraphQLError, OperationTypeNode, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult } from "../graphql.ts";
import type { JsonObject } from "../execution/jsonObject.ts";
import type { SupergraphPlanner } from "../planning/SupergraphPlanner.ts";
import type { SpendBudget } from "../plugins/useRateLimit.ts";
import { ClientConnection } from "./ClientConnection.ts";
import { SubscriptionEndedError } from "./ClientSubscription.ts";
import { prepareSubscription, type PreparedSubscription, type SubscriptionRuntime } from "./prepareSubscription.ts";
import type { SubscriptionTrace } from "./SubscriptionTracing.ts";

export interface SubscriptionHooksOptions {
  planner: SupergraphPlanner;
  /** JWT_SECRET: verifies the access token in connectionParams. */
  jwtSecret: string;
  /** Runs a query or mutation sent over the socket, the way an HTTP request runs (Apollo Server: plugins, gateway, masking). */
  executeOperation(request: { query: string; operationName: string | undefined; variables: JsonObject | undefined }, context: RouterContext): Promise<FormattedExecutionResult>;
  /** The router's error masking and counting, as on HTTP. */
  formatError: FormatError;
  /** Whose budget the connection's operations spend (rate limits): the user, else the client's address. */
  clientKeyOf?(request: IncomingMessage, identity: RouterContext["identity"]): ClientKey | undefined;
  /** Spends a subscription from the client's budget (queries and mutations spend theirs in Apollo Server). */
  spendBudget?: SpendBudget;
  /** Payloads queued for one connection before it is closed with 1013. */
  clientQueueMax: number;
  logger: Logger;
}

type ConnectionParams = Record<string, unknown>;
type SocketExtra = Extra & Partial<{ connection: ClientConnection }>;
/** A query or mutation on the socket, run by Apollo Server in `execute`. */
type PreparedOperation = { kind: "operation"; query: string; variables: JsonObject | undefined; context: RouterContext };

/**
 * graphql-ws's server hooks for the router's clients (transport-free, as
 * graphql-ws's makeServer; the ws adapter is createSubscriptionEndpoint):
 *
 * - onConnect authenticates the token in `connectionParams.authorization`
 *   (4401 when it is bad, and later when it expires);
 * - onSubscribe holds every operation to the HTTP checks (SupergraphSnapshot
 *   .prepare), spends a subscription's rate limit and admits it against the
 *   subscription limits, then plans it (prepareSubscription);
 * - subscriptions run on the router's plans; queries and mutations run
 *   through Apollo Server, exactly as over HTTP;
 * - every error leaves through the router's formatError.
 */
export function createSubscriptionHooks(options: SubscriptionHooksOptions, runtime: SubscriptionRuntime): ServerOptions<ConnectionParams, SocketExtra> {
  const { planner } = options;
  const { metrics, tracing } = runtime;
  const formatAll = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(toFormatted(error), error.originalError ?? error));

  return {
    async onConnect(ctx) {
      const params = ctx.connectionParams ?? {};
      const value = params.authorization ?? params.Authorization;
      let identity;
      try {
        // No token is an anonymous caller; subgraphs decide what it may see.
        identity = await authenticate(options.jwtSecret, value, "connectionParams.authorization");
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        metrics.wsDisconnects.inc({ reason: "unauthorized" });
        // graphql-ws answers `false` with 4403 Forbidden; a bad token is 4401.
        // Closing first makes graphql-ws's own close a no-op on a closing socket.
        ctx.extra.socket.close(RouterCloseCode.Unauthorized, error.message);
        return false;
      }
      const requestId = requestIdOf(ctx.extra.request);
      const connection = new ClientConnection({
        socket: ctx.extra.socket,
        identity,
        clientKey: options.clientKeyOf?.(ctx.extra.request, identity),
        requestId,
        logger: options.logger.child({ requestId }),
        queueMax: options.clientQueueMax,
        onDrop: (reason) => metrics.wsDisconnects.inc({ reason }),
      });
      const expiresAt = identity ? expiryOf(bearerToken(value)!) : undefined;
      if (expiresAt !== undefined) connection.expireAt(expiresAt);
      ctx.extra.connection = connection;
      return true;
    },
    // The rate limit is spent first (asynchronously); from there on,
    // synchronous on purpose: the limit check and the admission cannot
    // interleave with another Subscribe message on the same socket.
    async onSubscribe(ctx, _id, payload) {
      const connection = ctx.extra.connection;
      if (!connection) return [ERRORS.INTERNAL_SERVER_ERROR.err("The connection is not acknowledged")];
      const receivedAt = tracing ? performance.now() : 0;
      let trace: SubscriptionTrace | undefined;
      try {
        const supergraph = planner.current();
        if (!supergraph) return [ERRORS.SUPERGRAPH_NOT_READY.err("The router has not loaded a supergraph yet")];
        const operationName = payload.operationName ?? undefined;
        const variables = (payload.variables ?? {}) as JsonObject;
        // The same checks, limits and error codes as over HTTP.
        const ready = supergraph.prepare(payload.query, operationName, variables);
        if ("errors" in ready) {
          tracing?.refused({ receivedAt, query: payload.query, operationName, requestId: connection.requestId, supergraph, errors: ready.errors });
          return ready.errors;
        }
        const { document, operation } = ready;
        let prepared: PreparedSubscription | PreparedOperation | readonly GraphQLError[];
        if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
          trace = tracing?.startSubscription({ receivedAt, query: payload.query, operationName: operation.name?.value, requestId: connection.requestId });
          const refused = await options.spendBudget?.(connection.context(), "subscription");
          prepared = refused ? [refused] : prepareSubscription(runtime, connection, supergraph, { query: payload.query, document, operationName, variables }, trace);
        } else {
          // Its span starts here; Apollo Server's and the executor's spans go under it (RouterContext.trace).
          const operationTrace = tracing?.startOperation({ receivedAt, query: payload.query, operationName: operation.name?.value, requestId: connection.requestId }, operation.operation);
          prepared = { kind: "operation", query: payload.query, variables: payload.variables ?? undefined, context: { ...connection.context(), ...(operationTrace ? { trace: operationTrace } : {}) } };
        }
        if (Array.isArray(prepared)) {
          trace?.end({ by: "refused", errors: prepared as readonly GraphQLError[] });
          return prepared as readonly GraphQLError[];
        }
        const args: ExecutionArgs = { schema: supergraph.apiSchema, document, operationName, variableValues: variables, contextValue: prepared };
        return args;
      } catch (error) {
        // A throw here would close the socket and every other subscription on it.
        connection.log.error({ err: error }, "subscribe failed in the router");
        const errors = [ERRORS.INTERNAL_SERVER_ERROR.err("Internal server error")];
        trace?.end({ by: "refused", errors });
        return errors;
      }
    },
    subscribe: (args) => (args.contextValue as PreparedSubscription).start() as AsyncIterableIterator<ExecutionResult>,
    // Apollo Server's plugins spend the client's rate limit (the operation
    // limits, checked in onSubscribe, are checked there once more). Its
    // answer is already formatted (masked and counted): onNext leaves it be.
    execute: async (args) => {
      const prepared = args.contextValue as PreparedOperation;
      const run = () => options.executeOperation({ query: prepared.query, operationName: args.operationName ?? undefined, variables: prepared.variables }, prepared.context);
      const operationTrace = prepared.context.trace;
      if (!operationTrace) return (await run()) as ExecutionResult;
      let result: FormattedExecutionResult | undefined;
      try {
        // Active, as the HTTP edge makes it: the log lines of the operation carry its ids.
        result = await activeContext.with(operationTrace.context, run);
        return result as ExecutionResult;
      } finally {
        tracing?.endOperation(operationTrace, result);
      }
    },
    onNext(_ctx, _id, _payload, args, result) {
      if ((args.contextValue as PreparedSubscription | PreparedOperation).kind === "operation" || !result.errors?.length) return undefined;
      return { ...result, errors: formatAll(result.errors) } as FormattedExecutionResult;
    },
    onError(_ctx, _id, _payload, errors) {
      const ended = errors[0]?.originalError;
      return formatAll(ended instanceof SubscriptionEndedError ? ended.errors : errors);
    },
    onClose(ctx) {
      ctx.extra.connection?.dispose();
    },
  };
}
