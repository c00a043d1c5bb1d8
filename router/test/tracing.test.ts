import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createLogger, createSpanStore, disabledTracing, IdentityHeader, listenOn, silentLogger, startTracing, verifyRouterSignature, type Logger, type RunningSubgraph, type SpanStore, type StoredSpan, type Tracing } from "@store/kit";
import { eventually } from "@store/testing";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";
import { composeMediashop, createMediashop } from "./fixtures/mediashop.ts";
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from "./fixtures/recordingProxy.ts";

/**
 * The router's spans on the HTTP request path: one SERVER span per operation
 * with its parse, validate, plan, fetch and shape children, the trace context
 * each subgraph request carries (signed), de-duplicated fetches, errors, a
 * client's traceparent, sampling, and the bounded `operation_name` metric
 * label. Subgraphs run in process, behind recording proxies that show what
 * the router sent.
 *
 * Spans are read from an in-memory span store, not an InMemorySpanExporter:
 * the router's workspace resolves @opentelemetry/sdk-trace-base 1.x, the kit
 * uses 2.x. The store gets every span the kit's provider keeps (sampled ones
 * only), as an exporter would.
 */

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
const routers: Router[] = [];
const tracings: Tracing[] = [];
const proxies: RecordingProxy[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "router-tracing-"));
});
afterAll(async () => {
  await Promise.all(routers.map((router) => router.stop()));
  await Promise.all(tracings.map((tracing) => tracing.shutdown()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Tracing into a fresh in-memory span store; `env` holds OTEL_* variables (none from the machine). */
function traced(env: Record<string, string> = {}): { tracing: Tracing; store: SpanStore } {
  const store = createSpanStore({ capacity: 5000 });
  const tracing = startTracing({ service: "router", store, env });
  tracings.push(tracing);
  return { tracing, store };
}

async function startRouter(supergraphSdl: string, tracing: Tracing, env: Record<string, string> = {}, logger: Logger = silentLogger): Promise<{ url: string; router: Router }> {
  const path = join(dir, `supergraph-${routers.length}.graphql`);
  writeFileSync(path, supergraphSdl);
  const router = createRouter({
    config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: path, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, SUBGRAPH_TIMEOUT_MS: "5000", ...env }),
    logger,
    tracing,
  });
  routers.push(router);
  return { url: (await router.listen()).url, router };
}

async function proxy(target: string): Promise<RecordingProxy> {
  const started = await startRecordingProxy(target);
  proxies.push(started);
  return started;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

let requests = 0;
/** A request id of its own for each request, to find its operation span by (`store.request_id`). */
const requestId = () => `tracing-test-${process.pid}-${++requests}`;

/** The finished operation span of request `id` (it ends when the HTTP exchange closes, just after the client has its answer). */
function operationSpan(store: SpanStore, id: string): Promise<StoredSpan> {
  return eventually(() => store.spans().find((span) => span.attributes["store.request_id"] === id), { what: `the operation span of ${id}`, timeoutMs: 10_000 });
}

/** The spans whose parent is `parent`, by name. */
function childrenOf(store: SpanStore, parent: StoredSpan): StoredSpan[] {
  return store
    .trace(parent.traceId)
    .filter((span) => span.parentSpanId === parent.spanId)
    .sort((a, b) => a.name.localeCompare(b.name));
}

const traceparentOf = (span: StoredSpan) => `00-${span.traceId}-${span.spanId}-01`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const header = (request: RecordedRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Everything a span says, as text: name, status message, attributes, events and links. */
function spanText(span: StoredSpan): string {
  return JSON.stringify({ name: span.name, status: span.statusMessage, attributes: span.attributes, events: span.events, links: span.links });
}

describe("a traced router (QUERY_EXECUTOR=router)", () => {
  const shop = createMediashop();
  const running: RunningSubgraph[] = [];
  const recorded: Record<string, RecordingProxy> = {};
  let store: SpanStore;
  let tracing: Tracing;
  let url: string;

  beforeAll(async () => {
    for (const [name, subgraph] of Object.entries(shop)) {
      const listening = await subgraph.listen({ port: 0, routerSigningSecret: SIGNING });
      running.push(listening);
      recorded[name] = await proxy(listening.url);
    }
    ({ tracing, store } = traced());
    ({ url } = await startRouter(composeMediashop({ catalog: recorded.catalog!.url, reviews: recorded.reviews!.url, stock: recorded.stock!.url }), tracing, { ROUTER_MAX_ALIASES: "2" }));
  });
  afterAll(async () => {
    await Promise.all(Object.values(shop).map((subgraph) => subgraph.stop()));
  });

  it("makes one SERVER span per operation, with parse, validate, plan, a CLIENT span per subgraph fetch, and shape as its children", async () => {
    const query = 'query BookPage { book(id: "b1") { title shippingCost reviews { stars } } }';
    const id = requestId();
    const { status, body } = await post(url, { query }, { [IdentityHeader.RequestId]: id });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();

    const operation = await operationSpan(store, id);
    expect(operation.name).toBe("query BookPage");
    expect(operation.kind).toBe("server");
    expect(operation.parentSpanId).toBeUndefined();
    expect(operation.status).toBe("unset");
    expect(operation.attributes).toMatchObject({
      "graphql.operation.type": "query",
      "graphql.operation.name": "BookPage",
      "graphql.document.hash": sha256(query),
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "store.request_id": id,
    });

    const children = childrenOf(store, operation);
    expect(children.map((span) => span.name)).toEqual(["fetch catalog", "fetch reviews", "fetch stock", "graphql.parse", "graphql.plan", "graphql.shape", "graphql.validate"]);
    for (const fetch of children.filter((span) => span.name.startsWith("fetch "))) {
      const subgraph = fetch.name.slice("fetch ".length);
      expect(fetch.kind).toBe("client");
      expect(fetch.status).toBe("unset");
      expect(fetch.attributes).toMatchObject({
        "store.subgraph": subgraph,
        "server.address": "127.0.0.1",
        "http.response.status_code": 200,
        "store.fetch.outcome": "ok",
        "store.fetch.attempt": 1,
        "store.fetch.deduplicated": false,
      });
      // The subgraph got this span's context, signed by the router for it.
      const sent = recorded[subgraph]!.requests.filter((request) => header(request, "traceparent") === traceparentOf(fetch));
      expect(sent, subgraph).toHaveLength(1);
      const check = verifyRouterSignature(SIGNING, { method: "POST", subgraph, body: sent[0]!.body, headers: sent[0]!.headers });
      expect(check.ok && check.traceparent).toBe(traceparentOf(fetch));
    }
  });

  it("says whether the plan came from the cache: a miss, then a hit on a repeat", async () => {
    const query = "query PlanCache { books(first: 2) { title } }";
    const plans: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const id = requestId();
      expect((await post(url, { query }, { [IdentityHeader.RequestId]: id })).status).toBe(200);
      const plan = childrenOf(store, await operationSpan(store, id)).find((span) => span.name === "graphql.plan");
      plans.push(plan?.attributes["store.plan.cache_hit"]);
    }
    expect(plans).toEqual([false, true]);
  });

  it("traces requests on Apollo Server's path (GET) the same way", async () => {
    const query = "query ByGet { media { title } }";
    const id = requestId();
    const response = await fetch(`${url}?query=${encodeURIComponent(query)}`, { headers: { "apollo-require-preflight": "1", [IdentityHeader.RequestId]: id } });
    expect(response.status).toBe(200);
    const operation = await operationSpan(store, id);
    expect(operation.name).toBe("query ByGet");
    expect(operation.attributes).toMatchObject({ "graphql.operation.type": "query", "graphql.operation.name": "ByGet", "graphql.document.hash": sha256(query), "http.request.method": "GET", "http.response.status_code": 200 });
    expect(childrenOf(store, operation).map((span) => span.name)).toEqual(["fetch catalog", "graphql.parse", "graphql.plan", "graphql.shape", "graphql.validate"]);
  });

  it("marks an operation whose response has errors failed, with the errors' codes, and the fetch that failed", async () => {
    const id = requestId();
    const { body } = await post(url, { query: 'query Flaky { book(id: "b2") { title flaky } }' }, { [IdentityHeader.RequestId]: id });
    expect(body.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const operation = await operationSpan(store, id);
    expect(operation.status).toBe("error");
    expect(operation.attributes["store.error.codes"]).toEqual(["CONFLICT"]);
    expect(operation.attributes["http.response.status_code"]).toBe(200);
    const stock = childrenOf(store, operation).find((span) => span.name === "fetch stock")!;
    expect(stock.status).toBe("error");
    expect(stock.attributes).toMatchObject({ "store.fetch.outcome": "graphql_error", "store.error.codes": ["CONFLICT"] });
    // The subgraph's message names the book: never in a span.
    expect(spanText(operation) + spanText(stock)).not.toContain("recounted");
  });

  it("records a refusal in the validate span: a limit's code and which limit", async () => {
    const id = requestId();
    const { status } = await post(url, { query: "query TooManyAliases { a: books { title } b: books { title } c: books { title } }" }, { [IdentityHeader.RequestId]: id });
    expect(status).toBe(400);
    const operation = await operationSpan(store, id);
    expect(operation.name).toBe("query TooManyAliases");
    expect(operation.status).toBe("error");
    expect(operation.attributes).toMatchObject({ "store.error.codes": ["OPERATION_LIMIT_EXCEEDED"], "http.response.status_code": 400 });
    const children = childrenOf(store, operation);
    expect(children.map((span) => span.name)).toEqual(["graphql.parse", "graphql.validate"]);
    expect(children[1]!.status).toBe("error");
    expect(children[1]!.attributes).toMatchObject({ "store.error.codes": ["OPERATION_LIMIT_EXCEEDED"], "store.limit.exceeded": ["aliases"] });
  });

  it("never records variable values", async () => {
    const secret = "s3cret-variable-value-4711";
    const id = requestId();
    const { status } = await post(url, { query: "query Search($term: String!) { search(term: $term) { ... on Book { title } } }", variables: { term: secret } }, { [IdentityHeader.RequestId]: id });
    expect(status).toBe(200);
    const operation = await operationSpan(store, id);
    // The variable did travel to the catalog subgraph: the check below is not vacuous.
    expect(recorded.catalog!.requests.some((request) => request.body.toString().includes(secret))).toBe(true);
    expect(childrenOf(store, operation).map((span) => span.name)).toContain("fetch catalog");
    for (const span of store.spans()) expect(spanText(span)).not.toContain(secret);
  });

  it("starts a new trace for a client's traceparent, and links to it", async () => {
    const client = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
    const id = requestId();
    await post(url, { query: "query Linked { books(first: 1) { title } }" }, { [IdentityHeader.RequestId]: id, traceparent: `00-${client.traceId}-${client.spanId}-01` });
    const operation = await operationSpan(store, id);
    expect(operation.parentSpanId).toBeUndefined();
    expect(operation.traceId).not.toBe(client.traceId);
    expect(operation.links).toEqual([client]);
    // What the subgraph gets is the router's fetch span, in the router's trace.
    const fetch = childrenOf(store, operation).find((span) => span.name === "fetch catalog")!;
    expect(recorded.catalog!.requests.filter((request) => header(request, "traceparent") === traceparentOf(fetch))).toHaveLength(1);
    expect(recorded.catalog!.requests.some((request) => header(request, "traceparent")?.includes(client.traceId))).toBe(false);
  });
});

describe("the bookshop behind traced and untraced routers", () => {
  const books = createBooksSubgraph();
  const reviews = createReviewsSubgraph();
  let booksHttp: RunningSubgraph;
  let reviewsHttp: RunningSubgraph;

  beforeAll(async () => {
    booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
    reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
  });
  afterAll(async () => {
    await books.stop();
    await reviews.stop();
  });

  /** A router over the bookshop, each subgraph behind a recording proxy of its own. */
  async function bookshopRouter(tracing: Tracing, env: Record<string, string> = {}) {
    const booksProxy = await proxy(booksHttp.url);
    const reviewsProxy = await proxy(reviewsHttp.url);
    const { url, router } = await startRouter(composeBookshop({ books: booksProxy.url, reviews: reviewsProxy.url }), tracing, env);
    return { url, router, booksProxy, reviewsProxy };
  }

  it("marks fetches served by an identical one in flight as de-duplicated, linked to the fetch that was sent", async () => {
    const { tracing, store } = traced();
    const { url, reviewsProxy } = await bookshopRouter(tracing);
    // slowNote keeps the reviews fetch in flight for 300 ms: the three requests' reviews fetches overlap.
    const ids = [requestId(), requestId(), requestId()];
    await Promise.all(ids.map((id) => post(url, { query: "{ books { title slowNote(ms: 300) } }" }, { [IdentityHeader.RequestId]: id })));
    const fetches = [];
    for (const id of ids) {
      const operation = await operationSpan(store, id);
      expect(operation.name).toBe("query");
      fetches.push(childrenOf(store, operation).find((span) => span.name === "fetch reviews")!);
    }
    const sent = fetches.filter((span) => span.attributes["store.fetch.deduplicated"] === false);
    const shared = fetches.filter((span) => span.attributes["store.fetch.deduplicated"] === true);
    expect(sent).toHaveLength(1);
    expect(shared).toHaveLength(2);
    for (const span of shared) {
      expect(span.links).toEqual([{ traceId: sent[0]!.traceId, spanId: sent[0]!.spanId }]);
      expect(span.attributes["store.fetch.outcome"]).toBe("ok");
    }
    // One request went out, with the context of the fetch that sent it.
    expect(reviewsProxy.requests.map((request) => header(request, "traceparent"))).toEqual([traceparentOf(sent[0]!)]);
  });

  it("makes the client's traceparent the parent with ROUTER_TRUST_TRACEPARENT, and follows its sampling decision", async () => {
    const { tracing, store } = traced();
    const { url, booksProxy } = await bookshopRouter(tracing, { ROUTER_TRUST_TRACEPARENT: "true" });
    const client = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };
    const id = requestId();
    await post(url, { query: "{ books { title } }" }, { [IdentityHeader.RequestId]: id, traceparent: `00-${client.traceId}-${client.spanId}-01` });
    const operation = await operationSpan(store, id);
    expect(operation.traceId).toBe(client.traceId);
    expect(operation.parentSpanId).toBe(client.spanId);
    expect(operation.links).toEqual([]);
    const fetch = childrenOf(store, operation).find((span) => span.name === "fetch books")!;
    expect(booksProxy.requests.map((request) => header(request, "traceparent"))).toEqual([traceparentOf(fetch)]);

    // A client's "not sampled": no spans here, and the subgraph is told so.
    const unsampled = { traceId: "5bf92f3577b34da6a3ce929d0e0e4737", spanId: "10f067aa0ba902b8" };
    const before = store.size;
    await post(url, { query: "{ books { id } }" }, { traceparent: `00-${unsampled.traceId}-${unsampled.spanId}-00` });
    const forwarded = await eventually(() => booksProxy.requests[1], { what: "the second books fetch" });
    // The client's trace, the router's (unrecorded) operation span, not sampled.
    expect(header(forwarded, "traceparent")).toMatch(new RegExp(`^00-${unsampled.traceId}-[0-9a-f]{16}-00$`));
    expect(header(forwarded, "traceparent")).not.toContain(unsampled.spanId);
    await tracing.flush();
    expect(store.size).toBe(before);
  });

  it("with tracing off makes no spans and sends no traceparent, even when the client sent one", async () => {
    const { url, booksProxy, reviewsProxy } = await bookshopRouter(disabledTracing("router"));
    const { body } = await post(url, { query: "{ books { title reviews { stars } } }" }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(body.errors).toBeUndefined();
    const sent = [...booksProxy.requests, ...reviewsProxy.requests];
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.headers.traceparent).toBeUndefined();
      expect(request.headers.tracestate).toBeUndefined();
    }
  });

  it("with the always_off sampler exports nothing, and tells subgraphs the trace is not sampled", async () => {
    const { tracing, store } = traced({ OTEL_TRACES_SAMPLER: "always_off" });
    const { url, booksProxy, reviewsProxy } = await bookshopRouter(tracing);
    const { body } = await post(url, { query: "{ books { title reviews { stars } } }" });
    expect(body.errors).toBeUndefined();
    await tracing.flush();
    expect(store.spans()).toEqual([]);
    const sent = [...booksProxy.requests, ...reviewsProxy.requests];
    expect(sent).toHaveLength(2);
    // One operation, one trace id, the sampled flag off; signed like any other.
    const traceparents = sent.map((request) => header(request, "traceparent"));
    expect(traceparents.every((value) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/.test(value ?? ""))).toBe(true);
    expect(new Set(traceparents.map((value) => value!.split("-")[1])).size).toBe(1);
    const check = verifyRouterSignature(SIGNING, { method: "POST", subgraph: "books", body: booksProxy.requests[0]!.body, headers: booksProxy.requests[0]!.headers });
    expect(check.ok && check.traceparent).toBe(traceparents[0]);
  });

  it("with QUERY_EXECUTOR=gateway makes the operation span and a signed fetch span per subgraph request", async () => {
    const { tracing, store } = traced();
    const { url, booksProxy, reviewsProxy } = await bookshopRouter(tracing, { QUERY_EXECUTOR: "gateway" });
    const id = requestId();
    const { body } = await post(url, { query: "query Shelf { books { title reviews { stars } } }" }, { [IdentityHeader.RequestId]: id, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    expect(body.errors).toBeUndefined();
    const operation = await operationSpan(store, id);
    expect(operation.name).toBe("query Shelf");
    expect(operation.attributes).toMatchObject({ "graphql.operation.type": "query", "graphql.operation.name": "Shelf", "http.response.status_code": 200 });
    const fetches = childrenOf(store, operation).filter((span) => span.kind === "client");
    expect(fetches.map((span) => span.name)).toEqual(["fetch books", "fetch reviews"]);
    for (const [fetch, recorded, subgraph] of [
      [fetches[0]!, booksProxy, "books"],
      [fetches[1]!, reviewsProxy, "reviews"],
    ] as const) {
      expect(fetch.attributes).toMatchObject({ "store.subgraph": subgraph, "http.response.status_code": 200, "store.fetch.outcome": "ok" });
      expect(recorded.requests).toHaveLength(1);
      const check = verifyRouterSignature(SIGNING, { method: "POST", subgraph, body: recorded.requests[0]!.body, headers: recorded.requests[0]!.headers });
      expect(check.ok && check.traceparent).toBe(traceparentOf(fetch));
    }
  });

  it("writes a request's log lines with its operation span's trace and span ids", async () => {
    const { tracing, store } = traced();
    // A subgraph address nothing listens on: the router logs the failed fetch.
    const closed = createServer();
    const port = await listenOn(closed, 0, "127.0.0.1");
    await closeServer(closed);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ name: "router", level: "warn", destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const { url } = await startRouter(composeBookshop({ books: booksHttp.url, reviews: `http://127.0.0.1:${port}/graphql` }), tracing, {}, logger);
    const id = requestId();
    const { body } = await post(url, { query: "{ books { title reviews { stars } } }" }, { [IdentityHeader.RequestId]: id });
    expect(body.errors?.[0]?.extensions?.code).toBe("SUBGRAPH_UNAVAILABLE");
    const operation = await operationSpan(store, id);
    const failed = lines.find((line) => line.msg === "subgraph fetch failed");
    expect(failed).toMatchObject({ subgraph: "reviews", trace_id: operation.traceId, span_id: operation.spanId });
    const fetch = childrenOf(store, operation).find((span) => span.name === "fetch reviews")!;
    expect(fetch.status).toBe("error");
    expect(fetch.attributes).toMatchObject({ "store.fetch.outcome": "unavailable", "store.error.codes": ["SUBGRAPH_UNAVAILABLE"] });
  });

  it("labels request metrics by operation name, at most ROUTER_METRICS_MAX_OPERATIONS names, the rest ~other", async () => {
    const { url, router } = await bookshopRouter(disabledTracing("router"), { ROUTER_METRICS_MAX_OPERATIONS: "2" });
    for (const name of ["First", "Second", "Third", "First"]) expect((await post(url, { query: `query ${name} { books { id } }` })).status).toBe(200);
    await post(url, { query: "{ books { id } }" });
    // Apollo Server's path counts the same way.
    await fetch(`${url}?query=${encodeURIComponent("query Fourth { books { id } }")}`, { headers: { "apollo-require-preflight": "1" } });
    // A name that picks no operation is not admitted.
    expect((await post(url, { query: "query Fifth { books { id } }", operationName: "Nope" })).status).toBe(400);
    const counts = Object.fromEntries(
      (await router.metrics.requests.get()).values.map((value) => [`${value.labels.operation_type} ${value.labels.operation_name} ${value.labels.status}`, value.value]),
    );
    expect(counts).toEqual({ "query First ok": 2, "query Second ok": 1, "query ~other ok": 2, "query ~anonymous ok": 1, "unknown ~other error": 1 });
    const durations = new Set((await router.metrics.requestDuration.get()).values.map((value) => value.labels.operation_name));
    expect([...durations].sort()).toEqual(["First", "Second", "~anonymous", "~other"]);
  });
});
