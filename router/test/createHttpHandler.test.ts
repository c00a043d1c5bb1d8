import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listenOn, silentLogger } from "@store/kit";
import { loadRouterConfig } from "../src/config.ts";
import { createHttpHandler } from "../src/edge/createHttpHandler.ts";
import { createMetrics } from "../src/metrics.ts";

/**
 * The router's HTTP edge without GraphQL behind it: its routes, CORS and
 * metrics guard, on the kit's HTTP primitives. (GraphQL over HTTP is the
 * end-to-end tests' subject: router, edge, executorEquivalence.)
 */
const config = loadRouterConfig({ ROUTER_SIGNING_SECRET: "s".repeat(32), JWT_SECRET: "j".repeat(32), CORS_ORIGINS: "https://shop.example, https://admin.example", METRICS_TOKEN: "metrics-token-0123456789" });
const metrics = createMetrics();
let ready = false;
const http = createHttpHandler({ config, apollo: {} as never, fastPath: undefined, metrics, metricsOnGraphQLPort: true, ready: () => ready, logger: silentLogger });
const servers: Server[] = [];
let base: string;
let metricsBase: string;

beforeAll(async () => {
  const [main, apart] = [createServer(http.requests), createServer(http.metricsOnly)];
  servers.push(main, apart);
  base = `http://127.0.0.1:${await listenOn(main, 0, "127.0.0.1")}`;
  metricsBase = `http://127.0.0.1:${await listenOn(apart, 0, "127.0.0.1")}`;
});

afterAll(async () => {
  for (const server of servers) await closeServer(server);
});

const json = async (path: string, init?: RequestInit, at = base) => {
  const response = await fetch(`${at}${path}`, init);
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
};

describe("createHttpHandler", () => {
  it("answers /health always, and /ready once the router has a supergraph", async () => {
    expect(await json("/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await json("/ready?probe=1")).toMatchObject({ status: 503, body: { status: "starting" } });
    ready = true;
    expect(await json("/ready")).toMatchObject({ status: 200, body: { status: "ready" } });
  });

  it("serves /metrics to a scraper with METRICS_TOKEN, and 401 UNAUTHENTICATED without it", async () => {
    expect(await json("/metrics")).toMatchObject({ status: 401, body: { errors: [{ extensions: { code: "UNAUTHENTICATED" } }] } });
    const scraped = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toBe(metrics.registry.contentType);
    expect(await scraped.text()).toContain("router_graphql_requests_total");
  });

  it("serves only /metrics on a metrics port", async () => {
    expect((await fetch(`${metricsBase}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } })).status).toBe(200);
    expect(await json("/health", undefined, metricsBase)).toMatchObject({ status: 404, body: { errors: [{ message: "No route for /health", extensions: { code: "NOT_FOUND" } }] } });
  });

  it("answers unknown paths 404 NOT_FOUND, and serves GraphiQL's assets", async () => {
    expect(await json("/nope")).toEqual({ status: 404, headers: expect.anything(), body: { errors: [{ message: "No route for /nope", extensions: { code: "NOT_FOUND" } }] } });
    expect(await json("/graphiql/nope.js")).toMatchObject({ status: 404 });
    const asset = await fetch(`${base}/graphiql/graphiql.css`);
    expect({ status: asset.status, type: asset.headers.get("content-type") }).toEqual({ status: 200, type: expect.stringMatching(/^text\/css/) });
  });

  it("answers a CORS preflight on the GraphQL paths, with the headers for allowed origins only", async () => {
    const allowed = await fetch(`${base}/graphql`, { method: "OPTIONS", headers: { origin: "https://admin.example" } });
    expect(allowed.status).toBe(204);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith("access-control-")))).toEqual({
      "access-control-allow-origin": "https://admin.example",
      "access-control-allow-headers": "content-type, authorization, apollo-require-preflight, x-request-id",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-max-age": "600",
    });
    const other = await fetch(`${base}/`, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
    expect(other.status).toBe(204);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
