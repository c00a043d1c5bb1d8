import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { createClient, type Client, type ClientOptions } from "graphql-ws";
import type { FormattedExecutionResult } from "graphql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { issueAccessToken, Role, silentLogger } from "@store/kit";
import { eventually } from "@store/testing";
import { createRouter, loadRouterConfig, type Router } from "../src/index.ts";
import { reviewsSdl, startBookclub, type Bookclub, type ReviewEvent } from "./fixtures/bookclub.ts";

const SIGNING = "router-signing-secret-for-tests-0123456789";
/** How long a test waits for what it expects: generous, for a machine whose two cores another test run shares. */
const WAIT_MS = 20_000;
const JWT = "jwt-secret-for-router-tests-0123456789abcdef";

const REVIEWS = /* GraphQL */ `
  subscription Reviews($bookId: ID!) {
    reviewAdded(bookId: $bookId) {
      __typename
      id
      rating: stars
      book { __typename title headline author { name } }
      mentions { id title author { name who: handle } }
      reviewer { name }
    }
  }
`;
const MINE = /* GraphQL */ `subscription { myReviewAdded { id book { title } reviewer { name } } }`;
const WITH_BODY = /* GraphQL */ `subscription ($bookId: ID!) { reviewAdded(bookId: $bookId) { id body book { title } } }`;

type Payload = FormattedExecutionResult<Record<string, any>, unknown>;

let dir: string;
let club: Bookclub;
let main: RunningRouter;
const routers: Router[] = [];
const clients: Client[] = [];
let reviewCount = 0;

interface RunningRouter {
  router: Router;
  supergraphPath: string;
  wsUrl: string;
  httpUrl: string;
}

/** A router on port 0 in front of `bookclub`; reviews is reached through SUBGRAPH_REVIEWS_URL, not its supergraph URL. */
async function startRouter(bookclub: Bookclub, env: Record<string, string> = {}): Promise<RunningRouter> {
  const path = join(dir, `supergraph-${routers.length}.graphql`);
  writeFileSync(path, bookclub.supergraphSdl("http://127.0.0.1:9/graphql"));
  const router = createRouter({
    config: loadRouterConfig({
      PORT: "0",
      SUPERGRAPH_PATH: path,
      ROUTER_SIGNING_SECRET: SIGNING,
      JWT_SECRET: JWT,
      SUBGRAPH_TIMEOUT_MS: "2000",
      SUBGRAPH_REVIEWS_URL: bookclub.urls.reviews,
      ...env,
    }),
    logger: silentLogger,
  });
  routers.push(router);
  const { url } = await router.listen();
  return { router, supergraphPath: path, httpUrl: url, wsUrl: url.replace(/^http/, "ws") };
}

interface TestClient {
  client: Client;
  /** Close events the client saw, in order. */
  closes: { code: number; reason: string }[];
  sockets: WebSocket[];
}

/** A real graphql-ws client; never retries, so a close the test expects is not hidden by a reconnect. */
function connect(target: RunningRouter, connectionParams?: Record<string, unknown>, options: Partial<ClientOptions> = {}): TestClient {
  const closes: TestClient["closes"] = [];
  const sockets: WebSocket[] = [];
  // Keeps each socket, so a test can pause its reads (a slow client).
  class TrackedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  const client = createClient({
    url: target.wsUrl,
    webSocketImpl: TrackedWebSocket,
    retryAttempts: 0,
    connectionParams,
    on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
    ...options,
  });
  clients.push(client);
  return { client, closes, sockets };
}

function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}) {
  return client.iterate<Record<string, any>>({ query, variables });
}

/** The next payload, or a rejection after `ms`. */
async function nextOf(iterator: AsyncIterator<Payload>, ms = WAIT_MS): Promise<Payload> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no payload within ${ms} ms`)), ms))),
    ]);
    if (result.done) throw new Error("the subscription completed");
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

/** What ends the iterator: the error (graphql-ws Error payload or close event), or "complete". */
async function endOf(iterator: AsyncIterator<Payload>, ms = WAIT_MS): Promise<unknown> {
  const deadline = Date.now() + ms;
  try {
    for (;;) {
      const result = await Promise.race([iterator.next(), new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), Math.max(deadline - Date.now(), 0)).unref())]);
      if (result === "timeout") throw new Error(`the subscription did not end within ${ms} ms`);
      if (result.done) return "complete";
    }
  } catch (error) {
    return error;
  }
}

function review(overrides: Partial<ReviewEvent> = {}): ReviewEvent {
  reviewCount += 1;
  return { id: `r${reviewCount}`, stars: 5, body: "Radiant.", bookId: "b1", mentionIds: [], reviewerId: "p3", ...overrides };
}

const tokenFor = async (userId: string, ttlSeconds = 3600) => (await issueAccessToken(JWT, { userId, roles: [Role.Customer] }, ttlSeconds)).accessToken;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "router-subscriptions-"));
  club = await startBookclub(SIGNING);
  main = await startRouter(club);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  // Refuses leftovers: whatever a test opened on reviews is closed by now.
  await eventually(() => club.sockets() === 0 && club.subscriptions() === 0, { what: "the test's upstream sockets and subscriptions are closed", timeoutMs: WAIT_MS });
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  for (const router of routers) await router.stop();
  await club?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("federated subscriptions through the router", () => {
  it("carries fields from every subgraph in each payload: aliases, __typename, entity lists at depth, @requires", async () => {
    const { client } = connect(main);
    const events = subscribe(client, REVIEWS, { bookId: "b1" });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    club.bookResolutions = 0;
    club.publish(review({ id: "r-first", stars: 4, mentionIds: ["b2", "b1", "b2"], reviewerId: "p3" }));

    const payload = await nextOf(events);
    expect(payload.errors).toBeUndefined();
    expect(payload.data).toEqual({
      reviewAdded: {
        __typename: "Review",
        id: "r-first",
        rating: 4,
        book: { __typename: "Book", title: "The Dispossessed", headline: "The Dispossessed, reviewed", author: { name: "Ursula K. Le Guin" } },
        mentions: [
          { id: "b2", title: "Parable of the Sower", author: { name: "Octavia E. Butler", who: "octavia" } },
          { id: "b1", title: "The Dispossessed", author: { name: "Ursula K. Le Guin", who: "ursula" } },
          { id: "b2", title: "Parable of the Sower", author: { name: "Octavia E. Butler", who: "octavia" } },
        ],
        reviewer: { name: "Ada Reader" },
      },
    });
    // One representation per distinct book and fetch: b1 for `book`, then b2
    // and b1 for the three mentions.
    expect(club.bookResolutions).toBe(3);
    // The owning subgraph saw the router's signature and its request id.
    expect(club.accepted.at(-1)).toMatchObject({ identity: null, requestId: expect.stringMatching(/^[\w.-]+$/) });
    await events.return?.();
  });

  it("delivers events in the order they happened", async () => {
    const { client } = connect(main);
    const events = subscribe(client, REVIEWS, { bookId: "b2" });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const sent = Array.from({ length: 30 }, (_, i) => review({ id: `order-${i}`, bookId: "b2", stars: (i % 5) + 1, mentionIds: i % 2 ? ["b1"] : [] }));
    for (const event of sent) club.publish(event);
    const received: string[] = [];
    for (let i = 0; i < sent.length; i++) received.push((await nextOf(events)).data?.reviewAdded.id);
    expect(received).toEqual(sent.map((event) => event.id));
    await events.return?.();
  });

  it("labels a failed entity fetch with its subgraph and keeps the rest of the payload", async () => {
    const { client } = connect(main);
    const events = subscribe(client, REVIEWS, { bookId: "b1" });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    club.publish(review({ reviewerId: "broken", mentionIds: ["b2"] }));
    const payload = await nextOf(events);
    expect(payload.data?.reviewAdded.reviewer).toEqual({ name: null });
    expect(payload.data?.reviewAdded.mentions[0].author.name).toBe("Octavia E. Butler");
    expect(payload.errors).toEqual([
      expect.objectContaining({ message: "This person has no public name", path: ["reviewAdded", "reviewer", "name"], extensions: expect.objectContaining({ code: "NOT_FOUND", serviceName: "people" }) }),
    ]);
    await events.return?.();
  });

  it("answers invalid subscriptions with GraphQL errors and keeps the socket open", async () => {
    const { client, closes } = connect(main);
    const invalid = await endOf(subscribe(client, `subscription { reviewAdded(bookId: "b1") { nope } }`));
    expect(invalid).toEqual([expect.objectContaining({ locations: [{ line: 1, column: 44 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })]);
    const badVariables = await endOf(subscribe(client, REVIEWS, {}));
    expect(badVariables).toEqual([expect.objectContaining({ extensions: { code: "BAD_USER_INPUT" } })]);
    const unparsable = await endOf(subscribe(client, `subscription {`));
    expect(unparsable).toEqual([expect.objectContaining({ extensions: { code: "GRAPHQL_PARSE_FAILED" } })]);

    const events = subscribe(client, REVIEWS, { bookId: "b1" });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    club.publish(review({ id: "after-errors" }));
    expect((await nextOf(events)).data?.reviewAdded.id).toBe("after-errors");
    // The lazy client closes its socket itself (1000) when it has no subscription left.
    expect(closes.filter((close) => close.code !== 1000)).toEqual([]);
    await events.return?.();
  });

  it("plans new subscriptions on the supergraph the router reloaded", async () => {
    const reloading = await startRouter(club);
    const { client } = connect(reloading);
    const REMOVED = /* GraphQL */ `subscription ($bookId: ID!) { reviewRemoved(bookId: $bookId) }`;
    expect(await endOf(subscribe(client, REMOVED, { bookId: "b1" }))).toEqual([expect.objectContaining({ extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })]);

    // A new version of reviews declares the field; the file is replaced atomically, as a deploy would.
    const next = join(dir, "next.graphql");
    writeFileSync(next, club.supergraphSdl("http://127.0.0.1:9/graphql", reviewsSdl.replace("myReviewAdded: Review!", "myReviewAdded: Review!\n    reviewRemoved(bookId: ID!): ID!")));
    renameSync(next, reloading.supergraphPath);
    const end = await eventually(
      async () => {
        const refusal = (await endOf(subscribe(client, REMOVED, { bookId: "b1" }))) as { extensions?: { code?: string } }[];
        return refusal[0]?.extensions?.code === "GRAPHQL_VALIDATION_FAILED" ? undefined : refusal;
      },
      { what: "the reloaded supergraph to validate reviewRemoved", timeoutMs: WAIT_MS },
    );
    // Planned and sent to reviews, whose running instance does not serve the field yet and says so.
    expect(end).toEqual([expect.objectContaining({ message: expect.stringMatching(/reviewRemoved/), extensions: expect.objectContaining({ serviceName: "reviews" }) })]);
  });

  it("runs queries and mutations sent over the socket through the gateway", async () => {
    const { client } = connect(main);
    const result = await nextOf(subscribe(client, `{ book(id: "b2") { title author { name } } }`));
    expect(result).toEqual({ data: { book: { title: "Parable of the Sower", author: { name: "Octavia E. Butler" } } } });
  });
});

describe("authentication and authorization", () => {
  it("closes with 4401 on a malformed, invalid or expired token", async () => {
    const expired = (await issueAccessToken(JWT, { userId: "p3", roles: [Role.Customer] }, 60, Date.now() - 3_600_000)).accessToken;
    for (const authorization of ["Bearer not-a-jwt", "Token abc", `Bearer ${expired}`]) {
      const { client, closes } = connect(main, { authorization });
      const error = await endOf(subscribe(client, REVIEWS, { bookId: "b1" }));
      expect(error, authorization).toMatchObject({ code: 4401 });
      expect(closes[0]?.code).toBe(4401);
    }
    expect(club.accepted.every((caller) => caller.identity?.userId !== "p3" || caller.identity.roles.length > 0)).toBe(true);
  });

  it("passes on a subgraph's refusal of a subscription as a labelled GraphQL error", async () => {
    const { client } = connect(main);
    expect(await endOf(subscribe(client, REVIEWS, { bookId: "sealed" }))).toEqual([
      expect.objectContaining({ message: "The reviews of this book are sealed", extensions: { code: "FORBIDDEN", serviceName: "reviews" } }),
    ]);
  });

  it("forwards the caller's identity, signed, to the owning subgraph, which authorizes each subscription", async () => {
    const anonymous = connect(main);
    const refused = await nextOf(subscribe(anonymous.client, MINE));
    expect(refused.errors).toEqual([expect.objectContaining({ message: "Sign in to follow your own reviews", extensions: expect.objectContaining({ code: "FORBIDDEN", serviceName: "reviews" }) })]);

    // `Authorization` (as GraphiQL's Headers pane spells it) is accepted too.
    const reader = connect(main, { Authorization: `Bearer ${await tokenFor("p3")}` });
    const events = subscribe(reader.client, MINE);
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the reader's subscription", timeoutMs: WAIT_MS });
    expect(club.accepted.at(-1)?.identity).toEqual({ userId: "p3", roles: [Role.Customer] });
    club.publish(review({ id: "mine", bookId: "b2", reviewerId: "p3" }));
    expect((await nextOf(events)).data).toEqual({ myReviewAdded: { id: "mine", book: { title: "Parable of the Sower" }, reviewer: { name: "Ada Reader" } } });
    await events.return?.();
  });

  it("closes the socket with 4401 when the access token expires", async () => {
    // exp is whole seconds (floor(now) + ttl), so a 1 s token could expire
    // within a millisecond, before the subscription reached reviews on a busy
    // machine: 5 s leaves at least 4 for that, and the test still ends soon.
    const { client, closes } = connect(main, { authorization: `Bearer ${await tokenFor("p3", 5)}` });
    const events = subscribe(client, MINE);
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the subscription", timeoutMs: WAIT_MS });
    expect(await endOf(events)).toMatchObject({ code: 4401, reason: "Access token has expired" });
    expect(closes[0]?.code).toBe(4401);
    await eventually(() => club.subscriptions() === 0, { what: "the upstream subscription is gone", timeoutMs: WAIT_MS });
  });
});

describe("sharing, limits and teardown", () => {
  it("shares identical upstream subscriptions and closes them when the last client leaves", async () => {
    const first = connect(main);
    const second = connect(main);
    const a = subscribe(first.client, REVIEWS, { bookId: "b2" });
    const b = subscribe(second.client, REVIEWS, { bookId: "b2" });
    await eventually(() => main.router.subscriptionStats().subscriptions === 2, { what: "both client subscriptions are running", timeoutMs: WAIT_MS });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    expect(club.subscriptions()).toBe(1);
    expect(club.sockets()).toBe(1);
    club.publish(review({ id: "shared", bookId: "b2" }));
    expect((await nextOf(a)).data?.reviewAdded.id).toBe("shared");
    expect((await nextOf(b)).data?.reviewAdded.id).toBe("shared");

    // Another subscription of the same (anonymous) caller: its own upstream
    // subscription, on the same socket. Another caller: its own socket.
    const c = subscribe(connect(main).client, REVIEWS, { bookId: "b1" });
    const reader = connect(main, { authorization: `Bearer ${await tokenFor("p3")}` });
    const d = subscribe(reader.client, REVIEWS, { bookId: "b2" });
    await eventually(() => club.subscriptions() === 3, { what: "three distinct upstream subscriptions", timeoutMs: WAIT_MS });
    expect(club.sockets()).toBe(2);
    expect(main.router.subscriptionStats().upstream).toEqual({ sockets: 2, subscriptions: 3 });

    await a.return?.();
    await eventually(() => main.router.subscriptionStats().subscriptions === 3, { what: "the first client left", timeoutMs: WAIT_MS });
    expect(club.subscriptions()).toBe(3);
    await b.return?.();
    await eventually(() => club.subscriptions() === 2, { what: "the shared upstream subscription is completed", timeoutMs: WAIT_MS });
    await c.return?.();
    await eventually(() => club.sockets() === 1, { what: "the anonymous socket is closed", timeoutMs: WAIT_MS });
    // A client that just goes away (no Complete) releases its upstreams too.
    await reader.client.dispose();
    await eventually(() => club.sockets() === 0 && club.subscriptions() === 0, { what: "every upstream socket is closed", timeoutMs: WAIT_MS });
    expect(main.router.subscriptionStats()).toEqual({ connections: expect.any(Number), subscriptions: 0, upstream: { sockets: 0, subscriptions: 0 } });
    void d;
  });

  it("runs an event's entity fetches once for all clients of the same subscription", async () => {
    const fetches = async () =>
      (await main.router.metrics.subgraphFetch.get()).values.filter((v) => v.metricName === "router_subgraph_fetch_duration_seconds_count").reduce((n, v) => n + v.value, 0);
    const before = main.router.subscriptionStats().subscriptions;
    const a = subscribe(connect(main).client, REVIEWS, { bookId: "b1" });
    await eventually(() => main.router.subscriptionStats().subscriptions === before + 1, { what: "the first client subscribed", timeoutMs: WAIT_MS });
    // Admitted is not yet live: an event published before reviews has the upstream subscription is nobody's.
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    let start = await fetches();
    club.publish(review({ id: "alone", bookId: "b1" }));
    expect((await nextOf(a)).data?.reviewAdded.id).toBe("alone");
    const forOne = (await fetches()) - start;
    expect(forOne).toBeGreaterThan(0);

    const b = subscribe(connect(main).client, REVIEWS, { bookId: "b1" });
    const c = subscribe(connect(main).client, REVIEWS, { bookId: "b1" });
    await eventually(() => main.router.subscriptionStats().subscriptions === before + 3, { what: "three clients subscribed", timeoutMs: WAIT_MS });
    start = await fetches();
    club.publish(review({ id: "together", bookId: "b1" }));
    const payloads = await Promise.all([nextOf(a), nextOf(b), nextOf(c)]);
    for (const payload of payloads) expect(payload).toEqual(payloads[0]);
    expect(payloads[0]?.data?.reviewAdded.id).toBe("together");
    expect((await fetches()) - start).toBe(forOne);
    await Promise.all([a.return?.(), b.return?.(), c.return?.()]);
  });

  it("limits subscriptions per connection and per router", async () => {
    const limited = await startRouter(club, { SUBSCRIPTIONS_MAX_PER_CONNECTION: "2", SUBSCRIPTIONS_MAX_PER_ROUTER: "3" });
    const one = connect(limited);
    const a1 = subscribe(one.client, REVIEWS, { bookId: "b1" });
    const a2 = subscribe(one.client, REVIEWS, { bookId: "b2" });
    await eventually(() => limited.router.subscriptionStats().subscriptions === 2, { what: "two subscriptions admitted", timeoutMs: WAIT_MS });
    expect(await endOf(subscribe(one.client, REVIEWS, { bookId: "b1" }))).toEqual([
      expect.objectContaining({ extensions: { code: "SUBSCRIPTION_LIMIT_EXCEEDED", scope: "connection", limit: 2 } }),
    ]);

    const two = connect(limited);
    const b1 = subscribe(two.client, REVIEWS, { bookId: "b1" });
    await eventually(() => limited.router.subscriptionStats().subscriptions === 3, { what: "three subscriptions admitted", timeoutMs: WAIT_MS });
    expect(await endOf(subscribe(two.client, REVIEWS, { bookId: "b2" }))).toEqual([expect.objectContaining({ extensions: { code: "SUBSCRIPTION_LIMIT_EXCEEDED", scope: "router", limit: 3 } })]);

    // A slot freed is a slot available again.
    await a2.return?.();
    await eventually(() => limited.router.subscriptionStats().subscriptions === 2, { what: "a slot is free", timeoutMs: WAIT_MS });
    const b2 = subscribe(two.client, REVIEWS, { bookId: "b2" });
    await eventually(() => limited.router.subscriptionStats().subscriptions === 3, { what: "the freed slot is taken", timeoutMs: WAIT_MS });
    await eventually(() => club.subscriptions() === 2, { what: "upstreams are b1 and b2", timeoutMs: WAIT_MS });
    club.publish(review({ id: "limited", bookId: "b2" }));
    expect((await nextOf(b2)).data?.reviewAdded.id).toBe("limited");
    for (const events of [a1, b1, b2]) await events.return?.();
    await eventually(() => club.subscriptions() === 0, { what: "all upstream subscriptions are gone", timeoutMs: WAIT_MS });
  });

  it("disconnects a client too slow to read its events, without holding back the others", async () => {
    const router = await startRouter(club, { SUBSCRIPTION_CLIENT_QUEUE_MAX: "10" });
    const fast = connect(router);
    const slow = connect(router);
    const fastEvents = subscribe(fast.client, WITH_BODY, { bookId: "b1" });
    const slowEvents = subscribe(slow.client, WITH_BODY, { bookId: "b1" });
    await eventually(() => router.router.subscriptionStats().subscriptions === 2, { what: "both subscriptions are running", timeoutMs: WAIT_MS });
    await eventually(() => club.subscriptions() === 1, { what: "they share one upstream subscription", timeoutMs: WAIT_MS });

    // The slow client stops reading: TCP buffers fill, then its queue at the router.
    slow.sockets[0]?.pause();
    let sent = 0;
    while (router.router.subscriptionStats().subscriptions === 2) {
      if (sent >= 400) throw new Error("the slow client was never disconnected");
      // Large, incompressible payloads fill the kernel's buffers in a few dozen events.
      club.publish(review({ id: `flood-${sent}`, body: randomBytes(128 * 1024).toString("hex") }));
      sent += 1;
      expect((await nextOf(fastEvents)).data?.reviewAdded.id).toBe(`flood-${sent - 1}`);
    }
    // The fast client keeps its subscription, and the shared upstream stays.
    expect(club.subscriptions()).toBe(1);
    club.publish(review({ id: "still-flowing" }));
    expect((await nextOf(fastEvents)).data?.reviewAdded.id).toBe("still-flowing");

    // Once it reads again, the slow client finds the close behind the data it missed.
    slow.sockets[0]?.resume();
    await eventually(() => slow.closes.length > 0, { what: "the slow client sees its socket closed", timeoutMs: WAIT_MS });
    expect(slow.closes[0]).toMatchObject({ code: 1013, reason: expect.stringMatching(/^Slow consumer/) });
    expect(await router.router.metrics.registry.getSingleMetricAsString("router_ws_disconnects_total")).toMatch(/reason="slow_consumer"\} 1/);
    void slowEvents;
    await fastEvents.return?.();
    await eventually(() => club.subscriptions() === 0, { what: "the upstream subscription is gone", timeoutMs: WAIT_MS });
  });

  it("closes client sockets with 1001 and every upstream socket when the router stops", async () => {
    const router = await startRouter(club);
    const anonymous = connect(router);
    const reader = connect(router, { authorization: `Bearer ${await tokenFor("p3")}` });
    const events = [subscribe(anonymous.client, REVIEWS, { bookId: "b1" }), subscribe(reader.client, MINE)];
    await eventually(() => club.sockets() === 2 && club.subscriptions() === 2, { what: "both upstreams are open", timeoutMs: WAIT_MS });
    // Pulled before the close: graphql-ws's iterate() loses an end that arrives before the first next().
    const ends = events.map((iterator) => endOf(iterator));
    await router.router.stop();
    // stop() waited for the router's side of each closing handshake; the fixture's side follows at once.
    await eventually(() => club.sockets() === 0 && club.subscriptions() === 0, { what: "upstream sockets and subscriptions are gone", timeoutMs: WAIT_MS });
    for (const client of [anonymous, reader]) expect(client.closes[0]).toMatchObject({ code: 1001 });
    for (const end of await Promise.all(ends)) expect(end).toMatchObject({ code: 1001 });
  });
});

describe("an owning subgraph that goes away", () => {
  let flaky: Bookclub;
  let router: RunningRouter;

  beforeAll(async () => {
    flaky = await startBookclub(SIGNING);
    router = await startRouter(flaky, { SUBSCRIPTION_UPSTREAM_RETRY_ATTEMPTS: "3", SUBSCRIPTION_UPSTREAM_RETRY_DELAY_MS: "50" });
  });

  afterAll(async () => {
    await router?.router.stop();
    await flaky?.stop();
  });

  it("resumes the client's subscription when the subgraph comes back", async () => {
    const { client } = connect(router);
    const events = subscribe(client, REVIEWS, { bookId: "b1" });
    await eventually(() => flaky.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    flaky.publish(review({ id: "before" }));
    expect((await nextOf(events)).data?.reviewAdded.id).toBe("before");

    await flaky.stopReviews();
    await flaky.startReviews();
    await eventually(() => flaky.subscriptions() === 1, { what: "the router resubscribed", timeoutMs: WAIT_MS });
    flaky.publish(review({ id: "after" }));
    expect((await nextOf(events)).data?.reviewAdded.id).toBe("after");
    await events.return?.();
    await eventually(() => flaky.sockets() === 0, { what: "the upstream socket is closed", timeoutMs: WAIT_MS });
  });

  it("drops an upstream socket that stops answering pings, and resubscribes", async () => {
    const watchful = await startRouter(flaky, { SUBSCRIPTION_UPSTREAM_KEEPALIVE_MS: "100", SUBSCRIPTION_UPSTREAM_RETRY_DELAY_MS: "50" });
    const { client } = connect(watchful);
    const events = subscribe(client, REVIEWS, { bookId: "b1" });
    await eventually(() => flaky.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const thaw = flaky.freezeSockets();
    // The frozen socket's subscription still counts on reviews; the router's new one makes two.
    await eventually(() => flaky.subscriptions() === 2, { what: "the router resubscribed on a new socket", timeoutMs: WAIT_MS });
    flaky.publish(review({ id: "after-freeze" }));
    expect((await nextOf(events)).data?.reviewAdded.id).toBe("after-freeze");
    thaw();
    await events.return?.();
    await watchful.router.stop();
    await eventually(() => flaky.sockets() === 0 && flaky.subscriptions() === 0, { what: "every upstream socket is closed", timeoutMs: WAIT_MS });
  });

  it("ends the client's subscription with SUBSCRIPTION_SOURCE_LOST when it does not", async () => {
    const { client, closes } = connect(router);
    const events = subscribe(client, REVIEWS, { bookId: "b2" });
    await eventually(() => flaky.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    const end = endOf(events);
    await flaky.stopReviews();
    const error = await end;
    expect(error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "SUBSCRIPTION_SOURCE_LOST", serviceName: "reviews" }) })]);
    // Only that subscription ended; the router did not close the client's socket.
    expect(closes.filter((close) => close.code !== 1000)).toEqual([]);
    expect(router.router.subscriptionStats()).toMatchObject({ subscriptions: 0, upstream: { sockets: 0, subscriptions: 0 } });
    await flaky.startReviews();
  });
});

describe("with the kit's subscription server on the owning subgraph", () => {
  let kitClub: Bookclub;
  let router: RunningRouter;

  beforeAll(async () => {
    kitClub = await startBookclub(SIGNING, { kitSubscriptions: true });
    router = await startRouter(kitClub);
  });

  afterAll(async () => {
    await router?.router.stop();
    await kitClub?.stop();
  });

  it("speaks the subgraphs' contract: signed connectionParams, federated payloads, authorization, teardown", async () => {
    const anonymous = connect(router);
    const refused = await nextOf(subscribe(anonymous.client, MINE));
    expect(refused.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "FORBIDDEN", serviceName: "reviews" }) })]);

    const reader = connect(router, { authorization: `Bearer ${await tokenFor("p3")}` });
    const events = subscribe(reader.client, REVIEWS, { bookId: "b2" });
    await eventually(() => kitClub.subscriptions() === 1, { what: "reviews has the upstream subscription", timeoutMs: WAIT_MS });
    kitClub.publish(review({ id: "via-kit", bookId: "b2", mentionIds: ["b1"], reviewerId: "p3" }));
    const payload = await nextOf(events);
    expect(payload.errors).toBeUndefined();
    expect(payload.data?.reviewAdded).toMatchObject({ id: "via-kit", book: { title: "Parable of the Sower", author: { name: "Octavia E. Butler" } }, mentions: [{ author: { who: "ursula" } }], reviewer: { name: "Ada Reader" } });
    await events.return?.();
    await eventually(() => kitClub.sockets() === 0 && kitClub.subscriptions() === 0, { what: "the kit's socket and subscription are closed", timeoutMs: WAIT_MS });
  });
});

describe("GraphiQL", () => {
  it("subscribes from the page's own graphql-ws client with the Authorization header from its Headers pane", async () => {
    const html = await (await fetch(main.httpUrl, { headers: { accept: "text/html" } })).text();
    const script = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].at(-1)?.[1];
    expect(script).toBeDefined();
    const umd = await (await fetch(new URL("/graphiql/graphql-ws.js", main.httpUrl))).text();
    // The page's script with its real graphql-ws build; GraphiQL and React are
    // stand-ins (createFetcher hands subscriptions to the ws client, as GraphiQL's does).
    let props: { fetcher(params: unknown, options: unknown): AsyncIterableIterator<Payload> } | undefined;
    const page = {
      WebSocket,
      URL,
      setTimeout,
      clearTimeout,
      console,
      location: { href: main.httpUrl },
      document: { getElementById: () => ({}) },
      React: { createElement: (_component: unknown, given: typeof props) => (props = given) },
      ReactDOM: { createRoot: () => ({ render: () => {} }) },
      GraphiQL: { createFetcher: ({ wsClient }: { wsClient: Client }) => (params: { query: string }) => wsClient.iterate(params) },
    };
    runInNewContext(umd, page);
    runInNewContext(script!, page);
    expect(props).toBeDefined();

    const events = props!.fetcher({ query: MINE }, { headers: { Authorization: `Bearer ${await tokenFor("p3")}` } });
    await eventually(() => club.subscriptions() === 1, { what: "reviews has the GraphiQL subscription", timeoutMs: WAIT_MS });
    club.publish(review({ id: "from-graphiql", reviewerId: "p3" }));
    expect((await nextOf(events)).data?.myReviewAdded.id).toBe("from-graphiql");
    await events.return?.();
    await eventually(() => club.sockets() === 0, { what: "the upstream socket is closed", timeoutMs: WAIT_MS });
  });
});
