import type { GatewayExecutionResult, GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { encodeIdentity, ERRORS, signRouterRequest, type Logger } from "@store/kit";
import { GraphQLError, type DocumentNode } from "../graphql.ts";
import type { RouterContext } from "../context.ts";
import type { RouterMetrics } from "../metrics.ts";
import type { SupergraphPlanner } from "../planning/SupergraphPlanner.ts";
import { shapeResponse } from "../shaping/shapeResponse.ts";
import { errorCodes, failWithCodes, type OperationTrace } from "../tracing/OperationTrace.ts";
import { executePlanNode, type SubgraphRequest, type SubgraphResponse } from "./executePlanNode.ts";
import type { JsonObject } from "./jsonObject.ts";
import type { AbortWatch } from "./RequestDeadline.ts";
import { SubgraphFetcher, type SignRequest } from "./SubgraphFetcher.ts";

/** W3C `tracestate`: sent beside the signed `traceparent`, unsigned (vendor data, never trusted for anything). */
const TRACESTATE = "tracestate";

export interface QueryExecutorOptions {
  planner: SupergraphPlanner;
  signingSecret: string;
  timeoutMs: number;
  /** Share identical in-flight fetches of queries (same identity). */
  deduplicate: boolean;
  metrics: RouterMetrics;
  logger: Logger;
}

export interface ExecutionRequest {
  /** Identifies the document in the plan cache (Apollo Server's sha256 of its text). */
  documentKey: string;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Readonly<JsonObject>;
  context: RouterContext;
}

/**
 * Executes queries and mutations by their query plans, without
 * `@apollo/gateway`'s executor: plans cached per document, fetches over
 * pooled keep-alive connections, one `_entities` representation per distinct
 * entity, subgraph answers merged in place, and a response shaper compiled
 * once per operation. Responses are the same as `@apollo/gateway`'s (the
 * equivalence test runs both over the same subgraphs and operations).
 */
export class QueryExecutor {
  private readonly fetchers = new Map<string, SubgraphFetcher>();

  constructor(private readonly options: QueryExecutorOptions) {}

  /** The pooled fetcher for a subgraph at a URL. */
  private fetcher(name: string, url: string): SubgraphFetcher {
    const key = `${name} ${url}`;
    let fetcher = this.fetchers.get(key);
    if (!fetcher) {
      fetcher = new SubgraphFetcher({ name, url, timeoutMs: this.options.timeoutMs, metrics: this.options.metrics, logger: this.options.logger });
      this.fetchers.set(key, fetcher);
    }
    return fetcher;
  }

  /**
   * Signs the subgraph requests of one client request: its identity, request
   * id and client address, each exchange bound to its subgraph and body with a
   * nonce and timestamp of its own (a subscription's entity fetches are signed
   * per event, long after the subscription started). The trace context, when
   * there is one, is the fetch's own: signed (`traceparent`), and
   * `tracestate` beside it.
   */
  signerFor(context: RouterContext): SignRequest {
    const { signingSecret } = this.options;
    const identity = encodeIdentity(context.identity);
    const requestId = context.requestId || undefined;
    const clientIp = context.clientIp;
    return (subgraph, body, carrier) => {
      const headers = signRouterRequest(signingSecret, { method: "POST", subgraph, body, identity, requestId, clientIp, traceparent: carrier?.traceparent });
      return carrier?.tracestate ? { ...headers, [TRACESTATE]: carrier.tracestate } : headers;
    };
  }

  /** Sends one operation to a subgraph, through its pooled fetcher; `shareAs` and `trace` as in SubgraphFetcher.send. */
  fetch(urls: ReadonlyMap<string, string>, serviceName: string, request: SubgraphRequest, sign: SignRequest, shareAs?: string, signal?: AbortWatch, trace?: OperationTrace): Promise<SubgraphResponse> {
    const url = urls.get(serviceName);
    if (!url) return Promise.resolve({ errors: [{ message: `The supergraph has no routing URL for subgraph ${serviceName}`, extensions: { code: ERRORS.QUERY_PLANNING_FAILED.code } }] });
    return this.fetcher(serviceName, url).send(request, sign, shareAs, signal, trace);
  }

  /**
   * How a caller's subscription sends the entity fetches of its events: over
   * the same pooled fetchers, signed for the caller afresh per fetch, never
   * shared (each event's fetches run once for every client anyway). With
   * `trace`, each fetch is a span of it and carries its trace context.
   */
  fetcherFor(context: RouterContext): (urls: ReadonlyMap<string, string>, serviceName: string, request: SubgraphRequest, trace?: OperationTrace) => Promise<SubgraphResponse> {
    const sign = this.signerFor(context);
    return (urls, serviceName, request, trace) => this.fetch(urls, serviceName, request, sign, undefined, undefined, trace);
  }

  async execute(request: ExecutionRequest): Promise<GatewayExecutionResult> {
    const snapshot = this.options.planner.current();
    if (!snapshot) return { errors: [ERRORS.SUPERGRAPH_NOT_READY.err("The router has not loaded a supergraph yet")] };
    const trace = request.context.trace;
    // Child spans only for a recorded operation; fetches still carry the context of one that is not.
    const traced = trace?.recording ? trace : undefined;
    const planning = traced?.start("graphql.plan", { "store.plan.cache_hit": snapshot.isPlanned(request.documentKey, request.operationName) });
    let plan;
    try {
      plan = snapshot.planOperation(request.documentKey, request.document, request.operationName);
    } catch (error) {
      const refused = error instanceof GraphQLError ? error : ERRORS.QUERY_PLANNING_FAILED.err((error as Error).message);
      if (planning) failWithCodes(planning, errorCodes([refused]));
      return { errors: [refused] };
    } finally {
      planning?.end();
    }

    const data: JsonObject = {};
    const errors: GraphQLError[] = [];
    if (plan.node) {
      const sign = this.signerFor(request.context);
      // Fetches of a query may be shared with identical ones in flight for the
      // same identity (the identity header names it); a mutation's never.
      const shareAs = this.options.deduplicate && plan.operation.rootKind === "query" ? encodeIdentity(request.context.identity) : undefined;
      await executePlanNode(
        {
          supergraphSchema: snapshot.supergraphSchema,
          variables: request.variables,
          variableDefinitions: plan.operation.variableDefinitions,
          fetch: (serviceName, subgraphRequest) => this.fetch(snapshot.subgraphUrls, serviceName, subgraphRequest, sign, shareAs, request.context.signal, trace),
          errors,
          logger: request.context.logger,
          entityKeys: snapshot.entityKeys,
        },
        plan.node,
        [{ value: data, path: [] }],
      );
    }

    // One error for a request cut short, in place of one per fetch it cut short; the data fetched in time stays.
    const cutShort = request.context.signal?.aborted
      ? [...errors.filter((error) => error.extensions.code !== ERRORS.REQUEST_TIMEOUT.code), ERRORS.REQUEST_TIMEOUT.err("The request ran past its deadline; the data fetched in time is returned")]
      : errors;
    const fetchErrors = plan.renamed.size > 0 ? cutShort.map((error) => withClientPath(error, plan.renamed)) : cutShort;
    if (!traced) return shapeResponse(plan.shaper, data, request.variables, fetchErrors);
    const shaping = traced.start("graphql.shape")!;
    const shaped = shapeResponse(plan.shaper, data, request.variables, fetchErrors);
    shaping.end();
    return shaped;
  }

  async close(): Promise<void> {
    await Promise.all([...this.fetchers.values()].map((fetcher) => fetcher.close()));
    this.fetchers.clear();
  }
}

/** `error` with the client's response names in its path, where the router aliased fields for planning. */
function withClientPath(error: GraphQLError, renamed: ReadonlyMap<string, string>): GraphQLError {
  if (!error.path?.some((key) => typeof key === "string" && renamed.has(key))) return error;
  const path = error.path.map((key) => (typeof key === "string" ? (renamed.get(key) ?? key) : key));
  return new GraphQLError(error.message, { path, extensions: error.extensions, ...(error.originalError ? { originalError: error.originalError } : {}) });
}

/**
 * The gateway as Apollo Server sees it: `@apollo/gateway` loads, watches and
 * validates the supergraph and hands Apollo Server its API schema; queries and
 * mutations run on `executor` (the router's own, or the gateway's when
 * QUERY_EXECUTOR=gateway).
 */
export function withExecutor(gateway: GatewayInterface, executor: QueryExecutor | undefined): GatewayInterface {
  if (!executor) return gateway;
  let gatewayExecutor: GatewayExecutor | null = null;
  const run: GatewayExecutor = (requestContext) => {
    // Apollo Server could not pick the operation (unknown or missing name):
    // the gateway's executor reports that in its own words; nothing is fetched.
    if (!requestContext.operation && gatewayExecutor) return gatewayExecutor(requestContext);
    const context = requestContext.context as unknown as RouterContext;
    return executor.execute({
      documentKey: requestContext.queryHash,
      document: requestContext.document,
      operationName: requestContext.operationName ?? undefined,
      variables: (requestContext.request.variables ?? {}) as JsonObject,
      context,
    });
  };
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    async load(options) {
      ({ executor: gatewayExecutor } = await gateway.load(options));
      return { executor: run };
    },
    stop: () => gateway.stop(),
  };
}

