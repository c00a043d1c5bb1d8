import { Lexer, Source, TokenKind, type DocumentNode, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from "../graphql.ts";
import { ERRORS } from "@store/kit";
import type { RouterConfig } from "../config.ts";
import { measureOperation, type CostOptions, type OperationMeasures } from "./measureOperation.ts";

/** The limits an operation must stay within; each is checked before anything is planned or fetched. */
export interface OperationLimitsOptions extends CostOptions {
  /** Lexical tokens in the document (the parser stops past it). @default 2000 */
  maxTokens: number;
  /** Field nesting, fragments expanded; introspection counts. @default 12 */
  maxDepth: number;
  /** Aliased fields after fragment expansion. @default 30 */
  maxAliases: number;
  /** Fields on the root type. @default 20 */
  maxRootFields: number;
  /** Directives on any one location. @default 5 */
  maxDirectives: number;
  /** Fields after fragment expansion. @default 1500 */
  maxSelections: number;
  /** Demand-control cost; introspection is exempt. @default 5000 */
  maxCost: number;
}

/** A limit's name as it appears in `extensions.limit`. */
export type OperationLimit = "tokens" | "depth" | "aliases" | "rootFields" | "directives" | "selections" | "cost";

const CHECKS: ReadonlyArray<[OperationLimit, keyof OperationMeasures, keyof OperationLimitsOptions, string]> = [
  ["depth", "depth", "maxDepth", "nested deeper than"],
  ["aliases", "aliases", "maxAliases", "has more aliases than"],
  ["rootFields", "rootFields", "maxRootFields", "selects more root fields than"],
  ["directives", "directives", "maxDirectives", "has more directives on one location than"],
  ["selections", "selections", "maxSelections", "selects more fields (fragments expanded) than"],
  ["cost", "cost", "maxCost", "costs more than"],
];

export interface OperationLimits {
  readonly options: Readonly<OperationLimitsOptions>;
  /**
   * The first limit the operation exceeds, as an OPERATION_LIMIT_EXCEEDED
   * error (`extensions.limit`, `maximum`, `measured`), or undefined.
   * Measures that do not depend on variables are kept per document.
   */
  check(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>, options?: { cost?: boolean }): GraphQLError | undefined;
  /** The error for a document the parser stopped reading at `maxTokens`, with its real token count. */
  tooManyTokens(query: string): GraphQLError;
}

export function createOperationLimits(options: OperationLimitsOptions): OperationLimits {
  // Per document object (the snapshot keeps one per query text), per operation.
  const measured = new WeakMap<DocumentNode, Map<OperationDefinitionNode, OperationMeasures>>();

  const measuresOf = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): OperationMeasures => {
    let perOperation = measured.get(document);
    const cached = perOperation?.get(operation);
    if (cached) return cached;
    const measures = measureOperation(schema, document, operation, variables, options);
    if (!measures.costUsesVariables) {
      if (!perOperation) measured.set(document, (perOperation = new Map()));
      perOperation.set(operation, measures);
    }
    return measures;
  };

  return {
    options,
    check(schema, document, operation, variables, { cost = true } = {}) {
      const measures = measuresOf(schema, document, operation, variables);
      for (const [limit, measure, option, words] of CHECKS) {
        if (limit === "cost" && !cost) continue;
        const maximum = options[option] as number;
        const value = measures[measure] as number;
        if (value > maximum) return exceeded(limit, maximum, value, `The operation ${words} the limit of ${maximum} (${limit}: ${value})`);
      }
      return undefined;
    },
    tooManyTokens(query) {
      const tokens = countTokens(query);
      return exceeded("tokens", options.maxTokens, tokens, `The document has more tokens than the limit of ${options.maxTokens} (tokens: ${tokens})`);
    },
  };
}

function exceeded(limit: OperationLimit, maximum: number, measured: number, message: string): GraphQLError {
  return ERRORS.OPERATION_LIMIT_EXCEEDED.err(message, { extensions: { limit, maximum, measured: Number.isFinite(measured) ? measured : Number.MAX_SAFE_INTEGER } });
}

/** Tokens in a document, counted by graphql-js's own lexer (a lexical error ends the count). */
function countTokens(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // A syntax error further on: the count so far is already over the limit.
  }
  return count;
}

/** The limits from the router's config (ROUTER_MAX_* and the cost settings). */
export function operationLimitsFromConfig(
  config: Pick<RouterConfig, "ROUTER_MAX_TOKENS" | "ROUTER_MAX_DEPTH" | "ROUTER_MAX_ALIASES" | "ROUTER_MAX_ROOT_FIELDS" | "ROUTER_MAX_DIRECTIVES" | "ROUTER_MAX_SELECTIONS" | "ROUTER_MAX_COST" | "ROUTER_COST_DEFAULT_LIST_SIZE" | "ROUTER_COST_WEIGHTS">,
): OperationLimitsOptions {
  return {
    maxTokens: config.ROUTER_MAX_TOKENS,
    maxDepth: config.ROUTER_MAX_DEPTH,
    maxAliases: config.ROUTER_MAX_ALIASES,
    maxRootFields: config.ROUTER_MAX_ROOT_FIELDS,
    maxDirectives: config.ROUTER_MAX_DIRECTIVES,
    maxSelections: config.ROUTER_MAX_SELECTIONS,
    maxCost: config.ROUTER_MAX_COST,
    defaultListSize: config.ROUTER_COST_DEFAULT_LIST_SIZE,
    weights: config.ROUTER_COST_WEIGHTS,
  };
}
