import type { GatewayExecutionResult, GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { IdentityHeader, signIdentityHeaders, type Logger } from "@store/kit";
import { GraphQLError, type DocumentNode } from "../graphql.ts";
import type { RouterContext } from "../context.ts";
import { ROUTER_ERRORS } from "../errors.ts";
import type { RouterMetrics } from "../metrics.ts";
import { executePlanNode, type JsonObject, type SubgraphRequest, type SubgraphResponse } from "./executePlanNode.ts";
import { SubgraphClient } from "./SubgraphClient.ts";
import type { SupergraphPlanner } from "./SupergraphPlanner.ts";

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
  private readonly clients = new Map<string, SubgraphClient>();

  constructor(private readonly options: QueryExecutorOptions) {}

  /** The pooled client for a subgraph at a URL (shared with the subscription executor's entity fetches). */
  client(name: string, url: string): SubgraphClient {
    const key = `${name} ${url}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SubgraphClient({ name, url, timeoutMs: this.options.timeoutMs, metrics: this.options.metrics, logger: this.options.logger });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Headers every subgraph request of one client request carries: its signed identity and request id. */
  headersFor(context: RouterContext): Record<string, string> {
    const headers = signIdentityHeaders(this.options.signingSecret, context.identity);
    if (context.requestId) headers[IdentityHeader.RequestId] = context.requestId;
    return headers;
  }

  /** Sends one operation to a subgraph, through its pooled client; `shareAs` as in SubgraphClient.send. */
  fetch(urls: ReadonlyMap<string, string>, serviceName: string, request: SubgraphRequest, headers: Readonly<Record<string, string>>, shareAs?: string): Promise<SubgraphResponse> {
    const url = urls.get(serviceName);
    if (!url) return Promise.resolve({ errors: [{ message: `The supergraph has no routing URL for subgraph ${serviceName}`, extensions: { code: ROUTER_ERRORS.QUERY_PLANNING_FAILED.code } }] });
    return this.client(serviceName, url).send(request, headers, shareAs);
  }

  async execute(request: ExecutionRequest): Promise<GatewayExecutionResult> {
    const snapshot = this.options.planner.current();
    if (!snapshot) return { errors: [ROUTER_ERRORS.SUPERGRAPH_NOT_READY.err("The router has not loaded a supergraph yet")] };
    let plan;
    try {
      plan = snapshot.planOperation(request.documentKey, request.document, request.operationName);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : ROUTER_ERRORS.QUERY_PLANNING_FAILED.err((error as Error).message)] };
    }

    const data: JsonObject = {};
    const errors: GraphQLError[] = [];
    if (plan.node) {
      const headers = this.headersFor(request.context);
      // Fetches of a query may be shared with identical ones in flight for the
      // same identity (the signed identity header names it); a mutation's never.
      const shareAs = this.options.deduplicate && plan.operation.rootKind === "query" ? (headers[IdentityHeader.Identity] ?? "") : undefined;
      await executePlanNode(
        {
          supergraphSchema: snapshot.supergraphSchema,
          variables: request.variables,
          variableDefinitions: plan.operation.variableDefinitions,
          fetch: (serviceName, subgraphRequest) => this.fetch(snapshot.subgraphUrls, serviceName, subgraphRequest, headers, shareAs),
          errors,
          logger: request.context.logger,
        },
        plan.node,
        [{ value: data, path: [] }],
      );
    }

    let shaped;
    try {
      shaped = plan.shaper.shape(data, request.variables);
    } catch (error) {
      // Data a subgraph sent that contradicts the schema (a list where an object belongs).
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError((error as Error).message)] };
    }
    // As @apollo/gateway: value-completion errors are reported only when every
    // fetch succeeded (a failed fetch already explains the missing fields), and
    // under `extensions.valueCompletion`, not `errors`.
    if (errors.length > 0) return { errors, data: shaped.data };
    if (shaped.errors.length > 0) return { data: shaped.data, extensions: { valueCompletion: shaped.errors } };
    return { data: shaped.data };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    this.clients.clear();
  }
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

