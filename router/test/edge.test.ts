import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { silentLogger, type RunningSubgraph } from "@store/kit";
import { eventually } from "@store/testing";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
let books: ReturnType<typeof createBooksSubgraph>;
let reviews: ReturnType<typeof createReviewsSubgraph>;
let booksHttp: RunningSubgraph;
let reviewsHttp: RunningSubgraph;
const routers: Router[] = [];
const clients: Client[] = [];
/** Requests the reviews subgraph saw end before it answered them (the router aborted its fetch). */
let reviewsAborted = 0;

async function startRouter(env: Record<string, string> = {}) {
  const router = createRouter({
    config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: join(dir, "supergraph.graphql"), ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, ...env }),
    logger: silentLogger,
  });
  routers.push(router);
  const { url } = await router.listen();
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: any[] } };
  };
  return { router, url, post, wsUrl: url.replace(/^http/, "ws") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "router-edge-"));
  books = createBooksSubgraph();
  reviews = createReviewsSubgraph();
  booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
  reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
  reviewsHttp.server.prependListener("request", (_req, res) => res.once("close", () => (reviewsAborted += res.writableFinished ? 0 : 1)));
  writeFileSync(join(dir, "supergraph.graphql"), composeBookshop({ books: booksHttp.url, reviews: reviewsHttp.url }));
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  for (const router of routers) await router.stop();
  await books?.stop();
  await reviews?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("client mistakes are 4xx with documented codes", () => {
  let edge: Awaited<ReturnType<typeof startRouter>>;
  beforeAll(async () => {
    edge = await startRouter();
  });

  it.each([
    ["an unknown operation name", { query: "query A { books { title } }", operationName: "B" }, "OPERATION_RESOLUTION_FAILURE"],
    ["no name for several operations", { query: "query A { books { title } } query B { books { year } }" }, "OPERATION_RESOLUTION_FAILURE"],
    ["a fragment's name", { query: "query A { books { ...F } } fragment F on Book { title }", operationName: "F" }, "OPERATION_RESOLUTION_FAILURE"],
    ["a subscription over HTTP", { query: "subscription { __typename }" }, "OPERATION_NOT_SUPPORTED"],
    ["a syntax error", { query: "{ books { title " }, "GRAPHQL_PARSE_FAILED"],
    ["a document nested 1000 deep", { query: `{ books { ${"reviews { ".repeat(1000)} stars ${"} ".repeat(1000)} } }` }, "OPERATION_LIMIT_EXCEEDED"],
    ["too many tokens", { query: `{ books { ${"title ".repeat(2500)} } }` }, "OPERATION_LIMIT_EXCEEDED"],
    ["a variable of the wrong type", { query: "query ($ms: Int!) { books { slowNote(ms: $ms) } }", variables: { ms: "soon" } }, "BAD_USER_INPUT"],
    ["a missing required variable", { query: "query ($ms: Int!) { books { slowNote(ms: $ms) } }" }, "BAD_USER_INPUT"],
  ])("%s", async (_what, body, code) => {
    for (const path of ["fast path", "Apollo Server"]) {
      // A non-empty `extensions` sends the request through Apollo Server: both paths answer alike.
      const sent = path === "fast path" ? body : { ...body, extensions: { clientLibrary: { name: "test" } } };
      const { status, body: answer } = await edge.post(sent);
      expect({ path, status, code: answer.errors?.[0]?.extensions?.code }).toEqual({ path, status: 400, code });
      expect(answer.errors?.[0]?.message).not.toMatch(/call stack|Internal server error/i);
    }
  });

  it("refuses a document over a limit before Apollo Server's validation too (GET), with the same code and figures", async () => {
    const deep = `{ books { ${"reviews { ".repeat(20)} stars ${"} ".repeat(20)} } }`;
    const flood = `{ books { title ${"@skip(if: false) ".repeat(8)} } }`;
    for (const [query, limit, measured] of [[deep, "depth", 22], [flood, "directives", 8]] as const) {
      const response = await fetch(`${edge.url}?query=${encodeURIComponent(query)}`, { headers: { "apollo-require-preflight": "true" } });
      const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(response.status).toBe(400);
      expect(body.errors[0]?.extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit, measured });
      expect((await edge.post({ query })).body.errors?.[0]?.extensions).toMatchObject({ code: "OPERATION_LIMIT_EXCEEDED", limit, measured });
    }
  });

  it("answers a body over the size limit with 413 PAYLOAD_TOO_LARGE", async () => {
    const { status, body } = await edge.post({ query: `{ books { title } } # ${"x".repeat(1024 * 1024)}` });
    expect(status).toBe(413);
    expect(body.errors?.[0]?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("deadlines", () => {
  it("aborts the subgraph fetches still in flight when the request's deadline passes, and keeps the data fetched in time", async () => {
    const edge = await startRouter({ ROUTER_REQUEST_TIMEOUT_MS: "1500", SUBGRAPH_TIMEOUT_MS: "20000" });
    // Builds the query planner first: on a loaded machine that alone can take a good part of the deadline.
    expect((await edge.post({ query: "{ books { title } }" })).status).toBe(200);
    const before = reviewsAborted;
    const started = Date.now();
    const { status, body } = await edge.post({ query: "{ books { title slowNote(ms: 10000) } }" });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(status).toBe(200);
    expect(body.data.books.map((b: { title: string }) => b.title)).toEqual(["The Left Hand of Darkness", "Kindred"]);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: "REQUEST_TIMEOUT" } })]);
    // The reviews subgraph saw its request end before it answered: the router closed it.
    await eventually(() => reviewsAborted > before, { what: "the reviews subgraph to see its request closed", timeoutMs: 20_000 });
  });
});

describe("WebSocket", () => {
  it("closes the socket with 1009 when a message is larger than the HTTP body limit", async () => {
    const edge = await startRouter({ ROUTER_MAX_BODY_BYTES: "65536" });
    const socket = new WebSocket(edge.wsUrl, "graphql-transport-ws");
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.send(JSON.stringify({ type: "connection_init", payload: { pad: "x".repeat(70_000) } }));
    expect(await closed).toBe(1009);
  });

  it("holds queries and subscriptions on the socket to the same limits and codes as HTTP", async () => {
    const edge = await startRouter();
    const client = createClient({ url: edge.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    const first = async (query: string, variables?: Record<string, unknown>) => {
      for await (const result of client.iterate({ query, ...(variables ? { variables } : {}) })) return result;
      return undefined;
    };
    const deep = `{ books { ${"reviews { ".repeat(20)} stars ${"} ".repeat(20)} } }`;
    await expect(first(deep)).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "OPERATION_LIMIT_EXCEEDED", limit: "depth" }) })]);
    await expect(first("query ($ms: Int!) { books { slowNote(ms: $ms) } }", { ms: "x" })).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) })]);
    expect((await first("{ books { title } }"))?.data).toEqual({ books: [{ title: "The Left Hand of Darkness" }, { title: "Kindred" }] });
  });
});

describe("rate limits", () => {
  it("answers 429 RATE_LIMITED with Retry-After once a client's query budget is spent, on every path", async () => {
    const edge = await startRouter({ RATE_LIMIT_QUERY_POINTS: "3", RATE_LIMIT_DURATION_S: "60" });
    for (let i = 0; i < 3; i++) expect((await edge.post({ query: "{ books { title } }" })).status).toBe(200);
    for (const body of [{ query: "{ books { title } }" }, { query: "{ books { title } }", extensions: { clientLibrary: { name: "t" } } }]) {
      const { status, headers, body: answer } = await edge.post(body);
      expect(status).toBe(429);
      expect(Number(headers.get("retry-after"))).toBeGreaterThan(0);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", limit: 3 });
    }
    // Mutations have a budget of their own.
    expect((await edge.post({ query: "mutation { __typename }" })).status).not.toBe(429);
  });
});

describe("exposure", () => {
  it("in production: no introspection, no field suggestions, metrics on their own loopback port behind a token", async () => {
    const edge = await startRouter({ NODE_ENV: "production", METRICS_PORT: "0", METRICS_TOKEN: "metrics-token-0123456789" });
    const introspection = await edge.post({ query: "{ __schema { queryType { name } } }" });
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const typo = await edge.post({ query: "{ books { titel } }" });
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "titel" on type "Book".');
    expect((await fetch(edge.url.replace("/graphql", "/metrics"))).status).toBe(404);
  });

  it("elsewhere: introspection and suggestions on, metrics on the GraphQL port", async () => {
    const edge = await startRouter();
    expect((await edge.post({ query: "{ __schema { queryType { name } } }" })).body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    expect((await edge.post({ query: "{ books { titel } }" })).body.errors?.[0]?.message).toMatch(/Did you mean "title"\?/);
    expect((await fetch(edge.url.replace("/graphql", "/metrics"))).status).toBe(200);
  });
});
