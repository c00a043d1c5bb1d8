import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS, isClientSafe, renderErrorTable } from "../src/index.ts";

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");

/** The README's "Errors" table: the lines from its header row to the first line that is not a row. */
function readmeTable(): string {
  const start = readme.indexOf("| code | HTTP | meaning |", readme.indexOf("### Errors"));
  expect(start).toBeGreaterThan(0);
  const lines = readme.slice(start).split("\n");
  const end = lines.findIndex((line) => !line.startsWith("|"));
  return lines.slice(0, end).join("\n");
}

describe("the error catalogue", () => {
  it("is the README's error table, row for row (regenerate it with renderErrorTable())", () => {
    expect(readmeTable()).toBe(renderErrorTable());
  });

  it("keys every entry by its own code", () => {
    for (const [key, entry] of Object.entries(ERRORS)) expect(entry.code).toBe(key);
  });

  it("builds GraphQL errors that carry the code beside the given extensions and path", () => {
    const error = ERRORS.NOT_FOUND.err("Order o-1 does not exist", { extensions: { field: "orderId" }, path: ["cancelOrder"] });
    expect(error.message).toBe("Order o-1 does not exist");
    expect(error.path).toEqual(["cancelOrder"]);
    expect(error.extensions).toEqual({ field: "orderId", code: "NOT_FOUND" });
  });

  it("counts only catalogued and GraphQL parse/validation codes as safe to show a client", () => {
    expect(isClientSafe("RATE_LIMITED")).toBe(true);
    expect(isClientSafe("GRAPHQL_VALIDATION_FAILED")).toBe(true);
    expect(isClientSafe("P2002")).toBe(false);
    expect(isClientSafe(undefined)).toBe(false);
  });
});
