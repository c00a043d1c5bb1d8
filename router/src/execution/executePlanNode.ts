import type { VariableDefinitions } from "@apollo/federation-internals";
import { evaluateCondition, type FetchNode, type PlanNode } from "@apollo/query-planner";
import { ERRORS, type Logger } from "@store/kit";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from "../graphql.ts";
import { applyRewrites } from "./applyRewrites.ts";
import { deepMerge } from "./deepMerge.ts";
import { isObject, type JsonObject } from "./jsonObject.ts";
import { flattenAt } from "./flattenAt.ts";
import type { EntityKeys } from "../planning/EntityKeys.ts";
import { selectRequired } from "./selectRequired.ts";

export type ResponsePath = readonly (string | number)[];

/** An object in the response being built, and where it sits in that response (for error paths). */
export interface EntityAt {
  readonly value: JsonObject;
  readonly path: ResponsePath;
}

export interface SubgraphRequest {
  query: string;
  operationName: string | undefined;
  variables: JsonObject;
}

export interface SubgraphResponse {
  data?: JsonObject | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface PlanExecutionContext {
  /** The supergraph schema (not the API schema): type conditions may name types the API hides. */
  readonly supergraphSchema: GraphQLSchema;
  /** The client's variables as sent: subgraphs coerce them against their own definitions, as with the gateway. */
  readonly variables: Readonly<JsonObject>;
  readonly variableDefinitions: VariableDefinitions;
  /** Sends one operation to a subgraph. Transport failures come back as `errors`, never as a rejection. */
  fetch(serviceName: string, request: SubgraphRequest): Promise<SubgraphResponse>;
  /** Where every fetch's errors are collected, labelled with their subgraph. */
  readonly errors: GraphQLError[];
  readonly logger: Logger;
  /** The keys each subgraph resolves entities by: a representation that carries none of them is not sent (ENTITY_KEY_MISSING). */
  readonly entityKeys?: EntityKeys;
}

/**
 * Runs one node of a query plan against `entities`, merging what subgraphs
 * return into them in place. The same semantics as `@apollo/gateway`'s
 * executor (whose per-node function is not exported): Sequence in order,
 * Parallel concurrently, Flatten moves to a path ("@" walks a list), Fetch
 * with `requires` sends `_entities` representations. A failed fetch adds a
 * labelled error and leaves its fields missing; the rest still runs.
 */
export async function executePlanNode(ctx: PlanExecutionContext, node: PlanNode, entities: readonly EntityAt[]): Promise<void> {
  switch (node.kind) {
    case "Sequence":
      for (const child of node.nodes) await executePlanNode(ctx, child, entities);
      return;
    case "Parallel":
      await Promise.all(node.nodes.map((child) => executePlanNode(ctx, child, entities)));
      return;
    case "Flatten": {
      const inner = flattenAt(entities, node.path);
      if (inner.length > 0) await executePlanNode(ctx, node.node, inner);
      return;
    }
    case "Fetch":
      try {
        await executeFetch(ctx, node, entities);
      } catch (error) {
        ctx.logger.error({ err: error, subgraph: node.serviceName }, "fetch failed in the router");
        ctx.errors.push(ERRORS.INTERNAL_SERVER_ERROR.err("Internal server error", { extensions: { serviceName: node.serviceName } }));
      }
      return;
    case "Condition": {
      const branch = evaluateCondition(node, ctx.variableDefinitions, ctx.variables) ? node.ifClause : node.elseClause;
      if (branch) await executePlanNode(ctx, branch, entities);
      return;
    }
    case "Defer":
      // The planner emits Defer only with incremental delivery enabled, which this router does not enable.
      ctx.errors.push(ERRORS.OPERATION_NOT_SUPPORTED.err("@defer is not supported"));
      return;
  }
}

async function executeFetch(ctx: PlanExecutionContext, fetch: FetchNode, entities: readonly EntityAt[]): Promise<void> {
  const variables: JsonObject = {};
  for (const name of fetch.variableUsages ?? []) {
    if (Object.hasOwn(ctx.variables, name) && ctx.variables[name] !== undefined) variables[name] = ctx.variables[name];
  }
  const request = { query: fetch.operation, operationName: fetch.operationName };

  if (!fetch.requires) {
    const response = await ctx.fetch(fetch.serviceName, { ...request, variables });
    const base = entities[0]?.path ?? [];
    collectErrors(ctx, fetch.serviceName, response.errors, (path) => (path ? [...base, ...path] : undefined));
    if (!isObject(response.data)) return;
    applyRewrites(ctx.supergraphSchema, fetch.outputRewrites, response.data);
    entities.forEach((entity, i) => deepMerge(entity.value, i === 0 ? response.data : structuredClone(response.data)));
    return;
  }

  // One representation per distinct entity: the same book mentioned three
  // times in an event is resolved once and merged into all three places.
  const representations: JsonObject[] = [];
  const targets: EntityAt[][] = [];
  /** Where each target stands among `entities`: errors are reported in that order, as if each place had been sent. */
  const positions: number[][] = [];
  const byKey = new Map<string, number>();
  for (const [position, entity] of entities.entries()) {
    const representation = selectRequired(ctx.supergraphSchema, entity.value, fetch.requires);
    if (!representation || typeof representation.__typename !== "string") continue;
    applyRewrites(ctx.supergraphSchema, fetch.inputRewrites, representation);
    const missing = ctx.entityKeys?.missingKey(fetch.serviceName, representation);
    if (missing) {
      // Sent, it would resolve to null and null its parents without a word.
      ctx.errors.push(ERRORS.ENTITY_KEY_MISSING.err(missing, { path: entity.path, extensions: { serviceName: fetch.serviceName } }));
      continue;
    }
    const key = representationKey(representation);
    let index = byKey.get(key);
    if (index === undefined) {
      index = representations.push(representation) - 1;
      byKey.set(key, index);
      targets.push([]);
      positions.push([]);
    }
    targets[index]?.push(entity);
    positions[index]?.push(position);
  }
  if (representations.length === 0) return;
  if (Object.hasOwn(variables, "representations")) {
    ctx.errors.push(ERRORS.QUERY_PLANNING_FAILED.err('A variable named "representations" collides with the entity fetch', { extensions: { serviceName: fetch.serviceName } }));
    return;
  }

  const response = await ctx.fetch(fetch.serviceName, { ...request, variables: { ...variables, representations } });
  // ["_entities", i, ...] points at representation i: reported at every place
  // that entity sits in the client's response, in the order of those places.
  const entityErrors: { position: number; error: GraphQLError }[] = [];
  for (const error of response.errors ?? []) {
    const path = error.path;
    const index = path?.[0] === "_entities" && typeof path[1] === "number" ? path[1] : undefined;
    const owners = index === undefined ? undefined : targets[index];
    if (!path || index === undefined || !owners) {
      ctx.errors.push(subgraphError(error, fetch.serviceName, undefined));
      continue;
    }
    owners.forEach((owner, k) => entityErrors.push({ position: positions[index]?.[k] ?? 0, error: subgraphError(error, fetch.serviceName, [...owner.path, ...path.slice(2)]) }));
  }
  entityErrors.sort((a, b) => a.position - b.position);
  for (const { error } of entityErrors) ctx.errors.push(error);
  const received = isObject(response.data) ? response.data._entities : undefined;
  if (received === undefined || received === null) return;
  if (!Array.isArray(received) || received.length !== representations.length) {
    ctx.errors.push(
      ERRORS.DOWNSTREAM_SERVICE_ERROR.err(`Subgraph ${fetch.serviceName} answered ${Array.isArray(received) ? received.length : "no list of"} entities for ${representations.length} representations`, {
        extensions: { serviceName: fetch.serviceName },
      }),
    );
    return;
  }
  received.forEach((entity: unknown, i) => {
    const owners = targets[i] ?? [];
    if (!isObject(entity) || owners.length === 0) return;
    if (entity.__typename === undefined) entity.__typename = owners[0]?.value.__typename;
    applyRewrites(ctx.supergraphSchema, fetch.outputRewrites, entity);
    // Every owner takes the same answer (its nested objects shared, not
    // copied): owners of one fetch sit at the same plan path with the same
    // selection, so any later fetch into a shared object is one every owner
    // asked for, and the shaper builds each place's output separately.
    for (const owner of owners) deepMerge(owner.value, entity);
  });
}

/**
 * Identifies a representation for de-duplication: for the usual flat key
 * (`__typename` plus scalar key fields) a concatenation, cheaper than
 * JSON.stringify; anything nested falls back to JSON.
 */
function representationKey(representation: JsonObject): string {
  let key = "";
  for (const name in representation) {
    const value = representation[name];
    if (value !== null && typeof value === "object") return JSON.stringify(representation);
    key += `${name}\u0001${typeof value}\u0001${String(value)}\u0002`;
  }
  return key;
}

/** Turns a subgraph's errors into the client's: labelled with the subgraph, path rewritten into the client's response. */
function collectErrors(ctx: PlanExecutionContext, serviceName: string, errors: readonly GraphQLFormattedError[] | undefined, toClientPath: (path: ResponsePath | undefined) => ResponsePath | undefined): void {
  for (const error of errors ?? []) ctx.errors.push(subgraphError(error, serviceName, toClientPath(error.path)));
}

/** A subgraph's error as the client sees it: the subgraph's code (or DOWNSTREAM_SERVICE_ERROR) and `serviceName`. */
export function subgraphError(error: GraphQLFormattedError, serviceName: string, path: ResponsePath | undefined): GraphQLError {
  return new GraphQLError(error.message || `Error while fetching subquery from service "${serviceName}"`, {
    ...(path ? { path } : {}),
    extensions: { ...error.extensions, code: error.extensions?.code ?? ERRORS.DOWNSTREAM_SERVICE_ERROR.code, serviceName },
  });
}

