import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "@store/testing";
import { acceptRouterRequest, createMemoryReplayGuard, createSpanStore, freePort, sendError, sendJson, silentLogger, type RunningSubgraph, type SpanStore, type StoredSpan } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { ANONYMOUS_OPERATION, createMetrics, OTHER_OPERATIONS } from "../src/metrics.ts";
import { createRedTracker, quantile } from "../src/status/createRedTracker.ts";
import { createStatusPage, NO_TRACES_MESSAGE, type StatusPage } from "../src/status/createStatusPage.ts";
import type { SagaAnswer, StatusData } from "../src/status/StatusData.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";
const METRICS_TOKEN = "status-page-token-0123456789";

/** What a healthy subgraph's GET /status answers (packages/kit createSubgraph). */
const report = (service: string, overrides: Record<string, unknown> = {}) => ({
  service,
  status: "up",
  checkedAt: new Date().toISOString(),
  uptimeSeconds: 42.4,
  dependencies: [
    { name: "database", status: "up", latencyMs: 1.5, kind: "postgresql" },
    { name: "events", status: "up", latencyMs: 0.4, kind: "in-process" },
  ],
  events: { outboxPending: 3, consumers: [{ name: `${service}-saga`, lag: 2 }], deadLetters: 1 },
  ...overrides,
});

interface StatusStub {
  name: string;
  url: string;
  /** Status requests that carried a valid, fresh router signature for this subgraph. */
  readonly accepted: number;
  readonly refused: string[];
  answer: unknown;
  close(): Promise<void>;
}

/**
 * A subgraph's HTTP face as the router sees it: GET /status answered only
 * with the router's signature for this subgraph name (checked as the kit
 * checks it, replays refused), anything else passed to `target` (a real
 * in-process subgraph) untouched. `secret` other than the router's makes a
 * subgraph that refuses the router (401), `hang` one that never answers.
 */
async function startStatusStub(name: string, { target, secret = SIGNING, hang = false, answer = report(name) }: { target?: string; secret?: string; hang?: boolean; answer?: unknown } = {}): Promise<StatusStub> {
  const guard = createMemoryReplayGuard();
  let accepted = 0;
  const refused: string[] = [];
  const hanging: ServerResponse[] = [];
  const stub = {
    name,
    url: "",
    answer,
    get accepted() {
      return accepted;
    },
    refused,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await guard.close();
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/status") {
      if (hang) return void hanging.push(res);
      void acceptRouterRequest(secret, guard, { method: req.method ?? "GET", subgraph: name, body: "", headers: req.headers }).then((verdict) => {
        if (!verdict.ok) {
          refused.push(verdict.reason);
          return sendError(res, 401, "INVALID_ROUTER_SIGNATURE", `Subgraphs accept only requests signed by the router (${verdict.reason})`);
        }
        accepted++;
        sendJson(res, 200, stub.answer);
      });
      return;
    }
    if (!target) return sendError(res, 404, "NOT_FOUND", `No route for ${path}`);
    const to = new URL(target);
    const upstream = httpRequest({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return stub;
}

/** A clock the test moves: the page's answer cache and the RED window follow it. */
function fakeClock(start = Date.now()) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}

const byName = (data: StatusData, name: string) => data.subgraphs.find((s) => s.name === name)!;

describe("subgraph health on the status page", () => {
  const stubs: StatusStub[] = [];
  let page: StatusPage;
  const clock = fakeClock();

  beforeAll(async () => {
    stubs.push(await startStatusStub("catalog"));
    // Degraded: the bus does not answer, so neither the outbox count nor the consumer's lag could be read.
    const degraded = {
      status: "degraded",
      dependencies: [{ name: "database", status: "up", latencyMs: 2 }, { name: "events", status: "down", latencyMs: 1000, error: "no answer within 1000 ms", kind: "nats" }],
      events: { outboxPending: null, consumers: [{ name: "payments-saga", lag: null }], deadLetters: 0 },
    };
    stubs.push(await startStatusStub("payments", { answer: report("payments", degraded) }));
    stubs.push(await startStatusStub("ledger", { secret: "another-secret-than-the-routers-0123456789" }));
    stubs.push(await startStatusStub("slowpoke", { hang: true }));
    const urls = new Map(stubs.map((stub) => [stub.name, stub.url]));
    page = createStatusPage({ subgraphUrls: () => urls, signingSecret: SIGNING, registry: createMetrics().registry, logger: silentLogger, subgraphTimeoutMs: 300, now: clock.now });
  });
  afterAll(async () => {
    await page?.close();
    await Promise.all(stubs.map((stub) => stub.close()));
  });

  it("asks each subgraph with the router's signature and shows its report, dependencies and the router's latency", async () => {
    const data = await page.data();
    expect(data.subgraphs.map((s) => s.name)).toEqual(["catalog", "payments", "ledger", "slowpoke"]);
    const catalog = byName(data, "catalog");
    expect(catalog).toMatchObject({ status: "up", uptimeSeconds: 42, dependencies: [{ name: "database", status: "up", latencyMs: 1.5, kind: "postgresql" }, { name: "events", status: "up", latencyMs: 0.4, kind: "in-process" }] });
    expect(catalog.error).toBeUndefined();
    expect(catalog.latencyMs).toBeGreaterThan(0);
    expect(stubs[0]!.accepted).toBe(1);
    expect(byName(data, "payments")).toMatchObject({ status: "degraded", dependencies: [{ name: "database" }, { name: "events", status: "down", error: "no answer within 1000 ms", kind: "nats" }] });
    // Events per service, from the same reports.
    expect(data.events).toEqual([
      { service: "catalog", outboxPending: 3, deadLetters: 1, consumers: [{ name: "catalog-saga", lag: 2 }] },
      { service: "payments", outboxPending: null, deadLetters: 0, consumers: [{ name: "payments-saga", lag: null }] },
    ]);
    expect(data.traces).toEqual({ kept: false, message: NO_TRACES_MESSAGE });
  });

  it("shows a subgraph that refuses the router (401) as down, with the reason", async () => {
    clock.advance(1_001);
    const ledger = byName(await page.data(), "ledger");
    expect(ledger.status).toBe("down");
    expect(ledger.error).toMatch(/^HTTP 401 INVALID_ROUTER_SIGNATURE: Subgraphs accept only requests signed by the router \(router signature does not match\)/);
    expect(ledger.latencyMs).toBeGreaterThan(0);
    expect(ledger.dependencies).toEqual([]);
  });

  it("shows a subgraph that does not answer in time as down, without holding up the others", async () => {
    clock.advance(1_001);
    const started = performance.now();
    const data = await page.data();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(byName(data, "slowpoke")).toMatchObject({ status: "down", error: "no answer within 300 ms", latencyMs: null });
    expect(byName(data, "catalog").status).toBe("up");
  });

  it("asks once per second however many pages poll", async () => {
    clock.advance(1_001);
    const before = stubs[0]!.accepted;
    await Promise.all([page.data(), page.data(), page.data()]);
    await page.data();
    expect(stubs[0]!.accepted).toBe(before + 1);
    clock.advance(1_001);
    await page.data();
    expect(stubs[0]!.accepted).toBe(before + 2);
  });

  it("shows a stopped subgraph as down at the next poll", async () => {
    expect(byName(await page.data(), "catalog").status).toBe("up");
    await stubs[0]!.close();
    stubs.shift();
    clock.advance(1_001);
    const catalog = byName(await page.data(), "catalog");
    expect(catalog.status).toBe("down");
    expect(catalog.error).toMatch(/ECONNREFUSED/);
  });
});

describe("RED figures per operation", () => {
  const durations = [0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.004, 0.02, 0.3];

  it("gives rate, error rate, mean and p95 per operation type and name over the window", async () => {
    const registry = new Registry();
    const requests = new Counter({ name: "router_graphql_requests_total", help: "-", labelNames: ["operation_type", "operation_name", "status"], registers: [registry] });
    const duration = new Histogram({ name: "router_graphql_request_duration_seconds", help: "-", labelNames: ["operation_type", "operation_name"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
    // Before the tracker starts: not in its figures.
    requests.inc({ operation_type: "query", operation_name: "Products", status: "ok" }, 100);
    const clock = fakeClock();
    const tracker = createRedTracker({ registry, now: clock.now });
    expect(await tracker.figures()).toEqual({ windowSeconds: null, rows: [] });

    clock.advance(10_000);
    durations.forEach((seconds, i) => {
      requests.inc({ operation_type: "query", operation_name: "Products", status: i < 8 ? "ok" : "error" });
      duration.observe({ operation_type: "query", operation_name: "Products" }, seconds);
    });
    requests.inc({ operation_type: "mutation", operation_name: "PlaceOrder", status: "ok" });
    duration.observe({ operation_type: "mutation", operation_name: "PlaceOrder" }, 0.2);
    const first = await tracker.figures();
    expect(first.windowSeconds).toBe(10);
    expect(first.rows).toEqual([
      // mean 64 ms; the 9.5th of 10 observations lies in (0.25, 0.5]: 0.25 + 0.25 * (9.5 - 9) / 1.
      { operationType: "query", operationName: "Products", requests: 10, ratePerSecond: 1, errorRate: 0.2, meanMs: 35.2, p95Ms: 375 },
      // One observation in (0.1, 0.25]: 0.1 + 0.15 * 0.95.
      { operationType: "mutation", operationName: "PlaceOrder", requests: 1, ratePerSecond: 0.1, errorRate: 0, meanMs: 200, p95Ms: 242.5 },
    ]);

    // A minute and more later, with nothing new since: the window moved past these requests.
    for (let i = 0; i < 7; i++) {
      clock.advance(10_000);
      await tracker.figures();
    }
    const later = await tracker.figures();
    expect(later.windowSeconds).toBeGreaterThanOrEqual(60);
    expect(later.windowSeconds).toBeLessThanOrEqual(70);
    expect(later.rows).toEqual([]);

    // Nobody looked for five minutes: the window reaches back to the last look, a window ago at least, and no further.
    clock.advance(300_000);
    expect((await tracker.figures()).windowSeconds).toBe(300);
  });

  it("gives rows per operation type when the metrics carry no operation name, and no name for anonymous operations", async () => {
    const registry = new Registry();
    const requests = new Counter({ name: "router_graphql_requests_total", help: "-", labelNames: ["operation_type", "status"], registers: [registry] });
    const duration = new Histogram({ name: "router_graphql_request_duration_seconds", help: "-", labelNames: ["operation_type"], buckets: [0.005, 0.01], registers: [registry] });
    const clock = fakeClock();
    const tracker = createRedTracker({ registry, now: clock.now });
    clock.advance(4_000);
    requests.inc({ operation_type: "query", status: "ok" }, 3);
    requests.inc({ operation_type: "query", status: "error" });
    for (let i = 0; i < 4; i++) duration.observe({ operation_type: "query" }, 0.007);
    expect((await tracker.figures()).rows).toEqual([{ operationType: "query", operationName: null, requests: 4, ratePerSecond: 1, errorRate: 0.25, meanMs: 7, p95Ms: 9.8 }]);

    const metrics = createMetrics();
    const named = createRedTracker({ registry: metrics.registry, now: clock.now });
    clock.advance(1_000);
    metrics.requests.inc({ operation_type: "query", operation_name: ANONYMOUS_OPERATION, status: "ok" });
    metrics.requests.inc({ operation_type: "query", operation_name: OTHER_OPERATIONS, status: "ok" });
    expect((await named.figures()).rows.map((row) => row.operationName).sort()).toEqual(["(other)", null]);
  });

  it("interpolates quantiles inside buckets, as histogram_quantile does", () => {
    expect(quantile(0.5, [[1, 0], [2, 10], [Infinity, 10]], 10)).toBe(1.5);
    expect(quantile(0.95, [[1, 5], [Infinity, 10]], 10)).toBe(1);
    expect(quantile(0.95, [[0.1, 100], [Infinity, 100]], 100)).toBeCloseTo(0.095);
  });
});

/** Spans as the tracing of the router, the subgraphs and packages/events record them. */
function spansFixture(base: number) {
  let next = 0;
  const id = () => (++next).toString(16).padStart(16, "0");
  const span = (traceId: string, fields: Partial<StoredSpan> & Pick<StoredSpan, "name" | "service" | "startMs" | "durationMs">): StoredSpan => ({
    traceId,
    spanId: id(),
    kind: "internal",
    status: "unset",
    attributes: {},
    events: [],
    links: [],
    ...fields,
  });
  const order = "5b0d1c8e-3f3a-4f6e-9d0a-6c1f4e1a2b3c";
  const other = "0f6a3b2c-1d4e-4a5b-8c9d-0e1f2a3b4c5d";
  const traceA = "a".repeat(32);
  const spans: StoredSpan[] = [];
  const add = (s: StoredSpan) => (spans.push(s), s);

  // placeOrder: router -> orders, then the saga by events in the same trace.
  const root = add(span(traceA, { name: "mutation PlaceOrder", service: "router", kind: "server", startMs: base, durationMs: 120, attributes: { "graphql.operation.type": "mutation", "graphql.operation.name": "PlaceOrder", "graphql.document.hash": "abc" } }));
  const fetch = add(span(traceA, { name: "fetch orders", service: "router", kind: "client", parentSpanId: root.spanId, startMs: base + 10, durationMs: 100, attributes: { "store.subgraph": "orders", "http.response.status_code": 200, "db.query.text": "never shown" } }));
  const server = add(span(traceA, { name: "mutation", service: "orders", kind: "server", parentSpanId: fetch.spanId, startMs: base + 12, durationMs: 95 }));
  const event = (type: string, publisher: string, at: number, parent: StoredSpan, consumers: { group: string; service: string; handleMs: number; outcome?: string; error?: string; deadLettered?: boolean }[]) => {
    const eventId = `${type}-id`;
    const attrs = { "store.event.type": type, "store.event.id": eventId, "messaging.message.id": eventId, "store.order_id": order };
    const publish = add(span(traceA, { name: `publish ${type}`, service: publisher, kind: "producer", parentSpanId: parent.spanId, startMs: at, durationMs: 2, attributes: attrs }));
    consumers.forEach((c, i) => {
      const start = at + 5 + i;
      const process = add(
        span(traceA, {
          name: `process ${type}`,
          service: c.service,
          kind: "consumer",
          parentSpanId: publish.spanId,
          startMs: start,
          durationMs: c.handleMs + 3,
          status: c.error ? "error" : "unset",
          statusMessage: c.error,
          attributes: { ...attrs, "messaging.consumer.group.name": c.group },
          events: c.deadLettered ? [{ name: "store.event.dead_lettered", atMs: start + c.handleMs, attributes: {} }] : [],
        }),
      );
      if (!c.error) add(span(traceA, { name: `handle ${type}`, service: c.service, parentSpanId: process.spanId, startMs: start + 1, durationMs: c.handleMs, attributes: { "store.event.type": type, "store.event.id": eventId, "store.order_id": order, "messaging.consumer.group.name": c.group, "store.event.outcome": c.outcome ?? "handled" } }));
    });
    return publish;
  };
  // Added out of time order: the timeline sorts.
  const placed = event("OrderPlaced", "orders", base + 130, server, [
    { group: "inventory-saga", service: "inventory", handleMs: 8 },
    { group: "cart-orders", service: "cart", handleMs: 4 },
  ]);
  const reserved = event("StockReserved", "inventory", base + 150, placed, [{ group: "orders-saga", service: "orders", handleMs: 6 }]);
  const captured = event("PaymentCaptured", "payments", base + 400, reserved, [
    { group: "orders-saga", service: "orders", handleMs: 5 },
    { group: "shipping-saga", service: "shipping", handleMs: 7, error: "deadlock detected" },
    { group: "shipping-saga", service: "shipping", handleMs: 9, outcome: "handled" },
  ]);
  event("OrderStatusChanged", "orders", base + 160, reserved, [{ group: "orders-live", service: "orders", handleMs: 1, outcome: "duplicate" }]);
  void captured;

  // Another order's event: not in this order's timeline.
  const traceB = "b".repeat(32);
  add(span(traceB, { name: "publish OrderPlaced", service: "orders", kind: "producer", startMs: base + 50, durationMs: 1, attributes: { "store.event.type": "OrderPlaced", "store.event.id": "x", "store.order_id": other } }));
  // Quicker operations, and one too old for the window.
  add(span("c".repeat(32), { name: "query Products", service: "router", kind: "server", startMs: base + 5, durationMs: 30, attributes: { "graphql.operation.type": "query", "graphql.operation.name": "Products" } }));
  add(span("d".repeat(32), { name: "query Slowest", service: "router", kind: "server", startMs: base - 10 * 60_000, durationMs: 5_000, attributes: { "graphql.operation.type": "query", "graphql.operation.name": "Slowest" } }));
  // A subgraph's own server span is not a client operation.
  add(span("e".repeat(32), { name: "query", service: "catalog", kind: "server", startMs: base + 1, durationMs: 900 }));
  return { spans, order, traceA };
}

describe("slow operations and saga timelines from the span store", () => {
  const base = Date.now() - 60_000;
  const fixture = spansFixture(base);
  let store: SpanStore;
  let page: StatusPage;
  const clock = fakeClock(base + 60_000);

  beforeAll(() => {
    store = createSpanStore({ capacity: 1000 });
    for (const span of fixture.spans) store.add(span);
    page = createStatusPage({ subgraphUrls: () => new Map(), signingSecret: SIGNING, registry: createMetrics().registry, spanStore: store, logger: silentLogger, now: clock.now });
  });
  afterAll(() => page?.close());

  it("lists the router's slowest operations of the last minutes, each with its trace's waterfall", async () => {
    const { traces } = await page.data();
    if (!traces.kept) throw new Error("traces should be kept");
    expect(traces.windowMinutes).toBe(5);
    expect(traces.slowest.map((op) => [op.operationType, op.operationName, op.durationMs])).toEqual([
      ["mutation", "PlaceOrder", 120],
      ["query", "Products", 30],
    ]);
    const [placeOrder] = traces.slowest;
    expect(placeOrder!.traceId).toBe(fixture.traceA);
    const { waterfall } = placeOrder!;
    expect(waterfall.spans).toHaveLength(fixture.spans.filter((s) => s.traceId === fixture.traceA).length);
    // Bars are scaled to the whole trace: the last handler ends 400 + 5 + 2 + 12 ms after the request started.
    expect(waterfall.totalMs).toBe(419);
    const rows = waterfall.spans.map((s) => `${"  ".repeat(s.depth)}${s.service} ${s.name} +${s.offsetMs}`);
    expect(rows.slice(0, 6)).toEqual([
      "router mutation PlaceOrder +0",
      "  router fetch orders +10",
      "    orders mutation +12",
      "      orders publish OrderPlaced +130",
      "        inventory process OrderPlaced +135",
      "          inventory handle OrderPlaced +136",
    ]);
    expect(waterfall.spans[1]).toMatchObject({ kind: "client", durationMs: 100, detail: "subgraph=orders, http.response.status_code=200" });
    // Attribute values other than the few that say what a span did never reach the page.
    expect(JSON.stringify(traces)).not.toContain("never shown");
  });

  it("gives an order's saga: every event, its publisher, when, and each consumer's handler with its outcome, by time", () => {
    const answer: SagaAnswer = page.saga(fixture.order);
    if (!answer.kept) throw new Error("traces should be kept");
    expect(answer.events.map((e) => [e.type, e.publishedBy, Date.parse(e.at) - base])).toEqual([
      ["OrderPlaced", "orders", 130],
      ["StockReserved", "inventory", 150],
      ["OrderStatusChanged", "orders", 160],
      ["PaymentCaptured", "payments", 400],
    ]);
    expect(answer.events[0]!.handlers.map((h) => [h.consumer, h.service, h.durationMs, h.handlerMs, h.outcome])).toEqual([
      ["inventory-saga", "inventory", 11, 8, "handled"],
      ["cart-orders", "cart", 7, 4, "handled"],
    ]);
    expect(answer.events[2]!.handlers[0]!.outcome).toBe("duplicate");
    // A failed delivery, then its redelivery: both, in order.
    expect(answer.events[3]!.handlers.map((h) => [h.consumer, h.outcome, h.error])).toEqual([
      ["orders-saga", "handled", undefined],
      ["shipping-saga", "error", "deadlock detected"],
      ["shipping-saga", "handled", undefined],
    ]);
    expect(answer.events[3]!.eventId).toBe("PaymentCaptured-id");
    expect(answer.statuses.map((s) => s.status)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID"]);
    expect(Date.parse(answer.statuses[2]!.at) - base).toBe(400);
  });

  it("gives an empty timeline for an order it has no spans of", () => {
    expect(page.saga("00000000-0000-4000-8000-000000000000")).toEqual({ kept: true, orderId: "00000000-0000-4000-8000-000000000000", statuses: [], events: [] });
  });

  it("says traces are not kept when there is no store", () => {
    const bare = createStatusPage({ subgraphUrls: () => new Map(), signingSecret: SIGNING, registry: createMetrics().registry, logger: silentLogger });
    expect(bare.saga(fixture.order)).toEqual({ kept: false, orderId: fixture.order, message: NO_TRACES_MESSAGE });
    return bare.close();
  });
});

describe("the status page served by the router", () => {
  let dir: string;
  const routers: Router[] = [];
  const books = createBooksSubgraph();
  const reviews = createReviewsSubgraph();
  let booksHttp: RunningSubgraph;
  let reviewsHttp: RunningSubgraph;
  const stubs: StatusStub[] = [];
  let supergraphPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "router-status-"));
    booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
    reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
    stubs.push(await startStatusStub("books", { target: booksHttp.url }), await startStatusStub("reviews", { target: reviewsHttp.url }));
    supergraphPath = join(dir, "supergraph.graphql");
    writeFileSync(supergraphPath, composeBookshop({ books: stubs[0]!.url, reviews: stubs[1]!.url }));
  });
  afterAll(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    await Promise.all(stubs.map((stub) => stub.close()));
    await books.stop();
    await reviews.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startRouter(env: Record<string, string> = {}, spanStore?: SpanStore): Promise<string> {
    const router = createRouter({ config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: supergraphPath, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, ...env }), logger: silentLogger, spanStore });
    routers.push(router);
    return new URL((await router.listen()).url).origin;
  }

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it("serves one offline page: a strict CSP, a same-origin script, no address outside loopback", async () => {
    const origin = await startRouter();
    const page = await get(`${origin}/status`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    // Every script is a file of the router's; no inline script, no inline style attribute.
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1]!)?.[1])).toEqual(["status/status.js"]);
    expect(scripts.every((m) => m[2]!.trim() === "")).toBe(true);
    expect(page.text).not.toMatch(/\sstyle=/);
    expect(page.text).toContain('aria-live="polite"');
    const linked = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(linked.sort()).toEqual(["status/status.css", "status/status.js"]);
    for (const path of linked) {
      const asset = await get(`${origin}/${path}`);
      expect(asset.status).toBe(200);
      // Nothing the page loads names an address that is not loopback or relative.
      expect(asset.text).not.toMatch(/(https?:)?\/\/(?!127\.0\.0\.1|localhost)[\w.-]+\.[a-z]{2,}/i);
    }
    expect(page.text).not.toMatch(/(https?:)?\/\/(?!127\.0\.0\.1|localhost)[\w.-]+\.[a-z]{2,}/i);
    expect((await get(`${origin}/status/status.js`)).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("gives live data: every subgraph up, and RED figures after a few requests", async () => {
    const origin = await startRouter();
    for (const query of ["query Shelf { books { title } }", "query Shelf { books { title } }", "query Reviews { books { title reviews { stars } } }", "{ nope }"]) {
      await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    }
    const data = await eventually(
      async () => {
        const data = JSON.parse((await get(`${origin}/status/data`)).text) as StatusData;
        const total = data.operations.rows.reduce((sum, row) => sum + row.requests, 0);
        return total >= 4 && data.subgraphs.length === 2 && data;
      },
      { what: "status data with the four requests", intervalMs: 200 },
    );
    expect(data.router).toMatchObject({ service: "router", supergraphLoaded: true });
    expect(data.subgraphs.map((s) => [s.name, s.status])).toEqual([
      ["books", "up"],
      ["reviews", "up"],
    ]);
    const rows = Object.fromEntries(data.operations.rows.map((row) => [`${row.operationType} ${row.operationName ?? "(anonymous)"}`, row]));
    expect(Object.keys(rows).sort()).toEqual(["query (anonymous)", "query Reviews", "query Shelf"]);
    expect(rows["query Shelf"]).toMatchObject({ requests: 2, errorRate: 0 });
    expect(rows["query Reviews"]).toMatchObject({ requests: 1, errorRate: 0 });
    // The query that does not validate is counted as an error.
    expect(rows["query (anonymous)"]).toMatchObject({ requests: 1, errorRate: 1 });
    for (const row of [rows["query Shelf"]!, rows["query Reviews"]!]) {
      expect(row.ratePerSecond).toBeGreaterThan(0);
      expect(row.meanMs).toBeGreaterThan(0);
      expect(row.p95Ms).toBeGreaterThanOrEqual(row.meanMs! / 2);
    }
    expect(data.traces).toEqual({ kept: false, message: NO_TRACES_MESSAGE });
    expect((await get(`${origin}/status/data?order=not%20an%20id`)).status).toBe(400);
  });

  it("answers saga timelines from the router's span store", async () => {
    const store = createSpanStore({ capacity: 100 });
    const fixture = spansFixture(Date.now() - 1000);
    for (const span of fixture.spans) store.add(span);
    const origin = await startRouter({}, store);
    const saga = JSON.parse((await get(`${origin}/status/data?order=${fixture.order}`)).text) as SagaAnswer;
    expect(saga.kept && saga.statuses.map((s) => s.status)).toEqual(["PENDING", "AWAITING_PAYMENT", "PAID"]);
    const data = JSON.parse((await get(`${origin}/status/data`)).text) as StatusData;
    expect(data.traces.kept && data.traces.slowest[0]!.operationName).toBe("PlaceOrder");
  });

  it("requires METRICS_TOKEN when it is set, as a bearer token or ?token=", async () => {
    const origin = await startRouter({ METRICS_TOKEN });
    expect((await get(`${origin}/status`)).status).toBe(401);
    expect((await get(`${origin}/status/data`)).status).toBe(401);
    expect((await get(`${origin}/status/data`, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
    expect((await get(`${origin}/status?token=${METRICS_TOKEN}`)).status).toBe(200);
    expect((await get(`${origin}/status/data`, { authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
    // The page's files hold nothing secret.
    expect((await get(`${origin}/status/status.js`)).status).toBe(200);
    // The token is never in what the page is given.
    expect((await get(`${origin}/status?token=${METRICS_TOKEN}`)).text).not.toContain(METRICS_TOKEN);
    expect((await get(`${origin}/status/data?token=${METRICS_TOKEN}`)).text).not.toContain(METRICS_TOKEN);
  });

  it("is not served when turned off, nor in production unless ROUTER_STATUS_PAGE=true, and then beside the metrics", async () => {
    const off = await startRouter({ ROUTER_STATUS_PAGE: "false" });
    expect((await get(`${off}/status`)).status).toBe(404);
    expect((await get(`${off}/status/data`)).status).toBe(404);

    const production = await startRouter({ NODE_ENV: "production", METRICS_PORT: String(await freePort()) });
    expect((await get(`${production}/status`)).status).toBe(404);
    expect((await get(`${production}/status/data`)).status).toBe(404);

    const metricsPort = await freePort();
    const optedIn = await startRouter({ NODE_ENV: "production", ROUTER_STATUS_PAGE: "true", METRICS_PORT: String(metricsPort) });
    // Not on the public port: where the metrics are (loopback by default).
    expect((await get(`${optedIn}/status`)).status).toBe(404);
    expect((await get(`http://127.0.0.1:${metricsPort}/status`)).status).toBe(200);
    const data = JSON.parse((await get(`http://127.0.0.1:${metricsPort}/status/data`)).text) as StatusData;
    expect(data.subgraphs.map((s) => s.status)).toEqual(["up", "up"]);
  });
});
