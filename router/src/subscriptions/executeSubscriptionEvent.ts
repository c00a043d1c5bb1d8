import { execute, type ExecutionResult, type FormattedExecutionResult, type GraphQLError, type GraphQLFieldResolver } from "../graphql.ts";
import type { Logger } from "@store/kit";
import { ERRORS } from "@store/kit";
import { applyRewrites, executePlanNode, isObject, subgraphError, type JsonObject, type SubgraphRequest, type SubgraphResponse } from "../execution/executePlanNode.ts";
import type { PlannedSubscription } from "../execution/SupergraphPlanner.ts";

export interface SubscriptionEventOptions {
  plan: PlannedSubscription;
  /** The client's variables, as sent. */
  variables: Readonly<JsonObject>;
  fetch(serviceName: string, request: SubgraphRequest): Promise<SubgraphResponse>;
  logger: Logger;
}

/**
 * One event of the owning subgraph's stream, turned into the client's
 * payload: the plan's `rest` (entity fetches to the other subgraphs) runs
 * against the event's data, then the merged data is shaped to the client's
 * selection set.
 */
export async function executeSubscriptionEvent(options: SubscriptionEventOptions, event: FormattedExecutionResult): Promise<ExecutionResult> {
  const { plan } = options;
  const owner = plan.primary.serviceName;
  const upstreamErrors = (event.errors ?? []).map((error) => subgraphError(error, owner, error.path));
  // An event without data is the subgraph refusing or failing the operation
  // (e.g. FORBIDDEN at subscribe time): nothing to resolve, pass its errors on.
  if (!isObject(event.data)) {
    const errors = upstreamErrors.length > 0 ? upstreamErrors : [ERRORS.DOWNSTREAM_SERVICE_ERROR.err(`Subgraph ${owner} sent an event without data`, { extensions: { serviceName: owner } })];
    return event.data === null ? { data: null, errors } : { errors };
  }

  // The upstream event is shared by every client on the same upstream
  // subscription; each client's plan merges into its own copy.
  const data = structuredClone(event.data);
  applyRewrites(plan.supergraph.supergraphSchema, plan.primary.outputRewrites, data);

  const fetchErrors: GraphQLError[] = [];
  if (plan.rest) {
    await executePlanNode(
      {
        supergraphSchema: plan.supergraph.supergraphSchema,
        variables: options.variables,
        variableDefinitions: plan.operation.variableDefinitions,
        fetch: options.fetch,
        errors: fetchErrors,
        logger: options.logger,
      },
      plan.rest,
      [{ value: data, path: [] }],
    );
  }

  const shaped = await shapeResponse(plan, options.variables, data);
  const subgraphErrors = [...upstreamErrors, ...fetchErrors];
  // A failed fetch leaves its fields missing, and shaping reports each
  // non-null one again ("Cannot return null for non-nullable field"); the
  // subgraph's error already says why, so only shaping's own errors from an
  // otherwise clean event are passed on (the gateway does the same).
  const errors = subgraphErrors.length > 0 ? subgraphErrors : (shaped.errors ?? []);
  return errors.length > 0 ? { data: shaped.data ?? null, errors } : { data: shaped.data ?? null };
}

/**
 * Reads a field by its response key (alias or name): the merged data is keyed
 * the way the client asked for it, since fetches keep the client's aliases.
 */
const readByResponseKey: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => (isObject(source) ? source[info.path.key as string] : undefined);

/**
 * Shapes merged data to the client's selection over the API schema, the way
 * the gateway computes its response: fields the client did not ask for (keys
 * fetched only for the plan) disappear, `__typename` and aliases are answered
 * by graphql-js, null propagates to the nearest nullable field, and abstract
 * types resolve from the `__typename` the plan fetched.
 */
export async function shapeResponse(plan: PlannedSubscription, variables: Readonly<JsonObject>, data: JsonObject): Promise<ExecutionResult> {
  return execute({
    schema: plan.supergraph.apiSchema,
    document: plan.document,
    operationName: plan.operationName,
    variableValues: variables,
    rootValue: data,
    fieldResolver: readByResponseKey,
  });
}
