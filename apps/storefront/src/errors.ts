/**
 * GraphQL errors as the people using the store see them. The platform's codes
 * (README "Errors", packages/kit/src/errors.ts) are stable, so the app
 * branches on `extensions.code`, never on a message; a test checks that every
 * code in the README's table has its entry here.
 */

/** What the app needs of one GraphQL error (urql's CombinedError holds graphql-js ones). */
export interface GraphQLErrorLike {
  message: string;
  path?: readonly (string | number)[] | undefined;
  extensions?: Readonly<Record<string, unknown>> | undefined;
}

/** urql's CombinedError, structurally: GraphQL errors, or a request that never got an answer. */
export interface RequestErrorLike {
  graphQLErrors: readonly GraphQLErrorLike[];
  networkError?: Error | undefined;
}

export type DataPath = readonly (string | number)[];

export interface UserErrors {
  /** One message a problem, for the page (deduplicated, in the order the errors came). */
  messages: string[];
  /** BAD_USER_INPUT issues by input field (the last segment of the issue's field), for the form. */
  fields: Record<string, string>;
  /** Where data is missing because a part of the platform did not answer: the page marks those parts. */
  missing: DataPath[];
  /**
   * The subgraphs that did not answer (`extensions.serviceName`): a fetch that
   * failed as a whole has no path, only the service whose fields it lacks.
   */
  unavailable: string[];
  /** The codes seen, for tests and for branching (sign in again on UNAUTHENTICATED). */
  codes: string[];
}

type Describe = (error: GraphQLErrorLike) => string;

const retryAfter = (error: GraphQLErrorLike) => {
  const seconds = error.extensions?.retryAfterSeconds;
  return typeof seconds === "number" && seconds > 0 ? ` Try again in ${seconds} second${seconds === 1 ? "" : "s"}.` : " Try again in a minute.";
};
const ourSide = (code: string): Describe => () => `Something went wrong on our side (${code}). Please try again; if it keeps happening, quote that code.`;
const PART_MISSING = "Some details could not be loaded right now; they are marked below. The rest of the page is up to date.";

/** Every code of the catalogue, and what a shopper reads for it. */
export const ERROR_MESSAGES = {
  GRAPHQL_PARSE_FAILED: ourSide("GRAPHQL_PARSE_FAILED"),
  GRAPHQL_VALIDATION_FAILED: ourSide("GRAPHQL_VALIDATION_FAILED"),
  OPERATION_LIMIT_EXCEEDED: () => "That request asked for too much at once. Narrow it down (fewer items a page) and try again.",
  OPERATION_RESOLUTION_FAILURE: ourSide("OPERATION_RESOLUTION_FAILURE"),
  OPERATION_NOT_SUPPORTED: ourSide("OPERATION_NOT_SUPPORTED"),
  BAD_REQUEST: ourSide("BAD_REQUEST"),
  PAYLOAD_TOO_LARGE: () => "That is too much text to send. Shorten it and try again.",
  PERSISTED_QUERY_NOT_FOUND: ourSide("PERSISTED_QUERY_NOT_FOUND"),
  TRUSTED_DOCUMENT_REQUIRED: ourSide("TRUSTED_DOCUMENT_REQUIRED"),
  RATE_LIMITED: (error) => `Too many attempts in a short time.${retryAfter(error)}`,
  REQUEST_TIMEOUT: () => "The store took too long to answer; some details may be missing. Try again.",
  // Issues go to their fields (describeErrors); this is the message without any.
  BAD_USER_INPUT: (error) => `Please check what you entered: ${error.message.replace(/^Invalid input:\s*/, "")}`,
  NOT_FOUND: () => "We could not find that. It may have been removed, or it belongs to another account.",
  UNAUTHENTICATED: () => "Please sign in to continue (your session may have ended).",
  FORBIDDEN: () => "Your account is not allowed to do that.",
  CONFLICT: () => "That is already taken: an account with this email (or a product with this SKU) exists.",
  INVALID_CREDENTIALS: () => "That email and password do not match an account. Check both and try again.",
  INVALID_STATE: (error) => `That is no longer possible: ${error.message}`,
  INSUFFICIENT_STOCK: () => "There is not enough stock for that. Lower the quantity or remove the item.",
  SERVICE_OVERLOADED: (error) => `The store is very busy and nothing was saved.${retryAfter(error)}`,
  SUBGRAPH_UNAVAILABLE: () => PART_MISSING,
  SUBGRAPH_TIMEOUT: () => PART_MISSING,
  DOWNSTREAM_SERVICE_ERROR: () => PART_MISSING,
  QUERY_PLANNING_FAILED: ourSide("QUERY_PLANNING_FAILED"),
  ENTITY_KEY_MISSING: () => PART_MISSING,
  SUPERGRAPH_NOT_READY: () => "The store is starting up. Try again in a few seconds.",
  SUBSCRIPTION_LIMIT_EXCEEDED: () => "Too many live views are open. Close some tabs; this page no longer updates by itself.",
  SUBSCRIPTION_SOURCE_LOST: () => "Live updates stopped. Reload the page to see the latest.",
  SUBSCRIPTION_OVERFLOW: () => "Live updates fell behind. Reload the page to see the latest.",
  INVALID_GRAPHQL: () => PART_MISSING,
  INVALID_ROUTER_SIGNATURE: ourSide("INVALID_ROUTER_SIGNATURE"),
  INTERNAL_SERVER_ERROR: ourSide("INTERNAL_SERVER_ERROR"),
} satisfies Record<string, Describe>;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** Codes that cost a part of the data, not the request: the rest of the page is still shown. */
const PARTIAL: ReadonlySet<string> = new Set<ErrorCode>(["SUBGRAPH_UNAVAILABLE", "SUBGRAPH_TIMEOUT", "DOWNSTREAM_SERVICE_ERROR", "ENTITY_KEY_MISSING", "INVALID_GRAPHQL", "REQUEST_TIMEOUT", "QUERY_PLANNING_FAILED"]);

export const NETWORK_MESSAGE = "Cannot reach the store. Check your connection and try again.";

const isKnownCode = (code: unknown): code is ErrorCode => typeof code === "string" && Object.hasOwn(ERROR_MESSAGES, code);

interface Issue {
  field: string;
  message: string;
}

function issuesOf(error: GraphQLErrorLike): Issue[] {
  const issues = error.extensions?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((issue): issue is Issue => typeof issue?.field === "string" && typeof issue?.message === "string");
}

/** "input.password" and "password" are the same form field; "(input)" is the whole form. */
const fieldName = (field: string) => field.split(".").at(-1) ?? field;

/** Every error of a request, as messages for the page, issues for the form and the parts of the data that are missing. */
export function describeErrors(error: RequestErrorLike | undefined): UserErrors {
  const described: UserErrors = { messages: [], fields: {}, missing: [], unavailable: [], codes: [] };
  if (!error) return described;
  const say = (message: string) => {
    if (!described.messages.includes(message)) described.messages.push(message);
  };
  for (const graphQLError of error.graphQLErrors) {
    const code = graphQLError.extensions?.code;
    if (typeof code === "string" && !described.codes.includes(code)) described.codes.push(code);
    if (typeof code === "string" && PARTIAL.has(code)) {
      const service = graphQLError.extensions?.serviceName;
      if (graphQLError.path) described.missing.push(graphQLError.path);
      else if (typeof service === "string" && !described.unavailable.includes(service)) described.unavailable.push(service);
      // Neither: something is missing, the page cannot tell what.
      else if (typeof service !== "string") described.missing.push([]);
    }
    const issues = code === "BAD_USER_INPUT" ? issuesOf(graphQLError) : [];
    const formIssues = issues.filter((issue) => issue.field !== "(input)");
    for (const issue of formIssues) described.fields[fieldName(issue.field)] ??= issue.message;
    for (const issue of issues.filter((issue) => issue.field === "(input)")) say(issue.message);
    if (formIssues.length > 0) say("Please correct the fields marked below.");
    else if (issues.length === 0) say(isKnownCode(code) ? ERROR_MESSAGES[code](graphQLError) : "Something went wrong. Please try again.");
  }
  if (error.graphQLErrors.length === 0 && error.networkError) say(NETWORK_MESSAGE);
  return described;
}

/**
 * Whether the data at `path` (or inside it, or around it), which `service`
 * resolves, is missing because a part of the platform did not answer.
 */
export function isMissing(errors: UserErrors, path: DataPath, service?: string): boolean {
  const startsWith = (long: DataPath, short: DataPath) => short.every((segment, i) => long[i] === segment);
  if (service !== undefined && errors.unavailable.includes(service)) return true;
  return errors.missing.some((missing) => startsWith(missing, path) || startsWith(path, missing));
}

/** Errors whose data is only partly missing: the page shows what it has and marks the rest. */
export function onlyPartsMissing(errors: UserErrors): boolean {
  return errors.codes.length > 0 && errors.codes.every((code) => PARTIAL.has(code));
}
