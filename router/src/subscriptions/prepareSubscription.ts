import { ERRORS } from "@store/kit";
import type { RouterContext } from "../context.ts";
import { GraphQLError, type DocumentNode, type FormattedExecutionResult } from "../graphql.ts";
import type { SubgraphRequest, SubgraphResponse } from "../execution/executePlanNode.ts";
import type { JsonObject } from "../execution/jsonObject.ts";
import type { RouterMetrics } from "../metrics.ts";
import type { SupergraphSnapshot } from "../planning/SupergraphPlanner.ts";
import type { ShapedResult } from "../shaping/shapeResponse.ts";
import type { OperationTrace } from "../tracing/OperationTrace.ts";
import type { ClientConnection } from "./ClientConnection.ts";
import { ClientSubscription } from "./ClientSubscription.ts";
import { executeSubscriptionEvent } from "./executeSubscriptionEvent.ts";
import type { SharedEventResults } from "./SharedEventResults.ts";
import type { SubscriptionAdmission } from "./SubscriptionAdmission.ts";
import type { SubscriptionTrace, SubscriptionTracing } from "./SubscriptionTracing.ts";
import type { UpstreamPool, UpstreamRequest } from "./UpstreamPool.ts";

/** Sends one operation to a subgraph of `urls` (an event's entity fetches), signed for one caller; with `trace`, as a span of it carrying its context. */
export type SubgraphFetch = (urls: ReadonlyMap<string, string>, serviceName: string, request: SubgraphRequest, trace?: OperationTrace) => Promise<SubgraphResponse>;

/** What running subscriptions share: the upstreams, the limits, the per-event results. */
export interface SubscriptionRuntime {
  pool: UpstreamPool;
  admission: SubscriptionAdmission;
  results: SharedEventResults<ShapedResult>;
  /** How a caller's subscription sends its entity fetches (QueryExecutor.fetcherFor). */
  fetcherFor(context: RouterContext): SubgraphFetch;
  metrics: RouterMetrics;
  /** The subscriptions' spans; absent when tracing is off (then no span work at all). */
  tracing?: SubscriptionTracing | undefined;
}

/** A subscription that passed SupergraphSnapshot.prepare: parsed, within the limits, valid, its variables coerced. */
export interface SubscriptionRequest {
  query: string;
  document: DocumentNode;
  operationName: string | undefined;
  variables: JsonObject;
}

/** A planned and admitted subscription, started when graphql-ws subscribes. */
export interface PreparedSubscription {
  kind: "subscription";
  start(): ClientSubscription;
}

/**
 * Plans a client's subscription on `supergraph` and admits it against the
 * limits; the errors that refuse it otherwise. Started, it joins (or opens)
 * the upstream subscription for the plan's primary fetch, and each event runs
 * the plan's `rest` once for every client of the same plan and variables.
 * With `trace`, planning, each delivery and the end are traced; the caller
 * ends the trace when this refuses the subscription.
 */
export function prepareSubscription(
  runtime: SubscriptionRuntime,
  connection: ClientConnection,
  supergraph: SupergraphSnapshot,
  request: SubscriptionRequest,
  trace?: SubscriptionTrace,
): PreparedSubscription | readonly GraphQLError[] {
  const { query, document, operationName, variables } = request;
  let plan;
  try {
    plan = trace ? trace.plan(() => supergraph.plan(query, document, operationName)) : supergraph.plan(query, document, operationName);
  } catch (error) {
    return [error instanceof GraphQLError ? error : ERRORS.QUERY_PLANNING_FAILED.err("The operation could not be planned")];
  }
  const url = supergraph.subgraphUrls.get(plan.primary.serviceName);
  if (!url) return [ERRORS.QUERY_PLANNING_FAILED.err(`The supergraph has no routing URL for subgraph ${plan.primary.serviceName}`)];
  const release = runtime.admission.admit(connection);
  if (release instanceof GraphQLError) return [release];

  const context = connection.context();
  const fetchFor = runtime.fetcherFor(context);
  const urls = plan.supergraph.subgraphUrls;
  const fetch = (serviceName: string, subgraphRequest: SubgraphRequest) => fetchFor(urls, serviceName, subgraphRequest);
  const variablesKey = JSON.stringify(variables);
  const primaryVariables: JsonObject = {};
  for (const name of plan.primary.variableUsages ?? []) if (variables[name] !== undefined) primaryVariables[name] = variables[name];
  const upstream: UpstreamRequest = {
    serviceName: plan.primary.serviceName,
    url,
    identity: context.identity,
    requestId: context.requestId,
    query: plan.primary.operation,
    operationName: plan.primary.operationName,
    variables: primaryVariables,
    trace: trace?.upstreamCarrier(),
  };
  // One execution per event, plan and variables, for every client that shares them; with
  // tracing, its entity fetches are spans of the delivery that ran it.
  const share = (event: FormattedExecutionResult, fetches?: OperationTrace) =>
    runtime.results.resultFor(event, plan, variablesKey, () =>
      executeSubscriptionEvent({ plan, variables, fetch: fetches ? (serviceName, subgraphRequest) => fetchFor(urls, serviceName, subgraphRequest, fetches) : fetch, logger: connection.log }, event),
    );

  return {
    kind: "subscription",
    start() {
      const subscription = new ClientSubscription({
        queue: connection,
        open: (sink) => {
          const membership = runtime.pool.subscribe(upstream, sink);
          trace?.joined(membership.opener);
          return membership.leave;
        },
        execute: async (event) => {
          try {
            const result = await (trace ? trace.deliver(event, share) : share(event));
            runtime.metrics.subscriptionEvents.inc({ outcome: result.errors?.length ? "error" : "ok" });
            return result;
          } catch (error) {
            connection.log.error({ err: error }, "subscription event failed in the router");
            runtime.metrics.subscriptionEvents.inc({ outcome: "error" });
            return { data: null, errors: [ERRORS.INTERNAL_SERVER_ERROR.err("Internal server error")] };
          }
        },
        ...(trace ? { onPull: () => trace.pulled() } : {}),
        onEnd: (end) => {
          connection.subscriptions.delete(subscription);
          release();
          trace?.end(end);
        },
      });
      if (!subscription.done) connection.subscriptions.add(subscription);
      return subscription;
    },
  };
}
