import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type RunningSubgraph } from "@store/kit";
import { documentIdOf } from "@store/supergraph";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { composeBookshop, createBooksSubgraph, createReviewsSubgraph } from "./fixtures/bookshop.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";
const REGISTERED = "query Shelf {\n  books { title reviews { stars } }\n}\n";

let dir: string;
let books: ReturnType<typeof createBooksSubgraph>;
let reviews: ReturnType<typeof createReviewsSubgraph>;
let running: RunningSubgraph[] = [];
let router: Router;
let url: string;

const post = async (body: unknown) => {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trusted-"));
  mkdirSync(join(dir, "operations", "shop"), { recursive: true });
  writeFileSync(join(dir, "operations", "shop", "Shelf.graphql"), REGISTERED);
  books = createBooksSubgraph();
  reviews = createReviewsSubgraph();
  running = [await books.listen({ port: 0, routerSigningSecret: SIGNING }), await reviews.listen({ port: 0, routerSigningSecret: SIGNING })];
  writeFileSync(join(dir, "supergraph.graphql"), composeBookshop({ books: running[0]!.url, reviews: running[1]!.url }));
  router = createRouter({
    config: loadRouterConfig({
      PORT: "0",
      SUPERGRAPH_PATH: join(dir, "supergraph.graphql"),
      ROUTER_SIGNING_SECRET: SIGNING,
      JWT_SECRET: JWT,
      TRUSTED_DOCUMENTS: "require",
      OPERATIONS_DIR: join(dir, "operations"),
    }),
    logger: silentLogger,
  });
  ({ url } = await router.listen());
});

afterAll(async () => {
  await router?.stop();
  await books?.stop();
  await reviews?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("trusted documents", () => {
  it("runs a registered operation sent by its id alone", async () => {
    const id = documentIdOf(parse(REGISTERED));
    const { status, body } = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.books).toHaveLength(2);
  });

  it("runs a registered operation sent as its printed text", async () => {
    const { body } = await post({ query: print(parse(REGISTERED)) });
    expect(body.errors).toBeUndefined();
  });

  it("refuses any other operation with a clear error", async () => {
    const { status, body } = await post({ query: "{ books { title year } }" });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe("TRUSTED_DOCUMENT_REQUIRED");
  });

  it("does not let a client register a new document", async () => {
    const query = "{ books { id } }";
    const { createHash } = await import("node:crypto");
    const sha256Hash = createHash("sha256").update(query).digest("hex");
    const registration = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(registration.body.errors?.[0]?.extensions?.code).toBe("TRUSTED_DOCUMENT_REQUIRED");
    const replay = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(replay.body.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});
