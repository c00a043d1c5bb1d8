import { operationFromDocument, Supergraph, type Operation, type Schema } from "@apollo/federation-internals";
import { QueryPlanner, type FetchNode, type PlanNode } from "@apollo/query-planner";
import { ERRORS, type Logger } from "@store/kit";
import { getOperationAST, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from "../graphql.ts";
import { BYTES_PER_DOCUMENT_CHAR, createBoundedCache } from "../execution/createBoundedCache.ts";
import type { OperationLimits } from "../limits/operationLimits.ts";
import { compileShaper, type ResponseShaper } from "../shaping/compileShaper.ts";
import type { OperationTrace } from "../tracing/OperationTrace.ts";
import { aliasRequiredConflicts, findRequiredArguments, type RequiredArguments } from "./aliasRequiredConflicts.ts";
import { EntityKeys } from "./EntityKeys.ts";
import { findUnresolvableFields } from "./findUnresolvableFields.ts";
import { parseFailure, prepareRequest, type PreparationCaches, type PreparedRequest, type RefusedRequest } from "./prepareRequest.ts";

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
  /** Turns each event's merged data into the client's payload: the same compiled shaper as a query's. */
  readonly shaper: ResponseShaper;
}

/** A query's or mutation's plan, with the compiled shaper that turns merged subgraph data into the client's response. */
export interface PlannedOperation {
  readonly supergraph: SupergraphSnapshot;
  readonly operation: Operation;
  /** Undefined when no subgraph is needed (only introspection or `__typename`). */
  readonly node: PlanNode | undefined;
  readonly shaper: ResponseShaper;
  /** Fields the router aliased before planning (see aliasRequiredConflicts): alias -> the client's response name, for error paths. */
  readonly renamed: ReadonlyMap<string, string>;
}

/** One loaded supergraph: schemas, routing URLs and its planner. Immutable; a reload makes a new one. */
export interface SupergraphSnapshot extends PreparationCaches {
  /** The client-facing schema: what operations are validated against and shaped with. */
  readonly apiSchema: GraphQLSchema;
  /** The full supergraph schema, for type conditions on entities that the API schema hides. */
  readonly supergraphSchema: GraphQLSchema;
  /** The keys each subgraph resolves entities by: representations are checked against them before they are sent. */
  readonly entityKeys: EntityKeys;
  /** Routing URL of each subgraph, SUBGRAPH_<NAME>_URL overrides applied. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** `query` parsed, kept per text: the document, or a GRAPHQL_PARSE_FAILED error. */
  parse(query: string): DocumentNode | GraphQLError;
  /** Validation errors (GRAPHQL_VALIDATION_FAILED) of `query`'s document against `apiSchema`, kept per text; empty when valid. */
  validate(query: string, document: DocumentNode): readonly GraphQLError[];
  /**
   * `prepareRequest` on this supergraph: parsing, validation and the
   * variable-independent measures are kept per document text. With a
   * recorded `trace`, parsing and validation are spans of it.
   */
  prepare(query: string, operationName: string | undefined, variables: Readonly<Record<string, unknown>>, trace?: OperationTrace): PreparedRequest | RefusedRequest;
  /** Plans a subscription; throws a catalogue GraphQLError when it cannot. Plans are cached per document text. */
  plan(query: string, document: DocumentNode, operationName: string | undefined): PlannedSubscription;
  /**
   * Plans a query or mutation that has already been validated against
   * `apiSchema`; `key` identifies the document (its hash) in the plan cache.
   * Throws a catalogue GraphQLError when it cannot.
   */
  planOperation(key: string, document: DocumentNode, operationName: string | undefined): PlannedOperation;
  /** Whether planOperation has this plan kept already (the plan span's `store.plan.cache_hit`). */
  isPlanned(key: string, operationName: string | undefined): boolean;
}

export interface SupergraphPlannerOptions {
  /** SUBGRAPH_<NAME>_URL overrides, keyed by lower-case subgraph name. */
  urlOverrides: Readonly<Record<string, string>>;
  logger: Logger;
  /** The operation limits every request is held to before it is planned. */
  limits: OperationLimits;
  /**
   * Plans kept per supergraph and kind (least recently used are dropped).
   * Planning is the expensive step, and clients send the same few documents.
   * @default 500
   */
  planCacheSize?: number;
  /**
   * Approximate bytes each of the caches (parsed documents, validation
   * results, operation plans, subscription plans) may hold.
   * @default 32 MiB
   */
  cacheBytes?: number;
}

/**
 * Keeps a query planner for the supergraph the router currently serves, and
 * the plans it made. The router executes query plans itself (queries,
 * mutations and subscriptions) with `@apollo/query-planner`'s plans:
 * `update()` is called from the gateway's schema listener, so nothing is
 * planned on a supergraph the gateway rejected.
 */
export class SupergraphPlanner {
  private snapshot: SupergraphSnapshot | undefined;

  constructor(private readonly options: SupergraphPlannerOptions) {}

  /** The supergraph loaded last, or undefined before the first load. */
  current(): SupergraphSnapshot | undefined {
    return this.snapshot;
  }

  /** Switches new operations to `sdl`; running ones finish on the plan they started with. */
  update(sdl: string): void {
    const supergraph = Supergraph.build(sdl);
    const apiSchema = supergraph.apiSchema();
    const subgraphUrls = new Map<string, string>();
    for (const { name, url } of supergraph.subgraphsMetadata()) subgraphUrls.set(name, this.options.urlOverrides[name.toLowerCase()] ?? url);
    this.snapshot = createSnapshot(supergraph, parse(sdl), apiSchema, subgraphUrls, { max: this.options.planCacheSize ?? 500, bytes: this.options.cacheBytes ?? 32 * 1024 * 1024 }, this.options.logger, this.options.limits);
  }
}

function createSnapshot(supergraph: Supergraph, supergraphDocument: DocumentNode, api: Schema, subgraphUrls: Map<string, string>, cacheSize: { max: number; bytes: number }, logger: Logger, limits: OperationLimits): SupergraphSnapshot {
  // Building a QueryPlanner walks the whole supergraph: done on first use.
  let planner: QueryPlanner | undefined;
  // Keys hold the document text; what is kept per key grows with it.
  const perText = (key: string) => key.length * (2 + BYTES_PER_DOCUMENT_CHAR);
  const cache = <V extends object>() => createBoundedCache<V>({ max: cacheSize.max, maxBytes: cacheSize.bytes, sizeOf: perText });
  const subscriptions = cache<PlannedSubscription>();
  const operations = cache<PlannedOperation>();
  // Clients send a handful of documents, over and over (10,000 subscribers of
  // one query hold one parsed document): parsed and validated once each.
  const parsed = cache<DocumentNode | GraphQLError>();
  const validated = cache<readonly GraphQLError[]>();

  const buildPlan = (document: DocumentNode, operationName: string | undefined): { operation: Operation; node: ReturnType<QueryPlanner["buildQueryPlan"]>["node"] } => {
    try {
      planner ??= new QueryPlanner(supergraph);
      const operation = operationFromDocument(api, document, { operationName, validate: false });
      return { operation, node: planner.buildQueryPlan(operation).node };
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code) throw error;
      logger.warn({ err: error, operationName }, "operation could not be planned");
      throw ERRORS.QUERY_PLANNING_FAILED.err(`The operation could not be planned: ${(error as Error).message}`);
    }
  };

  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const requiredArguments: RequiredArguments = findRequiredArguments(supergraphDocument, supergraphSchema);
  const snapshot: SupergraphSnapshot = {
    apiSchema: api.toGraphQLJSSchema(),
    supergraphSchema,
    entityKeys: EntityKeys.fromSupergraph(supergraphDocument),
    subgraphUrls,
    parse(query) {
      let entry = parsed.get(query);
      if (entry === undefined) {
        try {
          entry = parse(query, { maxTokens: limits.options.maxTokens });
        } catch (error) {
          entry = parseFailure(error, query, limits);
        }
        parsed.set(query, entry);
      }
      return entry;
    },
    validate(query, document) {
      let errors = validated.get(query);
      if (errors === undefined) {
        errors = validate(snapshot.apiSchema, document).map((error) => ERRORS.GRAPHQL_VALIDATION_FAILED.err(error.message, { locatedAs: error }));
        validated.set(query, errors);
      }
      return errors;
    },
    prepare(query, operationName, variables, trace) {
      return prepareRequest(snapshot, limits, query, operationName, variables, trace);
    },
    plan(query, document, operationName) {
      const key = `${operationName ?? ""}\n${query}`;
      const cached = subscriptions.get(key);
      if (cached) return cached;
      const { operation, node } = buildPlan(document, operationName);
      if (node?.kind !== "Subscription") throw ERRORS.QUERY_PLANNING_FAILED.err("The operation is not a subscription");
      const planned: PlannedSubscription = { supergraph: snapshot, document, operationName, operation, primary: node.primary, rest: node.rest, shaper: compileShaper(snapshot.apiSchema, document, operationName) };
      subscriptions.set(key, planned);
      return planned;
    },
    planOperation(documentKey, document, operationName) {
      const key = `${operationName ?? ""}\n${documentKey}`;
      const cached = operations.get(key);
      if (cached) return cached;
      // The stock planner's defects the router answers around: see aliasRequiredConflicts and findUnresolvableFields.
      const aliased = aliasRequiredConflicts(document, snapshot.apiSchema, requiredArguments);
      const { operation, node } = buildPlan(aliased.document, operationName);
      if (node?.kind === "Subscription") throw ERRORS.OPERATION_NOT_SUPPORTED.err("Subscriptions are served over WebSocket (graphql-transport-ws) on this endpoint, not over HTTP");
      const definition = getOperationAST(aliased.document, operationName);
      const unresolvable = definition ? findUnresolvableFields(supergraphSchema, snapshot.apiSchema, aliased.document, definition, node) : undefined;
      const shaper = compileShaper(snapshot.apiSchema, aliased.document, operationName, { renamed: aliased.renamed, unresolvable });
      const planned: PlannedOperation = { supergraph: snapshot, operation, node, shaper, renamed: aliased.renamed };
      operations.set(key, planned);
      return planned;
    },
    isPlanned: (documentKey, operationName) => operations.has(`${operationName ?? ""}\n${documentKey}`),
  };
  return snapshot;
}
