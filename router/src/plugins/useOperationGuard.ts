import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { BREAK, Kind, type GraphQLError, type ValidationRule } from "../graphql.ts";
import { ERRORS } from "@store/kit";
import type { OperationLimits } from "../limits/operationLimits.ts";
import { coerceVariables, selectOperation } from "../planning/prepareRequest.ts";

/** An error Apollo Server answers with HTTP 400 (it reads and removes `extensions.http`; over WebSocket it is ignored). */
function badRequest(error: GraphQLError): GraphQLError {
  error.extensions.http = { status: 400 };
  return error;
}

/**
 * Apollo Server plugin for the requests that do not take the router's fast
 * path (GET, persisted queries, trusted documents, introspection, and
 * queries over WebSocket): the same checks as `SupergraphSnapshot.prepare`,
 * once Apollo Server has parsed (with the token limit) and validated the
 * document: an operation it could not pick, a subscription over HTTP, the
 * operation limits, variables that do not fit their definitions. Each is a
 * 400 with its code, and nothing is planned or fetched.
 */
export function useOperationGuard<TContext extends BaseContext>(limits: OperationLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) {
            const picked = selectOperation(document, request.operationName ?? undefined);
            throw badRequest(picked instanceof Error ? picked : ERRORS.OPERATION_RESOLUTION_FAILURE.err("The operation to run could not be determined"));
          }
          // Over WebSocket, subscriptions never reach Apollo Server.
          if (operation.operation === "subscription") {
            throw badRequest(ERRORS.OPERATION_NOT_SUPPORTED.err("Subscriptions are served over WebSocket (graphql-transport-ws) on this endpoint, not over HTTP"));
          }
          const variables = request.variables ?? {};
          const exceeded = limits.check(schema, document, operation, variables);
          if (exceeded) throw badRequest(exceeded);
          const invalid = coerceVariables(schema, operation, variables);
          if (invalid?.[0]) throw badRequest(invalid[0]);
        },
      };
    },
  };
}

/**
 * The operation limits as a validation rule, for Apollo Server's validation:
 * it reports on entering the document, before any other rule reports (and
 * stops measuring), so a document over a limit gets OPERATION_LIMIT_EXCEEDED
 * first on Apollo Server's path as on the fast path. Apollo Server gives
 * every validation error its own code; the router's formatError puts this
 * one's back (`extensions.limit` marks it). The cost waits for the request's
 * variables, in the guard plugin above.
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context) => ({
    Document: {
      enter(document) {
        for (const definition of document.definitions) {
          if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
          const exceeded = limits.check(context.getSchema(), document, definition, {}, { cost: false });
          if (exceeded) {
            context.reportError(exceeded);
            return BREAK;
          }
        }
        return undefined;
      },
    },
  });
}
