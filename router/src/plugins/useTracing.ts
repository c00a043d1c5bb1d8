import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import type { Span } from "@opentelemetry/api";
import type { RouterContext } from "../context.ts";
import type { GraphQLError } from "../graphql.ts";
import type { OperationLimits } from "../limits/operationLimits.ts";
import { parseFailure } from "../planning/prepareRequest.ts";
import { errorCodes, failWithErrors } from "../tracing/OperationTrace.ts";

/**
 * Apollo Server plugin: the spans of a request that does not take the fast
 * path (GET, persisted queries, trusted documents, introspection, and
 * QUERY_EXECUTOR=gateway), under the operation span the HTTP edge started
 * (RouterContext.trace). `graphql.parse` and `graphql.validate` as on the
 * fast path: validation runs from Apollo Server's validation (the operation
 * limits' rule included) through the guard plugin's checks (cost, variables),
 * up to execution or the refusal. A document Apollo Server had parsed and
 * validated before has no parse span, and a validate span for the guard's
 * checks only. Planning, fetches and shaping are the executor's spans.
 * Registered only when tracing is on; a request whose operation span is not
 * recorded gets no hooks at all.
 */
export function useTracing(limits: OperationLimits): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }): Promise<GraphQLRequestListener<RouterContext> | void> {
      const trace = contextValue.trace;
      if (!trace?.recording) return;
      let validating: Span | undefined;
      const endValidation = (errors?: readonly { readonly extensions?: { readonly [key: string]: unknown } }[]) => {
        if (!validating) return;
        if (errors?.length) failWithErrors(validating, errors);
        validating.end();
        validating = undefined;
      };
      return {
        async didResolveSource({ queryHash }) {
          trace.span.setAttribute("graphql.document.hash", queryHash);
        },
        async parsingDidStart({ source }) {
          const parsing = trace.start("graphql.parse")!;
          return async (error) => {
            // As the client will be told: a syntax error, or the token limit.
            if (error) failWithErrors(parsing, [parseFailure(error, source, limits)]);
            parsing.end();
          };
        },
        async validationDidStart() {
          validating = trace.start("graphql.validate");
          return async (errors) => {
            // graphql-js's own rules give no code; Apollo Server answers them as GRAPHQL_VALIDATION_FAILED.
            if (errors?.length) endValidation(errors.map((error) => ((error as GraphQLError).extensions?.code ? (error as GraphQLError) : { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })));
          };
        },
        async didResolveOperation({ operation, queryHash }) {
          // Runs before the guard plugin's hook (this plugin comes first): its
          // checks are part of validation, also for a document Apollo Server kept.
          validating ??= trace.start("graphql.validate");
          if (operation) trace.describe(operation.operation, operation.name?.value, queryHash);
        },
        async didEncounterErrors({ errors }) {
          endValidation(errors);
        },
        async executionDidStart() {
          endValidation();
        },
        async willSendResponse({ response }) {
          endValidation();
          const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          if (errors?.length) trace.failWith(errorCodes(errors));
        },
      };
    },
  };
}
