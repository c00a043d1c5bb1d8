import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ERRORS } from "@store/kit";
import { createFormatError, toFormatted } from "../src/edge/formatError.ts";
import { GraphQLError } from "../src/graphql.ts";
import { createOperationLimits } from "../src/limits/operationLimits.ts";
import { createMetrics } from "../src/metrics.ts";

const limits = createOperationLimits({ maxTokens: 2000, maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxDirectives: 5, maxSelections: 1500, maxCost: 5000, defaultListSize: 10, weights: {} });

function setup(suggestions = true) {
  const lines: string[] = [];
  const logger = pino({ level: "error" }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  const metrics = createMetrics();
  const formatError = createFormatError(logger, metrics, limits, suggestions);
  const counted = async () => Object.fromEntries((await metrics.errors.get()).values.map((value) => [`${value.labels.code}/${value.labels.subgraph}`, value.value]));
  return { formatError, lines, counted };
}

describe("toFormatted", () => {
  it("gives an error without a code INTERNAL_SERVER_ERROR, and keeps a formatted one as it is", () => {
    expect(toFormatted(new GraphQLError("boom", { path: ["a", 0] }))).toEqual({ message: "boom", path: ["a", 0], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(toFormatted(ERRORS.NOT_FOUND.err("gone"))).toEqual({ message: "gone", extensions: { code: "NOT_FOUND" } });
    const formatted = { message: "sealed", extensions: { code: "FORBIDDEN", serviceName: "reviews" } };
    expect(toFormatted(formatted)).toBe(formatted);
  });
});

describe("createFormatError", () => {
  it("passes catalogue codes and subgraphs' errors, counted by code and subgraph", async () => {
    const { formatError, lines, counted } = setup();
    const coded = ERRORS.BAD_USER_INPUT.err("bad");
    expect(formatError(toFormatted(coded), coded)).toEqual({ message: "bad", extensions: { code: "BAD_USER_INPUT" } });
    const subgraphs = { message: "Subgraph books failed", extensions: { code: "INTERNAL_SERVER_ERROR", serviceName: "books" } };
    expect(formatError(subgraphs, subgraphs)).toBe(subgraphs);
    expect(await counted()).toEqual({ "BAD_USER_INPUT/": 1, "INTERNAL_SERVER_ERROR/books": 1 });
    expect(lines).toEqual([]);
  });

  it("masks and logs anything else, keeping its path", async () => {
    const { formatError, lines } = setup();
    const bug = new GraphQLError("Cannot read properties of undefined (reading 'id')", { path: ["books", 1] });
    expect(formatError(toFormatted(bug), bug)).toEqual({ message: "Internal server error", path: ["books", 1], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("reading 'id'");
  });

  it("answers Apollo Server's parser limits in the router's own words", () => {
    const { formatError } = setup();
    const tokens = { message: "Syntax Error: Document contains more that 2000 tokens. Parsing aborted.", extensions: { code: "GRAPHQL_PARSE_FAILED" } };
    expect(formatError(tokens, undefined)).toEqual({ message: expect.stringMatching(/more tokens than the limit of 2000/), extensions: { code: "OPERATION_LIMIT_EXCEEDED", limit: "tokens", maximum: 2000 } });
    const deep = { message: "Maximum call stack size exceeded", extensions: { code: "GRAPHQL_PARSE_FAILED" } };
    expect(formatError(deep, undefined)).toEqual({ message: "Syntax Error: the document is nested too deeply to parse", extensions: { code: "GRAPHQL_PARSE_FAILED" } });
    const limit = { message: "The operation is nested deeper than the limit of 15 (depth: 22)", extensions: { code: "GRAPHQL_VALIDATION_FAILED", limit: "depth" } };
    expect(formatError(limit, undefined).extensions?.code).toBe("OPERATION_LIMIT_EXCEEDED");
  });

  it("drops 'Did you mean' suggestions when introspection is off", () => {
    const typo = { message: 'Cannot query field "titel" on type "Book". Did you mean "title"?', extensions: { code: "GRAPHQL_VALIDATION_FAILED" } };
    expect(setup(false).formatError(typo, undefined).message).toBe('Cannot query field "titel" on type "Book".');
    expect(setup(true).formatError(typo, undefined).message).toBe(typo.message);
  });
});
