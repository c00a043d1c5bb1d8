import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeErrors, ERROR_MESSAGES, isMissing, NETWORK_MESSAGE, onlyPartsMissing, type GraphQLErrorLike } from "../src/errors.ts";

const error = (code: string, message = "details", extra: Partial<GraphQLErrorLike> = {}): GraphQLErrorLike => ({ message, ...extra, extensions: { code, ...extra.extensions } });
const describeOne = (...errors: GraphQLErrorLike[]) => describeErrors({ graphQLErrors: errors });

describe("describeErrors", () => {
  it("has a message for every code in the README's error table, and no code that is not there", () => {
    // The README's table is rendered from the platform's catalogue (a test there keeps them equal).
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const errorsSection = readme.slice(readme.indexOf("### Errors"), readme.indexOf("\n## ", readme.indexOf("### Errors")));
    const documented = [...errorsSection.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThan(20);
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual([...documented].sort());
  });

  it("puts each BAD_USER_INPUT issue on its form field, and says so once for the page", () => {
    const described = describeOne(
      error("BAD_USER_INPUT", "Invalid input: password: too short; email: invalid", {
        extensions: { issues: [{ field: "password", message: "password must be at least 10 characters" }, { field: "input.email", message: "Invalid email address" }] },
      }),
    );
    expect(described.fields).toEqual({ password: "password must be at least 10 characters", email: "Invalid email address" });
    expect(described.messages).toEqual(["Please correct the fields marked below."]);
    expect(described.codes).toEqual(["BAD_USER_INPUT"]);
  });

  it("shows a whole-form issue ((input)) as a message, and a BAD_USER_INPUT without issues by its text", () => {
    expect(describeOne(error("BAD_USER_INPUT", "x", { extensions: { issues: [{ field: "(input)", message: "at most 10 addresses per user" }] } })).messages).toEqual(["at most 10 addresses per user"]);
    expect(describeOne(error("BAD_USER_INPUT", "Invalid input: after: not a valid cursor")).messages).toEqual(["Please check what you entered: after: not a valid cursor"]);
  });

  it.each([
    ["INVALID_CREDENTIALS", /email and password do not match/],
    ["INSUFFICIENT_STOCK", /not enough stock/],
    ["UNAUTHENTICATED", /sign in/],
    ["FORBIDDEN", /not allowed/],
    ["CONFLICT", /already taken/],
    ["SUPERGRAPH_NOT_READY", /starting up/],
    ["INTERNAL_SERVER_ERROR", /on our side \(INTERNAL_SERVER_ERROR\)/],
  ])("says what %s means for the shopper", (code, expected) => {
    expect(describeOne(error(code, "server text")).messages).toEqual([expect.stringMatching(expected)]);
  });

  it("says when to retry after RATE_LIMITED and SERVICE_OVERLOADED", () => {
    expect(describeOne(error("RATE_LIMITED", "x", { extensions: { retryAfterSeconds: 42 } })).messages).toEqual(["Too many attempts in a short time. Try again in 42 seconds."]);
    expect(describeOne(error("SERVICE_OVERLOADED", "x", { extensions: { retryAfterSeconds: 1 } })).messages[0]).toMatch(/nothing was saved\. Try again in 1 second\.$/);
    expect(describeOne(error("RATE_LIMITED")).messages[0]).toMatch(/Try again in a minute\.$/);
  });

  it("keeps the server's reason for INVALID_STATE", () => {
    expect(describeOne(error("INVALID_STATE", "order is PAID; only PENDING or AWAITING_PAYMENT orders can be cancelled")).messages).toEqual([
      "That is no longer possible: order is PAID; only PENDING or AWAITING_PAYMENT orders can be cancelled",
    ]);
  });

  it("marks the parts a subgraph could not give (SUBGRAPH_UNAVAILABLE), once for the page", () => {
    const described = describeOne(
      error("SUBGRAPH_UNAVAILABLE", "payments down", { path: ["order", "payment"] }),
      error("SUBGRAPH_TIMEOUT", "shipping slow", { path: ["order", "shipment"] }),
    );
    expect(described.messages).toHaveLength(1);
    expect(described.messages[0]).toMatch(/could not be loaded right now/);
    expect(isMissing(described, ["order", "payment"])).toBe(true);
    expect(isMissing(described, ["order", "payment", "status"])).toBe(true);
    expect(isMissing(described, ["order", "shipment"])).toBe(true);
    expect(isMissing(described, ["order", "lines"])).toBe(false);
    expect(onlyPartsMissing(described)).toBe(true);
    // A real failure beside a missing part is not "only parts missing".
    expect(onlyPartsMissing(describeOne(error("SUBGRAPH_UNAVAILABLE", "x", { path: ["order"] }), error("FORBIDDEN")))).toBe(false);
  });

  it("marks what a subgraph resolves when its whole fetch failed (no path, its serviceName)", () => {
    const described = describeOne(error("SUBGRAPH_UNAVAILABLE", "payments could not be reached", { extensions: { serviceName: "payments" } }));
    expect(described.unavailable).toEqual(["payments"]);
    expect(isMissing(described, ["order", "payment"], "payments")).toBe(true);
    expect(isMissing(described, ["order", "shipment"], "shipping")).toBe(false);
    // Without a path or a service, anything may be missing.
    expect(isMissing(describeOne(error("SUBGRAPH_UNAVAILABLE")), ["order", "shipment"], "shipping")).toBe(true);
  });

  it("answers a request that never reached the store with the network message, and an unknown code with a generic one", () => {
    expect(describeErrors({ graphQLErrors: [], networkError: new TypeError("Failed to fetch") }).messages).toEqual([NETWORK_MESSAGE]);
    expect(describeOne(error("SOMETHING_NEW")).messages).toEqual(["Something went wrong. Please try again."]);
    expect(describeErrors(undefined)).toEqual({ messages: [], fields: {}, missing: [], unavailable: [], codes: [] });
  });
});
