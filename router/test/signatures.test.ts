import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connectSubgraph, eventually } from "@store/testing";
import { ERRORS, IdentityHeader, issueAccessToken, Role, silentLogger, type RunningSubgraph } from "@store/kit";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";
import { startBookclub, type Bookclub } from "./fixtures/bookclub.ts";
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from "./fixtures/recordingProxy.ts";

/**
 * What an eavesdropper between the router and a subgraph can do with what it
 * captured: nothing. Each signed request is accepted once, by the subgraph it
 * was signed for, with the body it was signed with; each signed set of
 * connectionParams opens one socket.
 */

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

let dir: string;
const routers: Router[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "router-signatures-"));
});
afterAll(async () => {
  await Promise.all(routers.map((router) => router.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function startRouter(supergraphSdl: string, env: Record<string, string> = {}): Promise<string> {
  const path = join(dir, `supergraph-${routers.length}.graphql`);
  writeFileSync(path, supergraphSdl);
  const router = createRouter({
    config: loadRouterConfig({ PORT: "0", SUPERGRAPH_PATH: path, ROUTER_SIGNING_SECRET: SIGNING, JWT_SECRET: JWT, SUBGRAPH_TIMEOUT_MS: "2000", ...env }),
    logger: silentLogger,
  });
  routers.push(router);
  return (await router.listen()).url;
}

/** Sends captured headers again, as they were (minus what belongs to one TCP connection). */
async function replay(url: string, headers: IncomingHttpHeaders, body: Buffer | string) {
  const forwarded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ["host", "connection", "content-length", "transfer-encoding", "keep-alive"].includes(name)) continue;
    forwarded[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const response = await fetch(url, { method: "POST", headers: forwarded, body });
  const answer = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, code: answer.errors?.[0]?.extensions?.code, message: answer.errors?.[0]?.message ?? "" };
}

describe.each(["router", "gateway"] as const)("subgraph requests signed by the router (QUERY_EXECUTOR=%s)", (executor) => {
  const books = createBooksSubgraph();
  const reviews = createReviewsSubgraph();
  let booksHttp: RunningSubgraph;
  let reviewsHttp: RunningSubgraph;
  let proxy: RecordingProxy;
  let routerUrl: string;
  let captured: RecordedRequest;

  beforeAll(async () => {
    booksHttp = await books.listen({ port: 0, routerSigningSecret: SIGNING });
    reviewsHttp = await reviews.listen({ port: 0, routerSigningSecret: SIGNING });
    proxy = await startRecordingProxy(booksHttp.url);
    routerUrl = await startRouter(composeBookshop({ books: proxy.url, reviews: reviewsHttp.url }), { QUERY_EXECUTOR: executor });
    const { accessToken } = await issueAccessToken(JWT, { userId: "u-7", roles: [Role.Customer] });
    const response = await fetch(routerUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: "{ whoami books { title reviews { stars } } }" }),
    });
    const result = (await response.json()) as { data?: { whoami: string; books: unknown[] }; errors?: unknown[] };
    // The original went through: the router's own signature is accepted, once.
    expect(result.errors).toBeUndefined();
    expect(result.data?.whoami).toBe("u-7:CUSTOMER");
    expect(result.data?.books).toHaveLength(2);
    const sent = proxy.requests.filter((r) => r.method === "POST");
    expect(sent).toHaveLength(1);
    captured = sent[0]!;
  });

  afterAll(async () => {
    await proxy?.close();
    await books.stop();
    await reviews.stop();
  });

  it("signs with a nonce and the caller's address, and the subgraph accepted it", () => {
    expect(captured.headers[IdentityHeader.Signature]).toMatch(/^v2=/);
    expect(captured.headers[IdentityHeader.Nonce]).toMatch(/^[\w-]{16,}$/);
    expect(captured.headers[IdentityHeader.Identity]).not.toBe("");
    expect(captured.headers[IdentityHeader.ClientIp]).toBe("127.0.0.1");
  });

  it("refuses the captured request sent again, unchanged", async () => {
    const again = await replay(booksHttp.url, captured.headers, captured.body);
    expect(again).toMatchObject({ status: 401, code: ERRORS.INVALID_ROUTER_SIGNATURE.code });
    expect(again.message).toContain("already used");
  });

  it("refuses the captured headers with another body", async () => {
    const other = await replay(booksHttp.url, captured.headers, JSON.stringify({ query: "{ whoami }" }));
    expect(other).toMatchObject({ status: 401, code: ERRORS.INVALID_ROUTER_SIGNATURE.code });
    expect(other.message).toContain("does not match");
  });

  it("refuses the captured request at another subgraph, which never saw it", async () => {
    const elsewhere = await replay(reviewsHttp.url, captured.headers, captured.body);
    expect(elsewhere).toMatchObject({ status: 401, code: ERRORS.INVALID_ROUTER_SIGNATURE.code });
    expect(elsewhere.message).toContain("does not match");
  });

  it("refuses a forwarded client address changed on the way", async () => {
    const spoofed = await replay(booksHttp.url, { ...captured.headers, [IdentityHeader.ClientIp]: "198.51.100.7" }, captured.body);
    expect(spoofed).toMatchObject({ status: 401, code: ERRORS.INVALID_ROUTER_SIGNATURE.code });
  });
});

describe("upstream subscription sockets signed by the router", () => {
  let club: Bookclub;
  let proxy: RecordingProxy;
  let routerUrl: string;

  beforeAll(async () => {
    club = await startBookclub(SIGNING, { kitSubscriptions: true });
    proxy = await startRecordingProxy(club.urls.reviews);
    routerUrl = await startRouter(club.supergraphSdl(proxy.url));
  });
  afterAll(async () => {
    await proxy?.close();
    await club?.stop();
  });

  it("opens one socket per signed connectionParams: captured ones cannot open another", async () => {
    const client = createClient({ url: routerUrl.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const events = client.iterate({ query: `subscription { reviewAdded(bookId: "b1") { id } }` });
      void events.next();
      await eventually(() => club.subscriptions() === 1, { what: "the router's upstream subscription", timeoutMs: 20_000 });
      expect(proxy.connections).toHaveLength(1);
      const params = proxy.connections[0]!;
      expect(params[IdentityHeader.Signature]).toMatch(/^v2=/);

      const stolen = connectSubgraph(club.urls.reviews.replace(/^http/, "ws"), { connectionParams: params });
      expect((await stolen.closed).code).toBe(4403);
      await stolen.dispose();
      // The router's own socket is still the only one, and still serving.
      await eventually(() => club.sockets() === 1, { what: "the refused socket to go", timeoutMs: 20_000 });
      expect(club.subscriptions()).toBe(1);
      await events.return?.();
    } finally {
      await client.dispose();
    }
  });
});
