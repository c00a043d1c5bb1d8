import { operationFromDocument, Supergraph } from "@apollo/federation-internals";
import type { FetchNode, PlanNode } from "@apollo/query-planner";
import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { silentLogger } from "@store/kit";
import type { GraphQLError } from "../src/graphql.ts";
import { deepMerge } from "../src/execution/deepMerge.ts";
import { executePlanNode, type SubgraphRequest, type SubgraphResponse } from "../src/execution/executePlanNode.ts";
import type { JsonObject } from "../src/execution/jsonObject.ts";
import { flattenAt } from "../src/execution/flattenAt.ts";
import { composeSupergraph } from "@store/supergraph";
import { booksSdl, peopleSdl, reviewsSdl } from "./fixtures/bookclub.ts";

const composed = composeSupergraph([
  { name: "books", url: "http://books/graphql", file: "books.graphql", sdl: booksSdl },
  { name: "people", url: "http://people/graphql", file: "people.graphql", sdl: peopleSdl },
  { name: "reviews", url: "http://reviews/graphql", file: "reviews.graphql", sdl: reviewsSdl },
]);
if (!composed.ok) throw new Error("the bookclub does not compose");
const supergraph = Supergraph.build(composed.supergraphSdl);
const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
const operation = operationFromDocument(supergraph.apiSchema(), parse(`subscription ($bookId: ID!, $withAuthor: Boolean = true) { reviewAdded(bookId: $bookId) { id } }`));

const personFetch = (overrides: Partial<FetchNode> = {}): FetchNode => ({
  kind: "Fetch",
  serviceName: "people",
  operation: "query($representations:[_Any!]!){_entities(representations:$representations){...on Person{name}}}",
  operationName: undefined,
  operationKind: "query" as FetchNode["operationKind"],
  variableUsages: [],
  requires: [{ kind: "InlineFragment", typeCondition: "Person", selections: [{ kind: "Field", name: "__typename" }, { kind: "Field", name: "id" }] }],
  ...overrides,
});

/** Runs `node` against `data` with a fake subgraph; returns what was sent and the errors collected. */
async function run(node: PlanNode, data: JsonObject, answer: (service: string, request: SubgraphRequest) => SubgraphResponse, variables: JsonObject = { bookId: "b1" }) {
  const sent: { service: string; request: SubgraphRequest }[] = [];
  const errors: GraphQLError[] = [];
  await executePlanNode(
    {
      supergraphSchema,
      variables,
      variableDefinitions: operation.variableDefinitions,
      fetch: async (service, request) => {
        sent.push({ service, request });
        return answer(service, request);
      },
      errors,
      logger: silentLogger,
    },
    node,
    [{ value: data, path: [] }],
  );
  return { sent, errors };
}

const namesOf = (request: SubgraphRequest) => ({ _entities: (request.variables.representations as { id: string }[]).map((rep) => ({ name: `name of ${rep.id}` })) });

describe("executePlanNode", () => {
  it("walks lists (nested too) with their response paths and skips nulls", () => {
    const data = { shelves: [{ books: [{ id: "a" }, null] }, null, { books: [{ id: "b" }] }] };
    const found = flattenAt([{ value: data, path: [] }], ["shelves", "@", "books", "@"]).map(({ value, path }) => ({ value, path }));
    expect(found).toEqual([
      { value: { id: "a" }, path: ["shelves", 0, "books", 0] },
      { value: { id: "b" }, path: ["shelves", 2, "books", 0] },
    ]);
  });

  it("sends one representation per distinct entity and merges the answer into every place it sits", async () => {
    const data = { people: [{ __typename: "Person", id: "p1" }, { __typename: "Person", id: "p2" }, { __typename: "Person", id: "p1" }] };
    const { sent, errors } = await run({ kind: "Flatten", path: ["people", "@"], node: personFetch() }, data, (_service, request) => ({ data: namesOf(request) }));
    expect(errors).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.request.variables.representations).toEqual([
      { __typename: "Person", id: "p1" },
      { __typename: "Person", id: "p2" },
    ]);
    expect(data.people.map((p) => (p as JsonObject).name)).toEqual(["name of p1", "name of p2", "name of p1"]);
    // Copies, not one shared object: a later merge into one place stays there.
    expect(data.people[0]).not.toBe(data.people[2]);
  });

  it("skips entities whose required fields are missing (an earlier fetch failed)", async () => {
    const data = { people: [{ __typename: "Person" }, { __typename: "Person", id: "p2" }] };
    const { sent } = await run({ kind: "Flatten", path: ["people", "@"], node: personFetch() }, data, (_service, request) => ({ data: namesOf(request) }));
    expect(sent[0]?.request.variables.representations).toEqual([{ __typename: "Person", id: "p2" }]);
    expect(data.people[0]).toEqual({ __typename: "Person" });
  });

  it("labels entity errors with the subgraph and the entity's place in the response", async () => {
    const data = { people: [{ __typename: "Person", id: "p1" }, { __typename: "Person", id: "p2" }] };
    const { errors } = await run({ kind: "Flatten", path: ["people", "@"], node: personFetch() }, data, () => ({
      data: { _entities: [{ name: "Ursula" }, { name: null }] },
      errors: [{ message: "no name", path: ["_entities", 1, "name"], extensions: { code: "NOT_FOUND" } }],
    }));
    expect(errors.map((e) => e.toJSON())).toEqual([{ message: "no name", path: ["people", 1, "name"], extensions: { code: "NOT_FOUND", serviceName: "people" } }]);
    expect(data.people).toEqual([
      { __typename: "Person", id: "p1", name: "Ursula" },
      { __typename: "Person", id: "p2", name: null },
    ]);
  });

  it("keeps the rest of the data when a subgraph is unreachable or answers the wrong number of entities", async () => {
    const data = { author: { __typename: "Person", id: "p1" }, reviewer: { __typename: "Person", id: "p2" } };
    const plan: PlanNode = {
      kind: "Parallel",
      nodes: [
        { kind: "Flatten", path: ["author"], node: personFetch() },
        { kind: "Flatten", path: ["reviewer"], node: personFetch({ serviceName: "books" }) },
      ],
    };
    const { errors } = await run(plan, data, (service) =>
      service === "people" ? { errors: [{ message: "Subgraph people is unavailable", extensions: { code: "SUBGRAPH_UNAVAILABLE" } }] } : { data: { _entities: [] } },
    );
    expect(errors.map((e) => e.extensions)).toEqual([
      { code: "SUBGRAPH_UNAVAILABLE", serviceName: "people" },
      { code: "DOWNSTREAM_SERVICE_ERROR", serviceName: "books" },
    ]);
    expect(data).toEqual({ author: { __typename: "Person", id: "p1" }, reviewer: { __typename: "Person", id: "p2" } });
  });

  it("applies the planner's input and output rewrites", async () => {
    const data = { author: { __typename: "Author", id: "p1" } };
    const fetch = personFetch({
      requires: [{ kind: "InlineFragment", typeCondition: "Author", selections: [{ kind: "Field", name: "__typename" }, { kind: "Field", name: "id" }] }],
      inputRewrites: [{ kind: "ValueSetter", path: ["... on Author", "__typename"], setValueTo: "Person" }],
      outputRewrites: [{ kind: "KeyRenamer", path: ["... on Person", "name__alias_0"], renameKeyTo: "name" }],
    });
    const { sent } = await run({ kind: "Flatten", path: ["author"], node: fetch }, data, () => ({ data: { _entities: [{ __typename: "Person", name__alias_0: "Ursula" }] } }));
    expect(sent[0]?.request.variables.representations).toEqual([{ __typename: "Person", id: "p1" }]);
    expect(data.author).toEqual({ __typename: "Person", id: "p1", name: "Ursula" });
  });

  it("takes a Condition's branch from the client's variables, or the variable's default", async () => {
    const plan = (): PlanNode => ({ kind: "Condition", condition: "withAuthor", ifClause: { kind: "Flatten", path: ["author"], node: personFetch() } });
    const answer = (_service: string, request: SubgraphRequest) => ({ data: namesOf(request) });
    expect((await run(plan(), { author: { __typename: "Person", id: "p1" } }, answer)).sent).toHaveLength(1);
    expect((await run(plan(), { author: { __typename: "Person", id: "p1" } }, answer, { bookId: "b1", withAuthor: false })).sent).toHaveLength(0);
  });

  it("passes only the variables a fetch uses", async () => {
    const { sent } = await run({ kind: "Flatten", path: ["author"], node: personFetch({ variableUsages: ["bookId"] }) }, { author: { __typename: "Person", id: "p1" } }, (_s, request) => ({ data: namesOf(request) }), {
      bookId: "b1",
      other: 1,
    });
    expect(Object.keys(sent[0]?.request.variables ?? {})).toEqual(["bookId", "representations"]);
  });

  it("merges objects field by field and same-length lists item by item", () => {
    const target: JsonObject = { a: { x: 1 }, list: [{ id: 1 }, { id: 2 }], other: [1] };
    deepMerge(target, { a: { y: 2 }, list: [{ n: "one" }, { n: "two" }], other: [1, 2], ["__proto__"]: { polluted: true } });
    expect(target).toEqual({ a: { x: 1, y: 2 }, list: [{ id: 1, n: "one" }, { id: 2, n: "two" }], other: [1, 2], ["__proto__"]: { polluted: true } });
    expect(({} as JsonObject).polluted).toBeUndefined();
  });
});
