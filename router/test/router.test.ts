import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAccessToken, Role, silentLogger, type RunningSubgraph } from "@store/kit";
import { eventually } from "@store/testing";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
let supergraphPath: string;
let books: ReturnType<typeof createBooksSubgraph>;
let reviews: ReturnType<typeof createReviewsSubgraph>;
let booksHttp: RunningSubgraph;
let reviewsHttp: RunningSubgraph;
let books2: ReturnType<typeof createBooksSubgraph> | undefined;
let router: Router;
let url: string;

/** How many supergraph loads the router counted with this outcome (router_supergraph_reloads_total). */
async function reloads(outcome: "loaded" | "reloaded" | "rejected"): Promise<number> {
  return (await router.metrics.supergraphReloads.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "router-test-"));
  supergraphPath = join(dir, "supergraph.graphql");
  books = createBooksSubgraph();
  reviews = createReviewsSubgraph();
  booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
  reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
  writeFileSync(supergraphPath, composeBookshop({ books: booksHttp.url, reviews: reviewsHttp.url }));
  router = createRouter({
    config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: supergraphPath, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, SUBGRAPH_TIMEOUT_MS: "2000" }),
    logger: silentLogger,
  });
  ({ url } = await router.listen());
});

afterAll(async () => {
  await router?.stop();
  await books?.stop();
  await books2?.stop();
  await reviews?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("router on a supergraph that is not ours", () => {
  it("plans a query across both subgraphs", async () => {
    const { status, body } = await post({ query: "{ books { title reviews { stars } } }" });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.books).toEqual([
      { title: "The Left Hand of Darkness", reviews: [{ stars: 5 }] },
      { title: "Kindred", reviews: [{ stars: 4 }, { stars: 5 }] },
    ]);
  });

  it("answers GET requests", async () => {
    const response = await fetch(`${url}?query=${encodeURIComponent("{ books { id } }")}`, { headers: { "apollo-require-preflight": "1" } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data.books).toHaveLength(2);
  });

  it("forwards a verified identity, signed, to subgraphs", async () => {
    const { accessToken } = await issueAccessToken(JWT, { userId: "u-42", roles: [Role.Admin] });
    const { body } = await post({ query: "{ whoami }" }, { authorization: `Bearer ${accessToken}` });
    expect(body.data.whoami).toBe("u-42:ADMIN");
    const anonymous = await post({ query: "{ whoami }" });
    expect(anonymous.body.data.whoami).toBeNull();
  });

  it("rejects a bad or expired token with 401 UNAUTHENTICATED", async () => {
    const bad = await post({ query: "{ whoami }" }, { authorization: "Bearer not-a-jwt" });
    expect(bad.status).toBe(401);
    expect(bad.body.errors?.[0].extensions.code).toBe("UNAUTHENTICATED");
    const { accessToken } = await issueAccessToken(JWT, { userId: "u-1", roles: [Role.Customer] }, 60, Date.now() - 3_600_000);
    const expired = await post({ query: "{ whoami }" }, { authorization: `Bearer ${accessToken}` });
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0].message).toMatch(/expired/);
  });

  it("subgraphs refuse requests that the router did not sign", async () => {
    const response = await fetch(booksHttp.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ books { id } }" }) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("INVALID_ROUTER_SIGNATURE");
  });

  it("returns partial data with a labelled error while a subgraph is down, and recovers", async () => {
    await reviewsHttp.close();
    const down = await post({ query: "{ books { title reviews { stars } } }" });
    expect(down.status).toBe(200);
    // Books still answer; the reviews fetch fails, labelled with its subgraph.
    expect(down.body.errors).toHaveLength(1);
    expect(down.body.errors?.[0].extensions).toMatchObject({ serviceName: "reviews", code: "SUBGRAPH_UNAVAILABLE" });
    expect(down.body.data?.books).toEqual([
      { title: "The Left Hand of Darkness", reviews: null },
      { title: "Kindred", reviews: null },
    ]);

    reviewsHttp = await reviews.listen({ port: reviewsHttp.port, routerSigningSecret: SIGNING });
    const back = await post({ query: "{ books { title reviews { stars } } }" });
    expect(back.body.errors).toBeUndefined();
    expect(back.body.data.books[1].reviews).toHaveLength(2);
  });

  it("bounds a slow subgraph by its timeout, keeping the other subgraph's data", async () => {
    // The timeout is 2 s; the field takes 5 s. undici's timers are coarse
    // (up to about 1 s late) and a loaded machine adds more: what matters is
    // that the router does not wait for the field.
    const started = Date.now();
    const { body } = await post({ query: "{ books { title slowNote(ms: 5000) } }" });
    expect(Date.now() - started).toBeLessThan(4500);
    expect(body.data.books.map((b: { title: string }) => b.title)).toHaveLength(2);
    expect(body.data.books[0].slowNote).toBeNull();
    expect(body.errors?.[0]?.extensions).toMatchObject({ serviceName: "reviews", code: "SUBGRAPH_TIMEOUT" });
  });

  it("serves a new field after the supergraph file is replaced, without a restart", async () => {
    const before = await post({ query: "{ books { subtitle } }" });
    expect(before.body.errors?.[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");

    // The new books subgraph (with subtitle) takes over on a new port; the
    // file is replaced atomically, as a deploy would.
    books2 = createBooksSubgraph(true);
    const books2Http = await books2.listen({ port: 0, routerSigningSecret: SIGNING });
    expect(await reloads("loaded")).toBe(1);
    const next = join(dir, "next.graphql");
    writeFileSync(next, composeBookshop({ books: books2Http.url, reviews: reviewsHttp.url }, true));
    renameSync(next, supergraphPath);
    await eventually(async () => (await reloads("reloaded")) === 1, { what: "the router to reload the new supergraph", timeoutMs: 20_000 });
    const result = await post({ query: "{ books { subtitle } }" });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.books[0].subtitle).toBe("a novel (25 letters)");
  });

  it("keeps serving the current supergraph when the file is replaced with garbage, and counts the rejection", async () => {
    expect(await reloads("rejected")).toBe(0);
    const next = join(dir, "next.graphql");
    writeFileSync(next, "this is not a supergraph");
    renameSync(next, supergraphPath);
    await eventually(async () => (await reloads("rejected")) === 1, { what: "the router to reject the garbage", timeoutMs: 20_000 });
    expect(await reloads("reloaded")).toBe(1);
    const { body } = await post({ query: "{ books { subtitle } }" });
    expect(body.errors).toBeUndefined();
    // Still the supergraph with subtitles: the garbage changed nothing.
    expect(body.data.books).toEqual([{ subtitle: "a novel (25 letters)" }, { subtitle: "a novel (7 letters)" }]);
  });

  it("exposes health, readiness and Prometheus metrics", async () => {
    const base = url.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/router_graphql_requests_total\{operation_type="query",operation_name="~anonymous",status="ok"\} \d+/);
    expect(metrics).toMatch(/router_subgraph_fetch_duration_seconds_bucket\{.*subgraph="books"/);
    expect(metrics).toMatch(/router_graphql_errors_total\{code="SUBGRAPH_UNAVAILABLE",subgraph="reviews"\}/);
  });

  it("serves GraphiQL from its own assets", async () => {
    const base = url.replace(/\/graphql$/, "");
    const page = await fetch(url, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    for (const asset of html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)) {
      const response = await fetch(`${base}${asset[1]}`);
      expect(response.status, asset[1]).toBe(200);
    }
    expect(html).not.toMatch(/https?:\/\/(?!localhost)/);
  });
});
