import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERRORS } from "@store/kit";
import { ROUTER_ERRORS } from "../src/errors.ts";
import { TRUSTED_DOCUMENT_REQUIRED } from "../src/trustedDocuments.ts";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
/** The codes in the first column of README's "Errors" table. */
const documented = new Set(
  [...readme.slice(readme.indexOf("### Errors"), readme.indexOf("## Running it for real")).matchAll(/^\| ([^|]+) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!)),
);

describe("README's error table", () => {
  it("documents every code a client can receive", () => {
    const codes = new Set<string>([
      ...Object.values(ROUTER_ERRORS).map((entry) => entry.code),
      ...Object.values(ERRORS).map((entry) => entry.code),
      TRUSTED_DOCUMENT_REQUIRED,
      // Raised by Apollo Server or the HTTP layer and passed through as they are.
      "BAD_REQUEST",
      "PAYLOAD_TOO_LARGE",
      "PERSISTED_QUERY_NOT_FOUND",
      // The response shaper's, as @apollo/gateway's.
      "INVALID_GRAPHQL",
    ]);
    const missing = [...codes].filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });
});
