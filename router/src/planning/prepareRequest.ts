import { ERRORS } from "@store/kit";
import { getVariableValues, GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from "../graphql.ts";
import type { OperationLimits } from "../limits/operationLimits.ts";
import { failWithErrors, type OperationTrace } from "../tracing/OperationTrace.ts";

/** An operation ready to plan: parsed, within the limits, valid, its variables coerced. */
export interface PreparedRequest {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
}

/** Why a request cannot run, as the client is told: catalogue errors and the HTTP status (always 4xx). */
export interface RefusedRequest {
  readonly status: number;
  readonly errors: readonly GraphQLError[];
  /** The operation refused, when the request got as far as picking one (limits, validation, variables). */
  readonly operation?: OperationDefinitionNode;
}

/** What preparing reads from a supergraph: its API schema, and its parse and validation caches. */
export interface PreparationCaches {
  readonly apiSchema: GraphQLSchema;
  parse(query: string): DocumentNode | GraphQLError;
  validate(query: string, document: DocumentNode): readonly GraphQLError[];
}

/**
 * Everything a request goes through before planning, in order, on HTTP and
 * WebSocket alike: parse (with the token limit), pick the operation, the
 * operation limits, validation against the API schema, and the variables
 * coerced against the operation's definitions. The first step that refuses
 * answers, with its 400 and catalogue errors. With a recorded `trace`, the
 * parse is a `graphql.parse` span and the rest one `graphql.validate` span,
 * failed with the refusal's codes.
 */
export function prepareRequest(
  supergraph: PreparationCaches,
  limits: OperationLimits,
  query: string,
  operationName: string | undefined,
  variables: Readonly<Record<string, unknown>>,
  trace?: OperationTrace,
): PreparedRequest | RefusedRequest {
  if (trace?.recording) return tracedPrepare(trace, supergraph, limits, query, operationName, variables);
  const document = supergraph.parse(query);
  if (document instanceof GraphQLError) return { status: 400, errors: [document] };
  return validateRequest(supergraph, limits, query, document, operationName, variables);
}

/** prepareRequest past parsing. */
function validateRequest(supergraph: PreparationCaches, limits: OperationLimits, query: string, document: DocumentNode, operationName: string | undefined, variables: Readonly<Record<string, unknown>>): PreparedRequest | RefusedRequest {
  const operation = selectOperation(document, operationName);
  if (operation instanceof GraphQLError) return { status: 400, errors: [operation] };
  const exceeded = limits.check(supergraph.apiSchema, document, operation, variables);
  if (exceeded) return { status: 400, errors: [exceeded], operation };
  const invalid = supergraph.validate(query, document);
  if (invalid.length > 0) return { status: 400, errors: invalid, operation };
  const coerced = coerceVariables(supergraph.apiSchema, operation, variables);
  if (coerced) return { status: 400, errors: coerced, operation };
  return { document, operation };
}

function tracedPrepare(trace: OperationTrace, supergraph: PreparationCaches, limits: OperationLimits, query: string, operationName: string | undefined, variables: Readonly<Record<string, unknown>>): PreparedRequest | RefusedRequest {
  const parsing = trace.start("graphql.parse")!;
  const document = supergraph.parse(query);
  if (document instanceof GraphQLError) failWithErrors(parsing, [document]);
  parsing.end();
  if (document instanceof GraphQLError) return { status: 400, errors: [document] };
  const validating = trace.start("graphql.validate")!;
  const prepared = validateRequest(supergraph, limits, query, document, operationName, variables);
  if ("errors" in prepared) failWithErrors(validating, prepared.errors);
  validating.end();
  return prepared;
}

/** A parse failure as the client sees it: the token limit, a syntax error, or a document nested beyond the parser's stack. */
export function parseFailure(error: unknown, query: string, limits: OperationLimits): GraphQLError {
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
