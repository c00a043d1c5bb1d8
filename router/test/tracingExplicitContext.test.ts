import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { asyncContextInstalled, closeServer, createLogger, createSpanStore, IdentityHeader, listenOn, startTracing } from "@store/kit";
import { createRouter, loadRouterConfig } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph } from "./fixtures/bookshop.ts";

/**
 * The router as `npm run start:router` runs it: tracing without the
 * AsyncLocalStorage context (asyncContext: false), which would otherwise hook
 * every promise of every request on Node 20. Spans find their parents on the
 * request (RouterContext.trace), and a request's log lines get their trace
 * and span ids from its logger rather than from an active span. Its own file:
 * each test file runs in a process of its own, and here nothing may install
 * the async context.
 */
const SIGNING = "router-signing-secret-for-tests-0123456789";
const dir = mkdtempSync(join(tmpdir(), "router-explicit-"));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

it("keeps the operation's spans together and its log lines joined to them, with no async context", async () => {
  const store = createSpanStore();
  const tracing = startTracing({ service: "router", store, env: {}, asyncContext: false });
  cleanups.push(() => tracing.shutdown());
  expect(asyncContextInstalled()).toBe(false);

  const books = createBooksSubgraph();
  const booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
  cleanups.push(() => books.stop());
  // A reviews address nothing listens on: the router logs the failed fetch.
  const closed = createServer();
  const port = await listenOn(closed, 0, "127.0.0.1");
  await closeServer(closed);
  const path = join(dir, "supergraph.graphql");
  writeFileSync(path, composeBookshop({ books: booksHttp.url, reviews: `http://127.0.0.1:${port}/graphql` }));
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ name: "router", level: "warn", destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const router = createRouter({ config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: path, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: "jwt-secret-for-router-tests-0123456789abcdef", SUBGRAPH_TIMEOUT_MS: "5000" }), logger, tracing });
  cleanups.push(() => router.stop());
  const { url } = await router.listen();

  const requestId = "explicit-context-1";
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", [IdentityHeader.RequestId]: requestId }, body: JSON.stringify({ query: "{ books { title reviews { stars } } }" }) });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  expect(body.errors?.[0]?.extensions?.code).toBe("SUBGRAPH_UNAVAILABLE");

  const operation = store.spans().find((span) => span.attributes["store.request_id"] === requestId && span.kind === "server")!;
  expect(operation.name).toBe("query");
  const children = store.trace(operation.traceId).filter((span) => span.parentSpanId === operation.spanId);
  expect(children.map((span) => span.name)).toEqual(expect.arrayContaining(["graphql.parse", "graphql.validate", "graphql.plan", "fetch books", "fetch reviews", "graphql.shape"]));
  const failed = lines.find((line) => line.msg === "subgraph fetch failed");
  expect(failed).toMatchObject({ subgraph: "reviews", trace_id: operation.traceId, span_id: operation.spanId });
  // Only the request's logger carries them: nothing is active outside it.
  expect(JSON.stringify(failed).match(/"trace_id"/g)).toHaveLength(1);
});
