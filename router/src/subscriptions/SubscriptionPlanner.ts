import { operationFromDocument, Supergraph, type Operation, type Schema } from "@apollo/federation-internals";
import { QueryPlanner, type FetchNode, type PlanNode } from "@apollo/query-planner";
import { GraphQLError, type DocumentNode, type GraphQLSchema } from "../graphql.ts";
import type { Logger } from "@store/kit";
import { ROUTER_ERRORS } from "../errors.ts";

/** A subscription's query plan, ready to run: what the planner gives plus what running it needs. */
export interface PlannedSubscription {
  /** The supergraph the plan was made for; a running subscription keeps it across reloads. */
  readonly supergraph: SupergraphSnapshot;
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  /** Federation's view of the operation (its variable definitions decide `Condition` nodes). */
  readonly operation: Operation;
  /** The fetch that opens the subscription on the owning subgraph. */
  readonly primary: FetchNode;
  /** What runs against every event: entity fetches to the other subgraphs. */
  readonly rest: PlanNode | undefined;
}

/** One loaded supergraph: schemas, routing URLs and its planner. Immutable; a reload makes a new one. */
export interface SupergraphSnapshot {
  /** The client-facing schema: what operations are validated against and shaped with. */
  readonly apiSchema: GraphQLSchema;
  /** The full supergraph schema, for type conditions on entities that the API schema hides. */
  readonly supergraphSchema: GraphQLSchema;
  /** Routing URL of each subgraph, SUBGRAPH_<NAME>_URL overrides applied. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** Plans `document`; throws a catalogue GraphQLError when it cannot. Plans are cached per document text. */
  plan(query: string, document: DocumentNode, operationName: string | undefined): PlannedSubscription;
}

export interface SubscriptionPlannerOptions {
  /** SUBGRAPH_<NAME>_URL overrides, keyed by lower-case subgraph name. */
  urlOverrides: Readonly<Record<string, string>>;
  logger: Logger;
  /**
   * Plans kept per supergraph (least recently used are dropped). Planning is
   * the expensive step, and clients subscribe with the same few documents.
   * @default 500
   */
  planCacheSize?: number;
}

/**
 * Keeps a query planner for the supergraph the gateway currently serves.
 * `@apollo/gateway` plans subscriptions but refuses to execute them, so the
 * router plans them itself with the same `@apollo/query-planner`, on the same
 * supergraph: `update()` is called from the gateway's schema listener, so a
 * subscription never sees a supergraph the gateway rejected.
 */
export class SubscriptionPlanner {
  private snapshot: SupergraphSnapshot | undefined;

  constructor(private readonly options: SubscriptionPlannerOptions) {}

  /** The supergraph loaded last, or undefined before the first load. */
  current(): SupergraphSnapshot | undefined {
    return this.snapshot;
  }

  /** Switches new subscriptions to `sdl`; running ones finish on the plan they started with. */
  update(sdl: string): void {
    const supergraph = Supergraph.build(sdl);
    const apiSchema = supergraph.apiSchema();
    const subgraphUrls = new Map<string, string>();
    for (const { name, url } of supergraph.subgraphsMetadata()) subgraphUrls.set(name, this.options.urlOverrides[name.toLowerCase()] ?? url);
    this.snapshot = createSnapshot(supergraph, apiSchema, subgraphUrls, this.options.planCacheSize ?? 500, this.options.logger);
  }
}

function createSnapshot(supergraph: Supergraph, api: Schema, subgraphUrls: Map<string, string>, cacheSize: number, logger: Logger): SupergraphSnapshot {
  // Building a QueryPlanner walks the whole supergraph; a router that never
  // sees a subscription should not pay for it on every reload.
  let planner: QueryPlanner | undefined;
  const plans = new Map<string, PlannedSubscription>();
  const snapshot: SupergraphSnapshot = {
    apiSchema: api.toGraphQLJSSchema(),
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    subgraphUrls,
    plan(query, document, operationName) {
      const key = `${operationName ?? ""}\n${query}`;
      const cached = plans.get(key);
      if (cached) {
        // Map keeps insertion order: re-inserting marks it most recently used.
        plans.delete(key);
        plans.set(key, cached);
        return cached;
      }
      let operation: Operation;
      let node;
      try {
        planner ??= new QueryPlanner(supergraph);
        operation = operationFromDocument(api, document, { operationName });
        node = planner.buildQueryPlan(operation).node;
      } catch (error) {
        if (error instanceof GraphQLError && error.extensions.code) throw error;
        logger.warn({ err: error, operationName }, "subscription could not be planned");
        throw ROUTER_ERRORS.QUERY_PLANNING_FAILED.err(`The operation could not be planned: ${(error as Error).message}`);
      }
      if (node?.kind !== "Subscription") throw ROUTER_ERRORS.QUERY_PLANNING_FAILED.err("The operation is not a subscription");
      const planned: PlannedSubscription = { supergraph: snapshot, document, operationName, operation, primary: node.primary, rest: node.rest };
      plans.set(key, planned);
      if (plans.size > cacheSize) plans.delete(plans.keys().next().value as string);
      return planned;
    },
  };
  return snapshot;
}
