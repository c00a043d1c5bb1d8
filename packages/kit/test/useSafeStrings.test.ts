import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_SIGNING_SECRET } from "@store/testing";
import {
  createSubgraph,
  decodeCursor,
  encodeCursor,
  encodeIdentity,
  ERRORS,
  findUnsafeStrings,
  gql,
  signRouterRequest,
  silentLogger,
  unsafeCharacterIn,
  type RequestContextBase,
  type RunningSubgraph,
  type Subgraph,
} from "../src/index.ts";
import { z } from "zod";

const NUL = "\u0000";
const LONE_HIGH = "\ud83d";
const LONE_LOW = "\ude00";
const EMOJI = "\ud83d\ude00";

describe("unsafeCharacterIn", () => {
  it("finds NUL characters and unpaired surrogates, and passes everything else", () => {
    expect(unsafeCharacterIn(`a${NUL}b`)).toMatch(/NUL/);
    expect(unsafeCharacterIn(`a${LONE_HIGH}`)).toMatch(/surrogate/);
    expect(unsafeCharacterIn(`${LONE_HIGH}b`)).toMatch(/surrogate/);
    expect(unsafeCharacterIn(`a${LONE_LOW}b`)).toMatch(/surrogate/);
    expect(unsafeCharacterIn(`${LONE_LOW}${LONE_HIGH}`)).toMatch(/surrogate/);
    expect(unsafeCharacterIn(`caf\u00e9 ${EMOJI} \u4e2d\u6587 \t\n`)).toBeUndefined();
    expect(unsafeCharacterIn("")).toBeUndefined();
  });

  it("walks nested values by path, keys included, without recursion", () => {
    expect(findUnsafeStrings({ a: [1, "ok", { b: `x${NUL}` }], [`k${NUL}`]: "v" }, "$input")).toEqual([
      { field: "$input.a.2.b", message: expect.stringMatching(/NUL/) },
      { field: "$input.(key)", message: expect.stringMatching(/NUL/) },
    ]);
    let deep: unknown = `deep${LONE_LOW}`;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeStrings(deep, "$v")).toHaveLength(1);
  });

  it("makes a cursor holding one undecodable: BAD_USER_INPUT, not a driver error", () => {
    const schema = z.object({ v: z.string() });
    expect(decodeCursor(schema, encodeCursor({ v: "fine" }))).toEqual({ v: "fine" });
    expect(() => decodeCursor(schema, encodeCursor({ v: `bad${NUL}` }))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: ERRORS.BAD_USER_INPUT.code }) }));
    expect(() => decodeCursor(schema, Buffer.from(`{"v":"\\ud800"}`).toString("base64url"))).toThrow(/not a valid cursor/);
  });
});

describe("useSafeStrings in a kit subgraph", () => {
  let resolved = 0;
  let subgraph: Subgraph<RequestContextBase>;
  let running: RunningSubgraph;

  beforeAll(async () => {
    subgraph = createSubgraph<RequestContextBase>({
      name: "toy",
      typeDefs: gql`
        input Filter {
          search: String
          tags: [String!]
          nested: Filter
        }
        type Query {
          echo(text: String, id: ID, filter: Filter, count: Int): String
        }
      `,
      resolvers: {
        Query: {
          echo: (_: unknown, args: { text?: string; filter?: unknown }) => {
            resolved++;
            return args.text ?? JSON.stringify(args.filter ?? null);
          },
        },
      },
      logger: silentLogger,
      createContext: (base) => base,
    });
    running = await subgraph.listen({ port: 0, routerSigningSecret: TEST_SIGNING_SECRET });
  });
  afterAll(() => subgraph.stop());

  type Result = { data?: unknown; errors?: { message: string; extensions: { code: string; issues?: { field: string; message: string }[] } }[] };
  const issuesOf = (result: Result) => result.errors?.[0]?.extensions.issues?.map((issue) => issue.field);

  /** Refused before any resolver ran: the counter proves it. */
  async function refused(query: string, variables?: Record<string, unknown>): Promise<Result> {
    const before = resolved;
    const result = (await subgraph.execute(query, variables)) as Result;
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((e) => e.extensions.code)).toEqual([ERRORS.BAD_USER_INPUT.code]);
    expect(resolved).toBe(before);
    return result;
  }

  it("refuses NUL and lone surrogates in variables, naming the variable and the path", async () => {
    const query = `query($text: String, $id: ID, $filter: Filter) { echo(text: $text, id: $id, filter: $filter) }`;
    expect(issuesOf(await refused(query, { text: `a${NUL}` }))).toEqual(["$text"]);
    expect(issuesOf(await refused(query, { id: `1${LONE_HIGH}` }))).toEqual(["$id"]);
    expect(issuesOf(await refused(query, { filter: { nested: { tags: ["ok", `x${LONE_LOW}`] } } }))).toEqual(["$filter.nested.tags.1"]);
    const both = await refused(query, { text: NUL, filter: { search: LONE_HIGH } });
    expect(issuesOf(both)).toEqual(["$text", "$filter.search"]);
    expect(both.errors?.[0]?.message).toMatch(/\$text: must not contain a NUL character; \$filter.search: must not contain an unpaired UTF-16 surrogate/);
  });

  it("refuses them in argument literals and variable defaults", async () => {
    expect(issuesOf(await refused(`{ echo(text: "a\\u0000b") }`))).toEqual(["text"]);
    expect(issuesOf(await refused(`{ echo(filter: { nested: { tags: ["\\u0000"] } }) }`))).toEqual(["filter.nested.tags.0"]);
    expect(issuesOf(await refused(`query($t: String = "\\u0000") { echo(text: $t) }`))).toEqual(["$t"]);
    expect(issuesOf(await refused(`{ echo(text: "ok") @skip(if: false) @include(if: true) ... on Query { e2: echo(id: "\\u0000") } }`))).toEqual(["id"]);
  });

  it("lets every other string through, emoji and non-Latin scripts included", async () => {
    const result = (await subgraph.execute(`query($text: String) { echo(text: $text) }`, { text: `caf\u00e9 ${EMOJI} \u4e2d\u6587` })) as Result;
    expect(result).toEqual({ data: { echo: `caf\u00e9 ${EMOJI} \u4e2d\u6587` } });
  });

  it("answers HTTP 400 when it refuses the whole request", async () => {
    const body = JSON.stringify({ query: `query($f: Filter) { echo(filter: $f) }`, variables: { f: { search: "\u0000" } } });
    const headers = signRouterRequest(TEST_SIGNING_SECRET, { method: "POST", subgraph: "toy", body, identity: encodeIdentity(null) });
    const response = await fetch(running.url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    expect(response.status).toBe(400);
    const result = (await response.json()) as Result;
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: ERRORS.BAD_USER_INPUT.code, issues: [{ field: "$f.search" }] });
    // The status travels in extensions.http inside the server; it never reaches the client.
    expect(result.errors?.[0]?.extensions).not.toHaveProperty("http");
  });
});
