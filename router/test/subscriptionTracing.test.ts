import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trace, type Tracer } from "@opentelemetry/api";
import { createClient, type Client } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { FormattedExecutionResult, GraphQLSchema } from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import {
  acceptRouterRequest,
  createMemoryReplayGuard,
  createSpanStore,
  disabledTracing,
  silentLogger,
  startTracing,
  verifyRouterSignature,
  WEBSOCKET_METHOD,
  type SpanStore,
  type StoredSpan,
  type Tracing,
} from "@store/kit";
import { eventually } from "@store/testing";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
// graphql-ws's own graphql (see src/graphql.ts): it recognizes only its GraphQLError.
import { GraphQLError, parse } from "../src/graphql.ts";
import { startBookclub, type Bookclub } from "./fixtures/bookclub.ts";
import { startRecordingProxy, type RecordingProxy } from "./fixtures/recordingProxy.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";
/** Generous: two cores shared with other test runs. */
const WAIT_MS = 20_000;

const REVIEWS = /* GraphQL */ `
  subscription Reviews($bookId: ID!) {
    reviewAdded(bookId: $bookId) { id book { title } reviewer { name } }
  }
`;

type Payload = FormattedExecutionResult<Record<string, any>, unknown>;

/**
 * The owning subgraph ("reviews") as a graphql-ws server the test drives:
 * it checks the router's signature on connectionParams as the kit does,
 * records what each connection and Subscribe message carried, and sends
 * whatever payloads the test publishes, extensions included.
 */
interface Upstream {
  url: string;
  /** Each accepted connection: its signed traceparent, as the subgraph verified it. */
  readonly connections: { traceparent: string | undefined }[];
  /** Each Subscribe message's extensions. */
  readonly subscribes: { extensions: Record<string, unknown> | undefined; variables: Record<string, unknown> | undefined }[];
  /** Subscriptions live right now. */
  live(): number;
  sockets(): number;
  publish(payload: Payload): void;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  const guard = createMemoryReplayGuard();
  const connections: Upstream["connections"] = [];
  const subscribes: Upstream["subscribes"] = [];
  const listeners = new Set<(payload: Payload) => void>();
  // graphql-ws wants a schema in the execution args; `subscribe` below never runs against it.
  const schema = (createRequire(import.meta.url)("graphql") as typeof import("graphql")).buildSchema("type Query { ok: Boolean }") as GraphQLSchema;

  useServer<Record<string, unknown>>(
    {
      async onConnect(ctx) {
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(ctx.connectionParams ?? {})) if (typeof value === "string") headers[key.toLowerCase()] = value;
        const accepted = await acceptRouterRequest(SIGNING, guard, { method: WEBSOCKET_METHOD, subgraph: "reviews", body: "", headers });
        if (!accepted.ok) return false;
        connections.push({ traceparent: accepted.traceparent });
        return true;
      },
      onSubscribe(_ctx, _id, payload) {
        subscribes.push({ extensions: payload.extensions ?? undefined, variables: payload.variables ?? undefined });
        if (payload.variables?.bookId === "sealed") return [new GraphQLError("The reviews of this book are sealed", { extensions: { code: "FORBIDDEN" } })];
        return { schema, document: parse(payload.query), operationName: payload.operationName, variableValues: payload.variables };
      },
      subscribe() {
        const queue: Payload[] = [];
        let wake: (() => void) | undefined;
        let done = false;
        const listener = (payload: Payload) => {
          queue.push(payload);
          wake?.();
        };
        listeners.add(listener);
        const stop = () => {
          done = true;
          listeners.delete(listener);
          wake?.();
        };
        // An async generator's shape: graphql-ws calls return() on it when the router completes.
        const iterator = {
          async next(): Promise<IteratorResult<Payload, undefined>> {
            while (!done && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
            return queue.length > 0 ? { done: false, value: queue.shift()! } : { done: true, value: undefined };
          },
          async return(): Promise<IteratorResult<Payload, undefined>> {
            stop();
            return { done: true, value: undefined };
          },
          async throw(error: unknown): Promise<never> {
            stop();
            throw error;
          },
          [Symbol.asyncIterator]: () => iterator,
        };
        return iterator as never;
      },
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    connections,
    subscribes,
    live: () => listeners.size,
    sockets: () => wss.clients.size,
    publish: (payload) => listeners.forEach((listener) => listener(payload)),
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dir: string;
let club: Bookclub;
let upstream: Upstream;
let books: RecordingProxy;
const routers: Router[] = [];
const clients: Client[] = [];

interface TracedRouter {
  router: Router;
  wsUrl: string;
  store: SpanStore;
}

/** A router in front of the bookclub's books and people, with reviews' subscriptions served by `upstream` and books behind a recording proxy. */
async function startRouter(tracing: Tracing, store: SpanStore): Promise<TracedRouter> {
  const path = join(dir, `supergraph-${routers.length}.graphql`);
  writeFileSync(path, club.supergraphSdl());
  const router = createRouter({
    config: loadRouterConfig({
      PORT: "0",
      SUPERGRAPH_PATH: path,
      ROUTER_SIGNING_SECRET: SIGNING,
      JWT_SECRET: JWT,
      SUBGRAPH_TIMEOUT_MS: "2000",
      SUBGRAPH_REVIEWS_URL: upstream.url,
      SUBGRAPH_BOOKS_URL: books.url,
    }),
    logger: silentLogger,
    tracing,
  });
  routers.push(router);
  const { url } = await router.listen();
  return { router, wsUrl: url.replace(/^http/, "ws"), store };
}

function tracedWith(env: NodeJS.ProcessEnv = {}): { tracing: Tracing; store: SpanStore } {
  const store = createSpanStore({ capacity: 2000 });
  return { tracing: startTracing({ service: "router", store, env }), store };
}

function connect(target: TracedRouter): Client {
  const client = createClient({ url: target.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(client);
  return client;
}

async function nextOf(iterator: AsyncIterator<Payload>): Promise<Payload> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([iterator.next(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no payload within ${WAIT_MS} ms`)), WAIT_MS)))]);
    if (result.done) throw new Error("the subscription completed");
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** What ends the iterator: its errors, or "complete". */
async function endOf(iterator: AsyncIterator<Payload>): Promise<unknown> {
  try {
    for (;;) if ((await iterator.next()).done) return "complete";
  } catch (error) {
    return error;
  }
}

/** An event as reviews sends it for REVIEWS: keys only, the rest comes from books and people. */
function reviewEvent(id: string, extensions?: Record<string, unknown>): Payload {
  return {
    data: { reviewAdded: { __typename: "Review", id, book: { __typename: "Book", id: "b1" }, reviewer: { __typename: "Person", id: "p3" } } },
    ...(extensions ? { extensions } : {}),
  };
}

const expectedPayload = (id: string) => ({ data: { reviewAdded: { id, book: { title: "The Dispossessed" }, reviewer: { name: "Ada Reader" } } } });

/** A trace context of "the mutation that caused the event", as the subgraph would put it in a payload. */
function remoteContext() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const traceparentOf = (span: StoredSpan) => `00-${span.traceId}-${span.spanId}-01`;
/** Spans named `name`, among those that ended after the store held `mark` spans. */
const named = (store: SpanStore, name: string, mark = 0) => store.spans().slice(mark).filter((span) => span.name === name);
const childrenOf = (store: SpanStore, parent: StoredSpan) => store.spans().filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);

/** The spans named `name` once `count` of them have ended after `mark`. */
async function spansNamed(store: SpanStore, name: string, count: number, mark: number): Promise<StoredSpan[]> {
  return eventually(() => (named(store, name, mark).length === count ? named(store, name, mark) : undefined), { what: `${count} span(s) "${name}"`, timeoutMs: WAIT_MS });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "router-subscription-tracing-"));
  club = await startBookclub(SIGNING);
  upstream = await startUpstream();
  books = await startRecordingProxy(club.urls.books);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  // Refuses leftovers: whatever a test opened upstream is closed by now.
  await eventually(() => upstream.live() === 0 && upstream.sockets() === 0, { what: "the test's upstream subscriptions and sockets are closed", timeoutMs: WAIT_MS });
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  for (const router of routers) await router.stop();
  await books?.close();
  await upstream?.close();
  await club?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("subscription tracing at the router", () => {
  let traced: TracedRouter;
  beforeAll(async () => {
    const { tracing, store } = tracedWith();
    traced = await startRouter(tracing, store);
  });

  it("makes a SERVER span per client subscription, from Subscribe to its end, with its preparation, planning and events, and carries it upstream signed", async () => {
    const mark = traced.store.size;
    const events = connect(traced).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b1" } });
    await eventually(() => upstream.live() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    upstream.publish(reviewEvent("r-plain"));
    expect(await nextOf(events)).toEqual(expectedPayload("r-plain"));
    await events.return?.();

    const [subscription] = await spansNamed(traced.store, "subscription Reviews", 1, mark);
    expect(subscription).toMatchObject({
      kind: "server",
      parentSpanId: undefined,
      status: "unset",
      attributes: {
        "graphql.operation.type": "subscription",
        "graphql.operation.name": "Reviews",
        "graphql.document.hash": createHash("sha256").update(REVIEWS).digest("hex"),
        "store.subgraph": "reviews",
        "store.subscription.events": 1,
        "store.subscription.end": "client",
      },
    });
    // Never the document or the variables.
    expect(JSON.stringify(subscription)).not.toMatch(/reviewAdded|bookId/);

    const children = childrenOf(traced.store, subscription!);
    const prepare = children.find((span) => span.name === "graphql.prepare");
    const plan = children.find((span) => span.name === "graphql.plan");
    const event = children.find((span) => span.name === "subscription event Reviews");
    expect(prepare?.startMs).toBeCloseTo(subscription!.startMs, 0);
    expect(plan?.attributes["store.plan.cache_hit"]).toBe(false);
    // An event without a trace context of its own is a child of the subscription.
    expect(event).toMatchObject({ kind: "consumer", links: [], attributes: { "graphql.operation.type": "subscription", "graphql.operation.name": "Reviews", "store.subgraph": "reviews" } });

    // Upstream: the subscription's context, signed into connectionParams and in the Subscribe message.
    expect(upstream.connections.at(-1)?.traceparent).toBe(traceparentOf(subscription!));
    expect(upstream.subscribes.at(-1)?.extensions).toEqual({ traceparent: traceparentOf(subscription!) });
  });

  it("delivers an event in a span of the event's own trace, linked to the subscription; its entity fetches are children carrying it signed; the client never sees it", async () => {
    const mark = traced.store.size;
    const events = connect(traced).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b1" } });
    await eventually(() => upstream.live() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const cause = remoteContext();
    const sentToBooks = books.requests.length;
    upstream.publish(reviewEvent("r-traced", { traceparent: cause.traceparent, tracestate: "vendor=opaque", note: "subgraph-only" }));
    const payload = await nextOf(events);
    expect(payload).toEqual(expectedPayload("r-traced"));
    expect(JSON.stringify(payload)).not.toContain(cause.traceId);
    await events.return?.();

    const [subscription] = await spansNamed(traced.store, "subscription Reviews", 1, mark);
    const [event] = named(traced.store, "subscription event Reviews", mark);
    expect(event).toMatchObject({ kind: "consumer", traceId: cause.traceId, parentSpanId: cause.spanId, status: "unset", links: [{ traceId: subscription!.traceId, spanId: subscription!.spanId }] });
    expect(subscription!.attributes["store.subscription.events"]).toBe(1);

    // The plan's entity fetches (books, people) are the event span's children, in the event's trace.
    const fetches = childrenOf(traced.store, event!).filter((span) => span.kind === "client");
    expect(fetches.map((span) => span.attributes["store.subgraph"]).sort()).toEqual(["books", "people"]);
    const booksFetch = fetches.find((span) => span.attributes["store.subgraph"] === "books")!;
    // And the request to books carried that fetch's context, signed by the router.
    const request = books.requests.slice(sentToBooks).at(-1)!;
    const verified = verifyRouterSignature(SIGNING, { method: "POST", subgraph: "books", body: request.body, headers: request.headers as Record<string, string> });
    expect(verified).toMatchObject({ ok: true, traceparent: traceparentOf(booksFetch) });
  });

  it("carries the opener's context on a shared upstream subscription and links the other client to it; each client's delivery has its own span", async () => {
    const mark = traced.store.size;
    const first = connect(traced).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b2" } });
    await eventually(() => upstream.live() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const second = connect(traced).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b2" } });
    await eventually(() => traced.router.subscriptionStats().subscriptions === 2, { what: "both client subscriptions are running", timeoutMs: WAIT_MS });
    expect(upstream.live()).toBe(1);
    const subscribed = upstream.subscribes.length;

    const cause = remoteContext();
    upstream.publish(reviewEvent("r-shared", { traceparent: cause.traceparent }));
    expect(await nextOf(first)).toEqual(expectedPayload("r-shared"));
    expect(await nextOf(second)).toEqual(expectedPayload("r-shared"));
    await first.return?.();
    await second.return?.();

    const [opener, joiner] = (await spansNamed(traced.store, "subscription Reviews", 2, mark)).sort((a, b) => a.startMs - b.startMs);
    expect(upstream.subscribes[subscribed - 1]?.extensions).toEqual({ traceparent: traceparentOf(opener!) });
    expect(opener!.links).toEqual([]);
    expect(joiner!.links).toEqual([{ traceId: opener!.traceId, spanId: opener!.spanId }]);
    expect(joiner!.attributes["store.subscription.shared_upstream"]).toBe(true);

    // One delivery span per client, both in the event's trace; the plan ran once, in one of them.
    const deliveries = named(traced.store, "subscription event Reviews", mark);
    expect(deliveries.map((span) => [span.traceId, span.parentSpanId])).toEqual([
      [cause.traceId, cause.spanId],
      [cause.traceId, cause.spanId],
    ]);
    const ran = deliveries.find((span) => !span.attributes["store.subscription.shared_result"])!;
    const reused = deliveries.find((span) => span.attributes["store.subscription.shared_result"] === true)!;
    expect(ran && reused).toBeTruthy();
    expect(childrenOf(traced.store, ran).filter((span) => span.kind === "client")).toHaveLength(2);
    expect(childrenOf(traced.store, reused)).toEqual([]);
    expect(reused.links).toEqual(expect.arrayContaining([{ traceId: ran.traceId, spanId: ran.spanId }]));
    const own = (span: StoredSpan) => span.links.find((link) => link.spanId === opener!.spanId || link.spanId === joiner!.spanId)?.spanId;
    expect([own(ran), own(reused)].sort()).toEqual([opener!.spanId, joiner!.spanId].sort());
  });

  it("fails the subscription span when the subgraph refuses it", async () => {
    const mark = traced.store.size;
    const ended = await endOf(connect(traced).iterate({ query: REVIEWS, variables: { bookId: "sealed" } }));
    expect(ended).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "FORBIDDEN" }) })]);
    const [refused] = await spansNamed(traced.store, "subscription Reviews", 1, mark);
    expect(refused).toMatchObject({ status: "error", attributes: { "store.subscription.end": "upstream", "store.subscription.events": 0, "store.error.codes": ["FORBIDDEN"] } });
  });

  it("records a refused Subscribe message as a failed span, and a query over the socket as an operation span with its fetches", async () => {
    const mark = traced.store.size;
    const client = connect(traced);
    expect(await endOf(client.iterate({ query: `subscription Broken { reviewAdded(bookId: "b1") { nope } }` }))).toEqual([
      expect.objectContaining({ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }),
    ]);
    const [broken] = await spansNamed(traced.store, "subscription Broken", 1, mark);
    expect(broken).toMatchObject({ kind: "server", status: "error", attributes: { "graphql.operation.type": "subscription", "store.error.codes": ["GRAPHQL_VALIDATION_FAILED"] } });

    const result = await nextOf(client.iterate<Record<string, any>>({ query: `query BookTitle { book(id: "b2") { title } }` }));
    expect(result).toEqual({ data: { book: { title: "Parable of the Sower" } } });
    const [query] = await spansNamed(traced.store, "query BookTitle", 1, mark);
    expect(query).toMatchObject({ kind: "server", attributes: { "graphql.operation.type": "query", "graphql.operation.name": "BookTitle" } });
    await eventually(() => childrenOf(traced.store, query!).some((span) => span.kind === "client" && span.attributes["store.subgraph"] === "books"), { what: "the query's fetch span", timeoutMs: WAIT_MS });
  });
});

describe("a subscription the sampler drops", () => {
  it("records no subscription span, but still delivers a sampled event in the event's trace", async () => {
    const { tracing, store } = tracedWith({ OTEL_TRACES_SAMPLER: "parentbased_always_off" });
    const target = await startRouter(tracing, store);
    const events = connect(target).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b1" } });
    await eventually(() => upstream.live() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    // Upstream learns the decision: the traceparent says "not sampled".
    expect(upstream.connections.at(-1)?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);

    upstream.publish(reviewEvent("r-unsampled"));
    expect(await nextOf(events)).toEqual(expectedPayload("r-unsampled"));
    const cause = remoteContext();
    upstream.publish(reviewEvent("r-sampled-cause", { traceparent: cause.traceparent }));
    expect(await nextOf(events)).toEqual(expectedPayload("r-sampled-cause"));
    await events.return?.();

    const [event] = await spansNamed(store, "subscription event Reviews", 1, 0);
    // Its parent is the cause; no link, since the subscription span was not recorded.
    expect(event).toMatchObject({ traceId: cause.traceId, parentSpanId: cause.spanId, links: [] });
    expect(childrenOf(store, event!).filter((span) => span.kind === "client")).toHaveLength(2);
    expect(store.spans().filter((span) => span.traceId !== cause.traceId)).toEqual([]);
  });
});

describe("with tracing off", () => {
  it("makes no span, sends no trace context, and delivers the same payloads", async () => {
    let tracerCalls = 0;
    const noop = trace.getTracer("noop");
    // Tracing that is off, with a tracer that counts: nothing may even ask it for a span.
    const counting: Tracer = {
      startSpan: (...args: Parameters<Tracer["startSpan"]>) => (tracerCalls++, noop.startSpan(...args)),
      startActiveSpan: ((...args: unknown[]) => (tracerCalls++, (noop.startActiveSpan as (...a: unknown[]) => unknown)(...args))) as Tracer["startActiveSpan"],
    };
    const store = createSpanStore({ capacity: 10 });
    const target = await startRouter({ ...disabledTracing("router"), tracer: counting }, store);
    const connected = upstream.connections.length;
    const subscribed = upstream.subscribes.length;
    const sentToBooks = books.requests.length;

    const events = connect(target).iterate<Record<string, any>>({ query: REVIEWS, variables: { bookId: "b1" } });
    await eventually(() => upstream.live() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const cause = remoteContext();
    upstream.publish(reviewEvent("r-off", { traceparent: cause.traceparent, tracestate: "vendor=opaque" }));
    const payload = await nextOf(events);
    expect(payload).toEqual(expectedPayload("r-off"));
    await events.return?.();

    expect(upstream.connections.slice(connected)).toEqual([{ traceparent: undefined }]);
    expect(upstream.subscribes.slice(subscribed).map((subscribe) => subscribe.extensions)).toEqual([undefined]);
    const requests = books.requests.slice(sentToBooks);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.map((request) => request.headers.traceparent)).toEqual(requests.map(() => undefined));
    expect(tracerCalls).toBe(0);
    expect(store.size).toBe(0);
  });
});
