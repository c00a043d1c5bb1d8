/**
 * One hostile request, what it must be answered with, and the checks every
 * answer to a hostile request must pass whatever it is: no 5xx, no
 * INTERNAL_SERVER_ERROR, only documented codes, no internal detail.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

/** The categories of issue 11 item 12; every generated case belongs to one. */
export type Category = "parse/validation" | "operation name" | "limits" | "bad variables" | "pagination" | "auth" | "trust boundary" | "injection" | "overload";

export interface HostileRequest {
  /** The router (default), or a subgraph by name: the trust-boundary cases go around the router. */
  subgraph?: string;
  /** @default "POST" */
  method?: string;
  /** Appended to the URL, e.g. `?query=…` for GET. */
  search?: string;
  headers?: Record<string, string>;
  /** A string is sent as its UTF-8 bytes; bytes as they are (fetch adds no content-type for them). */
  body?: string | Uint8Array;
}

/** What a case's answer must be. */
export interface Expectation {
  status: number;
  /** `errors[0].extensions.code`; null for an answer without errors. */
  code: string | null;
  /** `extensions.limit` of an OPERATION_LIMIT_EXCEEDED. */
  limit?: string;
  /** `extensions.serviceName`: the subgraph that refused, for errors that pass through the router. */
  serviceName?: string;
  /** Text the first error's message must contain (the variable a BAD_USER_INPUT names). */
  messageIncludes?: string;
  /**
   * The response's `data`, matched with toMatchObject: `null` when a non-null
   * root field failed, `{ field: null }` for a nullable one. Absent for a 4xx.
   * @default undefined for a 4xx (no data at all), anything for a 200
   */
  data?: unknown;
}

/** What the suite needs at send time: tokens and URLs exist only once the platform runs. */
export interface CaseContext {
  routerUrl: string;
  subgraphUrls: Record<string, string>;
  tokens: Tokens;
}

export interface Tokens {
  /** ada@example.com, a customer with an order. */
  customer: string;
  /** admin@example.com. */
  admin: string;
  /** The customer's token, expired an hour ago. */
  expired: string;
  /** The customer's claims signed with a secret the router does not know. */
  otherSecret: string;
  /** The customer's token from another issuer, audience, algorithm or claim set. */
  wrongIssuer: string;
  wrongAudience: string;
  hs512: string;
  unknownRole: string;
  noSubject: string;
}

export interface HostileCase {
  category: Category;
  name: string;
  /** Built at send time (tokens, fresh signatures). */
  request: HostileRequest | ((context: CaseContext) => HostileRequest);
  expect: Expectation;
  /** The whole round trip must take less (fragment bombs). */
  maxMs?: number;
}

/** An answer as received. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: GraphQLBody | undefined;
  ms: number;
}

export interface GraphQLBody {
  data?: unknown;
  errors?: { message?: unknown; path?: unknown; extensions?: Record<string, unknown> }[];
}

/** How long one answer may take before the case fails (a hung connection must not hang the suite). */
const ANSWER_TIMEOUT_MS = 20_000;

/**
 * Sends one request on a connection of its own (no keep-alive pool): a
 * hostile request that leaves its connection in a bad state (a body refused
 * half-read) must not take the next case down with it. That hazard has a
 * case of its own.
 */
export function send(context: CaseContext, request: HostileRequest): Promise<Answer> {
  const base = request.subgraph ? context.subgraphUrls[request.subgraph] : context.routerUrl;
  if (!base) return Promise.reject(new Error(`no URL for subgraph ${request.subgraph}`));
  const started = performance.now();
  return new Promise<Answer>((resolve, reject) => {
    const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body) : Buffer.from(request.body);
    // Framed by length whatever the method (Node frames a DELETE's body by nothing unless told).
    const headers = { ...request.headers, ...(body ? { "content-length": String(body.length) } : {}) };
    const outgoing = httpRequest(new URL(`${base}${request.search ?? ""}`), { method: request.method ?? "POST", headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
        let json: GraphQLBody | undefined;
        try {
          const value: unknown = JSON.parse(text);
          if (typeof value === "object" && value !== null && !Array.isArray(value)) json = value as GraphQLBody;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers, text, json, ms: performance.now() - started });
      });
    });
    outgoing.setTimeout(ANSWER_TIMEOUT_MS, () => outgoing.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    // A refusal may come (and the server stop reading) before the whole body is written: the answer is what counts.
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/**
 * Codes a client may see (the README's table), less those that a request
 * cannot earn with all subgraphs up: SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT,
 * REQUEST_TIMEOUT, DOWNSTREAM_SERVICE_ERROR, QUERY_PLANNING_FAILED,
 * SUPERGRAPH_NOT_READY, INVALID_GRAPHQL and INTERNAL_SERVER_ERROR each mean a
 * bug (or an outage) when a hostile document or variable produces them.
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "OPERATION_LIMIT_EXCEEDED",
  "OPERATION_RESOLUTION_FAILURE",
  "OPERATION_NOT_SUPPORTED",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
  "PERSISTED_QUERY_NOT_FOUND",
  "RATE_LIMITED",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "CONFLICT",
  "INVALID_CREDENTIALS",
  "INVALID_STATE",
  "INSUFFICIENT_STOCK",
  "SERVICE_OVERLOADED",
  "INVALID_ROUTER_SIGNATURE",
]);

/** What must never reach a client: stack frames, engine and driver text, file paths. */
export const INTERNAL_DETAIL: readonly RegExp[] = [/ {4}at /, /Maximum call stack/i, /prisma/i, /Invalid `/, /SELECT /, /ECONNREFUSED/, /\/src\//, /node_modules/];

/** Every string the client sent (body JSON values, keys, the raw query): echoing those back is no leak. */
function clientStrings(request: HostileRequest): string[] {
  const strings: string[] = [];
  if (request.search) strings.push(decodeURIComponent(request.search.replace(/\+/g, " ")));
  const body = typeof request.body === "string" ? request.body : request.body ? Buffer.from(request.body).toString("utf8") : "";
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = body;
  }
  // Iterative: hostile bodies nest deeper than the stack.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === "string") strings.push(current);
    else if (Array.isArray(current)) for (const item of current) stack.push(item);
    else if (current !== null && typeof current === "object") {
      for (const [key, child] of Object.entries(current)) {
        strings.push(key);
        stack.push(child);
      }
    }
  }
  return strings.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/** Internal detail in the errors' messages and extensions, beyond what the client sent itself. */
export function leaksIn(answer: Answer, request: HostileRequest): string[] {
  if (!answer.json?.errors) return INTERNAL_DETAIL.filter((pattern) => pattern.test(answer.text) && !answer.json).map(String);
  let text = JSON.stringify(answer.json.errors);
  for (const sent of clientStrings(request)) {
    const escaped = JSON.stringify(sent).slice(1, -1);
    text = text.split(escaped).join("");
  }
  const found = INTERNAL_DETAIL.filter((pattern) => pattern.test(text)).map(String);
  for (const error of answer.json.errors) {
    for (const key of ["stacktrace", "exception", "originalError"]) if (error.extensions && key in error.extensions) found.push(`extensions.${key}`);
  }
  return found;
}

/** The answer in the terms an Expectation uses, plus the checks common to every hostile request. */
export interface Observed {
  status: number;
  code: unknown;
  limit?: unknown;
  serviceName?: unknown;
  message?: unknown;
  data?: unknown;
  /** Codes outside CLIENT_ERROR_CODES (INTERNAL_SERVER_ERROR among them), or "(none)" for an error without one. */
  unexpectedCodes: string[];
  leaks: string[];
  /** The body is a GraphQL response object. */
  json: boolean;
}

export function observe(answer: Answer, request: HostileRequest): Observed {
  const first = answer.json?.errors?.[0];
  const errors = answer.json?.errors;
  const codes = (answer.json?.errors ?? []).map((error) => (typeof error.extensions?.code === "string" ? error.extensions.code : "(none)"));
  return {
    status: answer.status,
    code: errors === undefined || errors.length === 0 ? null : first?.extensions?.code,
    limit: first?.extensions?.limit,
    serviceName: first?.extensions?.serviceName,
    message: first?.message,
    data: answer.json?.data,
    unexpectedCodes: codes.filter((code) => !CLIENT_ERROR_CODES.has(code)),
    leaks: leaksIn(answer, request),
    json: answer.json !== undefined,
  };
}

/** The Observed shape an Expectation stands for: toMatchObject against it reads as expected/got. */
export function expected(expectation: Expectation, matchers: { stringContaining(text: string): unknown }): Partial<Observed> {
  return {
    status: expectation.status,
    code: expectation.code,
    ...(expectation.limit === undefined ? {} : { limit: expectation.limit }),
    ...(expectation.serviceName === undefined ? {} : { serviceName: expectation.serviceName }),
    ...(expectation.messageIncludes === undefined ? {} : { message: matchers.stringContaining(expectation.messageIncludes) }),
    ...("data" in expectation ? { data: expectation.data } : expectation.status >= 400 ? { data: undefined } : {}),
    unexpectedCodes: [],
    leaks: [],
    json: true,
  };
}

/** The request as a failure message shows it: method, target, headers and at most 600 characters of body. */
export function describeRequest(request: HostileRequest): string {
  const body = typeof request.body === "string" ? request.body : request.body ? `<${request.body.length} bytes>` : "";
  const shown = body.length > 600 ? `${body.slice(0, 600)}… (${body.length} chars)` : body;
  const headers = Object.entries(request.headers ?? {})
    .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…` : v}`)
    .join("; ");
  return `${request.method ?? "POST"} ${request.subgraph ? `subgraph ${request.subgraph}` : "router"}${request.search ? ` ${request.search.slice(0, 200)}` : ""} [${headers}] ${shown}`;
}

/** Runs `task` over `items`, at most `concurrency` at a time, in order of completion. */
export async function inPool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const JSON_HEADERS = { "content-type": "application/json" } as const;

/** A JSON POST of one operation to the router (or a subgraph), with an optional bearer token and extra headers. */
export function post(query: string, variables?: unknown, options: { token?: string; operationName?: unknown; headers?: Record<string, string>; extensions?: unknown } = {}): HostileRequest {
  const body: Record<string, unknown> = { query };
  if (variables !== undefined) body.variables = variables;
  if (options.operationName !== undefined) body.operationName = options.operationName;
  if (options.extensions !== undefined) body.extensions = options.extensions;
  return {
    headers: { ...JSON_HEADERS, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    body: JSON.stringify(body),
  };
}

/**
 * A public address per call, for X-Forwarded-For (the router trusts it from
 * loopback): sign-in throttling by IP must not turn one case's answer into
 * another's RATE_LIMITED. TEST-NET-2 and TEST-NET-3, never private ranges.
 */
let addresses = 0;
export function freshClientIp(): string {
  const n = addresses++;
  return `${n % 2 === 0 ? "198.51.100" : "203.0.113"}.${1 + ((n >> 1) % 254)}`;
}

/** What came back on one keep-alive connection that carried two requests. */
export interface ConnectionReuse {
  /** Status lines received, in order. */
  statuses: number[];
  /** The `Connection` header of the first answer. */
  firstConnectionHeader: string | undefined;
  /** The server closed the connection (within the wait). */
  closed: boolean;
  raw: string;
}

/**
 * Writes `first` (raw HTTP/1.1, body included) and then a plain query on the
 * same TCP connection, as a keep-alive client pool would, and reports what
 * came back within `waitMs`: a server that refuses a body must either close
 * the connection or still frame the requests that follow it.
 */
export function reuseConnection(url: string, first: string, waitMs = 5000): Promise<ConnectionReuse> {
  const { hostname, port, pathname } = new URL(url);
  const query = JSON.stringify({ query: "{ categories { id } }" });
  const second = `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(query)}\r\n\r\n${query}`;
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let raw = "";
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, firstConnectionHeader: /\r\nconnection: ([^\r]*)/i.exec(raw)?.[1]?.toLowerCase(), closed, raw: raw.slice(0, 600) });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("latin1");
      if ((raw.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= 2 && raw.endsWith("}")) finish();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.write(first);
    socket.write(second);
  });
}
