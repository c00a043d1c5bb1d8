import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAccessToken, Role, silentLogger, type RunningSubgraph } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
const subgraphs = [createBooksSubgraph(), createReviewsSubgraph()] as const;
const running: RunningSubgraph[] = [];
let router: Router;
let url: string;

async function post(query: string, token?: string) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query }) });
  return (await response.json()) as { data?: { books: { title: string; slowNote: string | null }[] }; errors?: unknown[] };
}

/** Fetches sent to a subgraph, and fetches answered by one already in flight, from the router's metrics. */
async function fetchCounts(subgraph: string) {
  const sent = (await router.metrics.subgraphFetch.get()).values.filter((v) => v.metricName === "router_subgraph_fetch_duration_seconds_count" && v.labels.subgraph === subgraph).reduce((n, v) => n + v.value, 0);
  const shared = (await router.metrics.subgraphFetchesShared.get()).values.filter((v) => v.labels.subgraph === subgraph).reduce((n, v) => n + v.value, 0);
  return { sent, shared };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "router-dedupe-"));
  const [books, reviews] = await Promise.all(subgraphs.map((s) => s.listen({ port: 0, routerSigningSecret: SIGNING })));
  running.push(books!, reviews!);
  const supergraphPath = join(dir, "supergraph.graphql");
  writeFileSync(supergraphPath, composeBookshop({ books: books!.url, reviews: reviews!.url }));
  router = createRouter({ config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: supergraphPath, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT }), logger: silentLogger });
  ({ url } = await router.listen());
});

afterAll(async () => {
  await router?.stop();
  await Promise.all(subgraphs.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

// slowNote keeps the reviews fetch in flight for 300 ms, so concurrent requests overlap.
const SLOW = "{ books { title slowNote(ms: 300) } }";

describe("identical in-flight subgraph fetches", () => {
  it("are sent once for five concurrent identical queries, and every client gets the full answer", async () => {
    const before = await fetchCounts("reviews");
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(SLOW)));
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.books).toEqual([
        { title: "The Left Hand of Darkness", slowNote: "finally" },
        { title: "Kindred", slowNote: "finally" },
      ]);
    }
    const after = await fetchCounts("reviews");
    expect(after.sent - before.sent).toBe(1);
    expect(after.shared - before.shared).toBe(4);
  });

  it("are not shared between different identities", async () => {
    const [a, b] = await Promise.all([
      issueAccessToken(JWT, { userId: "u-1", roles: [Role.Customer] }),
      issueAccessToken(JWT, { userId: "u-2", roles: [Role.Customer] }),
    ]);
    const before = await fetchCounts("reviews");
    await Promise.all([post(SLOW, a.accessToken), post(SLOW, b.accessToken)]);
    const after = await fetchCounts("reviews");
    expect(after.sent - before.sent).toBe(2);
    expect(after.shared - before.shared).toBe(0);
  });

  it("answer each client with its own objects: one client's response cannot leak into another's", async () => {
    // Different selections over the same shared books fetch.
    const [titles, years] = await Promise.all([post("{ books { title slowNote(ms: 200) } }"), post("{ books { year slowNote(ms: 200) } }")]);
    expect(titles.data?.books[0]).toEqual({ title: "The Left Hand of Darkness", slowNote: "finally" });
    expect(years.data?.books[0]).toEqual({ year: 1969, slowNote: "finally" });
  });
});
