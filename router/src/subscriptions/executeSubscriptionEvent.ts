import { ERRORS, type Logger } from "@store/kit";
import type { FormattedExecutionResult, GraphQLError } from "../graphql.ts";
import { applyRewrites } from "../execution/applyRewrites.ts";
import { executePlanNode, subgraphError, type SubgraphRequest, type SubgraphResponse } from "../execution/executePlanNode.ts";
import { isObject, type JsonObject } from "../execution/jsonObject.ts";
import type { PlannedSubscription } from "../planning/SupergraphPlanner.ts";
import { shapeResponse, type ShapedResult } from "../shaping/shapeResponse.ts";

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
 * selection by the plan's compiled shaper, exactly as a query's response is
 * (shaping/shapeResponse.ts: the same null propagation, and value-completion
 * errors under `extensions.valueCompletion`).
 */
export async function executeSubscriptionEvent(options: SubscriptionEventOptions, event: FormattedExecutionResult): Promise<ShapedResult> {
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
  // subscription; each plan merges into its own copy.
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
        entityKeys: plan.supergraph.entityKeys,
      },
      plan.rest,
      [{ value: data, path: [] }],
    );
  }
  return shapeResponse(plan.shaper, data, options.variables, upstreamErrors.length > 0 ? [...upstreamErrors, ...fetchErrors] : fetchErrors);
}
