import { describe, expect, it } from "vitest";
import { silentLogger } from "@store/kit";
import { composeSupergraph } from "@store/supergraph";
import type { SubgraphRequest, SubgraphResponse } from "../src/execution/executePlanNode.ts";
import type { JsonObject } from "../src/execution/jsonObject.ts";
import { createOperationLimits } from "../src/limits/operationLimits.ts";
import { SupergraphPlanner } from "../src/planning/SupergraphPlanner.ts";
import { executeSubscriptionEvent } from "../src/subscriptions/executeSubscriptionEvent.ts";
import { booksSdl, peopleSdl, reviewsSdl } from "./fixtures/bookclub.ts";

const composed = composeSupergraph([
  { name: "books", url: "http://books/graphql", file: "books.graphql", sdl: booksSdl },
  { name: "people", url: "http://people/graphql", file: "people.graphql", sdl: peopleSdl },
  { name: "reviews", url: "http://reviews/graphql", file: "reviews.graphql", sdl: reviewsSdl },
]);
if (!composed.ok) throw new Error("the bookclub does not compose");
const planner = new SupergraphPlanner({ urlOverrides: {}, logger: silentLogger, limits: createOperationLimits({ maxTokens: 2000, maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxDirectives: 5, maxSelections: 1500, maxCost: 5000, defaultListSize: 10, weights: {} }) });
planner.update(composed.supergraphSdl);

const QUERY = `subscription { reviewAdded(bookId: "b1") { id book { title } reviewer { name } } }`;
const snapshot = planner.current()!;
const prepared = snapshot.prepare(QUERY, undefined, {});
if ("errors" in prepared) throw new Error("the subscription does not prepare");
const plan = snapshot.plan(QUERY, prepared.document, undefined);

/** Entities as the other subgraphs answer them; `book` lets a test break a book. */
function subgraphs(book: (id: string) => JsonObject = (id) => ({ title: `Title of ${id}` })) {
  const sent: string[] = [];
  const fetch = async (serviceName: string, request: SubgraphRequest): Promise<SubgraphResponse> => {
    sent.push(serviceName);
    const representations = request.variables.representations as { id: string }[];
    if (serviceName === "people") return { data: { _entities: representations.map(({ id }) => ({ name: `Name of ${id}` })) } };
    return { data: { _entities: representations.map(({ id }) => book(id)) } };
  };
  return { fetch, sent };
}

const event = () => ({ data: { reviewAdded: { __typename: "Review", id: "r1", book: { __typename: "Book", id: "b1" }, reviewer: { __typename: "Person", id: "p3" } } } });
const run = (fetch: ReturnType<typeof subgraphs>["fetch"], upstream: object = event()) => executeSubscriptionEvent({ plan, variables: {}, fetch, logger: silentLogger }, upstream);

describe("executeSubscriptionEvent", () => {
  it("runs the plan's entity fetches against the event and shapes the payload to the client's selection", async () => {
    const { fetch, sent } = subgraphs();
    const upstream = event();
    expect(await run(fetch, upstream)).toEqual({ data: { reviewAdded: { id: "r1", book: { title: "Title of b1" }, reviewer: { name: "Name of p3" } } } });
    expect(sent.sort()).toEqual(["books", "people"]);
    // The event is shared by every client of the upstream: it is not merged into.
    expect(upstream).toEqual(event());
  });

  it("labels a failed fetch with its subgraph and keeps the rest of the payload", async () => {
    const { fetch } = subgraphs();
    const failing = async (serviceName: string, request: SubgraphRequest) =>
      serviceName === "people" ? { errors: [{ message: "Subgraph people is unavailable", extensions: { code: "SUBGRAPH_UNAVAILABLE" } }] } : fetch(serviceName, request);
    const result = await run(failing);
    expect(result.data).toEqual({ reviewAdded: { id: "r1", book: { title: "Title of b1" }, reviewer: { name: null } } });
    expect(result.errors?.map((error) => error.toJSON())).toEqual([{ message: "Subgraph people is unavailable", extensions: { code: "SUBGRAPH_UNAVAILABLE", serviceName: "people" } }]);
    expect(result.extensions).toBeUndefined();
  });

  it("puts value-completion errors under extensions.valueCompletion, as a query's response does", async () => {
    const { fetch } = subgraphs(() => ({ title: null }));
    const result = await run(fetch);
    // Book.title, Review.book and Subscription.reviewAdded are non-null: the payload's data is null.
    expect(result.data).toBeNull();
    expect(result.errors).toBeUndefined();
    expect(result.extensions?.valueCompletion.map((error) => error.toJSON())).toEqual([
      { message: "Cannot return null for non-nullable field Book.title.", path: ["reviewAdded", "book", "title"], extensions: { code: "INVALID_GRAPHQL" } },
    ]);
  });

  it("passes on an event without data as the owning subgraph's labelled errors", async () => {
    const { fetch, sent } = subgraphs();
    const result = await run(fetch, { errors: [{ message: "Sign in to follow your own reviews", extensions: { code: "FORBIDDEN" } }] });
    expect(result).toEqual({ errors: [expect.objectContaining({ message: "Sign in to follow your own reviews", extensions: { code: "FORBIDDEN", serviceName: "reviews" } })] });
    expect(sent).toEqual([]);
  });
});
