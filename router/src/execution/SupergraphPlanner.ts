import { operationFromDocument, Supergraph, type Operation, type Schema } from "@apollo/federation-internals";
import { QueryPlanner, type FetchNode, type PlanNode } from "@apollo/query-planner";
import { getVariableValues, GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "../graphql.ts";
import type { Logger } from "@store/kit";
import { ERRORS } from "@store/kit";
import { compileShaper, type ResponseShaper } from "./shapeResponse.ts";
import { BYTES_PER_DOCUMENT_CHAR, createBoundedCache } from "./createBoundedCache.ts";
import type { OperationLimits } from "../limits/operationLimits.ts";

/** An operation ready to plan: parsed, within the limits, valid, its variables coerced. */
export interface PreparedRequest {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
}

/** Why a request cannot run, as the client is told: catalogue errors and the HTTP status (always 4xx). */
export interface RefusedRequest {
  readonly status: number;
  readonly errors: readonly GraphQLError[];
}

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

/** A query's or mutation's plan, with the compiled shaper that turns merged subgraph data into the client's response. */
export interface PlannedOperation {
  readonly supergraph: SupergraphSnapshot;
  readonly operation: Operation;
  /** Undefined when no subgraph is needed (only introspection or `__typename`). */
  readonly node: PlanNode | undefined;
  readonly shaper: ResponseShaper;
}

/** One loaded supergraph: schemas, routing URLs and its planner. Immutable; a reload makes a new one. */
export interface SupergraphSnapshot {
  /** The client-facing schema: what operations are validated against and shaped with. */
  readonly apiSchema: GraphQLSchema;
  /** The full supergraph schema, for type conditions on entities that the API schema hides. */
  readonly supergraphSchema: GraphQLSchema;
  /** Routing URL of each subgraph, SUBGRAPH_<NAME>_URL overrides applied. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** `query` parsed, kept per text: the document, or a GRAPHQL_PARSE_FAILED error. */
  parse(query: string): DocumentNode | GraphQLError;
  /** Validation errors (GRAPHQL_VALIDATION_FAILED) of `query`'s document against `apiSchema`, kept per text; empty when valid. */
  validate(query: string, document: DocumentNode): readonly GraphQLError[];
  /**
   * Everything a request goes through before planning, in order: parse (with
   * the token limit), pick the operation, the operation limits, validation
   * against `apiSchema`, and variables coerced against the operation's
   * definitions. Same for HTTP and WebSocket. Parsing, validation and the
   * variable-independent measures are kept per document text.
   */
  prepare(query: string, operationName: string | undefined, variables: Readonly<Record<string, unknown>>): PreparedRequest | RefusedRequest;
  /** Plans a subscription; throws a catalogue GraphQLError when it cannot. Plans are cached per document text. */
  plan(query: string, document: DocumentNode, operationName: string | undefined): PlannedSubscription;
  /**
   * Plans a query or mutation that has already been validated against
   * `apiSchema`; `key` identifies the document (its hash) in the plan cache.
   * Throws a catalogue GraphQLError when it cannot.
   */
  planOperation(key: string, document: DocumentNode, operationName: string | undefined): PlannedOperation;
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
    this.snapshot = createSnapshot(supergraph, apiSchema, subgraphUrls, { max: this.options.planCacheSize ?? 500, bytes: this.options.cacheBytes ?? 32 * 1024 * 1024 }, this.options.logger, this.options.limits);
  }
}

function createSnapshot(supergraph: Supergraph, api: Schema, subgraphUrls: Map<string, string>, cacheSize: { max: number; bytes: number }, logger: Logger, limits: OperationLimits): SupergraphSnapshot {
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

  const snapshot: SupergraphSnapshot = {
    apiSchema: api.toGraphQLJSSchema(),
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
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
    prepare(query, operationName, variables) {
      const document = snapshot.parse(query);
      if (document instanceof GraphQLError) return { status: 400, errors: [document] };
      const operation = selectOperation(document, operationName);
      if (operation instanceof GraphQLError) return { status: 400, errors: [operation] };
      const exceeded = limits.check(snapshot.apiSchema, document, operation, variables);
      if (exceeded) return { status: 400, errors: [exceeded] };
      const invalid = snapshot.validate(query, document);
      if (invalid.length > 0) return { status: 400, errors: invalid };
      const coerced = coerceVariables(snapshot.apiSchema, operation, variables);
      if (coerced) return { status: 400, errors: coerced };
      return { document, operation };
    },
    plan(query, document, operationName) {
      const key = `${operationName ?? ""}\n${query}`;
      const cached = subscriptions.get(key);
      if (cached) return cached;
      const { operation, node } = buildPlan(document, operationName);
      if (node?.kind !== "Subscription") throw ERRORS.QUERY_PLANNING_FAILED.err("The operation is not a subscription");
      const planned: PlannedSubscription = { supergraph: snapshot, document, operationName, operation, primary: node.primary, rest: node.rest };
      subscriptions.set(key, planned);
      return planned;
    },
    planOperation(documentKey, document, operationName) {
      const key = `${operationName ?? ""}\n${documentKey}`;
      const cached = operations.get(key);
      if (cached) return cached;
      const { operation, node } = buildPlan(document, operationName);
      if (node?.kind === "Subscription") throw ERRORS.OPERATION_NOT_SUPPORTED.err("Subscriptions are served over WebSocket (graphql-transport-ws) on this endpoint, not over HTTP");
      const planned: PlannedOperation = { supergraph: snapshot, operation, node, shaper: compileShaper(snapshot.apiSchema, document, operationName) };
      operations.set(key, planned);
      return planned;
    },
  };
  return snapshot;
}

/** A parse failure as the client sees it: the token limit, a syntax error, or a document nested beyond the parser's stack. */
function parseFailure(error: unknown, query: string, limits: OperationLimits): GraphQLError {
  if (error instanceof GraphQLError) {
    if (/Document contains more tha[nt] \d+ tokens/.test(error.message)) return limits.tooManyTokens(query);
    return ERRORS.GRAPHQL_PARSE_FAILED.err(error.message, { locatedAs: error });
  }
  // graphql-js parses by recursive descent: thousands of nested selections or
  // lists overflow the stack (RangeError). Never shown as it is.
  return ERRORS.GRAPHQL_PARSE_FAILED.err(error instanceof RangeError ? "Syntax Error: the document is nested too deeply to parse" : "Syntax Error: the document could not be parsed");
}

/**
 * The operation a request names, or the 400 that explains why there is none:
 * an unknown name, a fragment's name, several operations and no name.
 */
export function selectOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | GraphQLError {
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  if (operationName === undefined) {
    if (operations.length === 1) return operations[0]!;
    return ERRORS.OPERATION_RESOLUTION_FAILURE.err(operations.length === 0 ? "The document contains no operation to run" : "Must provide operation name if query contains multiple operations");
  }
  const named = operations.filter((operation) => operation.name?.value === operationName);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) return ERRORS.OPERATION_RESOLUTION_FAILURE.err(`The document contains several operations named "${operationName}"`);
  const fragment = document.definitions.some((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === operationName);
  return ERRORS.OPERATION_RESOLUTION_FAILURE.err(fragment ? `"${operationName}" is a fragment, not an operation` : `Unknown operation named "${operationName}"`);
}

/** Variable values checked against the operation's definitions (BAD_USER_INPUT naming the variable), or undefined when they fit. */
export function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): GraphQLError[] | undefined {
  // Nothing to check (values of undeclared variables are never forwarded).
  if (!operation.variableDefinitions?.length) return undefined;
  try {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables as Record<string, unknown>, { maxErrors: 10 });
    if (!coerced.errors) return undefined;
    // graphql-js's messages name the variable ('Variable "$first" got invalid value …').
    return coerced.errors.map((error) => ERRORS.BAD_USER_INPUT.err(error.message, { locatedAs: error }));
  } catch (error) {
    if (error instanceof RangeError) return [ERRORS.BAD_USER_INPUT.err("Variable values are nested too deeply")];
    throw error;
  }
}
