import { describe, expect, it } from "vitest";
import { ConfigError } from "@store/kit";
import { databaseServer, databaseUrlOf, databaseUrlsOf, redactUrl } from "./databases.ts";

const SERVER = "postgresql://postgres@127.0.0.1:5432";

/** The variables a ConfigError names, for terse assertions. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("where each service's database is", () => {
  it("is <server>/<prefix><name>, keeping the server's parameters", () => {
    expect(databaseUrlOf("orders", { DATABASE_SERVER_URL: SERVER })).toBe(`${SERVER}/orders`);
    expect(databaseUrlOf("orders", { DATABASE_SERVER_URL: `${SERVER}/`, DATABASE_NAME_PREFIX: "staging_" })).toBe(`${SERVER}/staging_orders`);
    expect(databaseUrlOf("cart", { DATABASE_SERVER_URL: "postgres://u:secret@db:5432?sslmode=require" })).toBe("postgres://u:secret@db:5432/cart?sslmode=require");
    expect(databaseServer({ DATABASE_SERVER_URL: SERVER, DATABASE_NAME_PREFIX: "t_" }).nameOf("inventory")).toBe("t_inventory");
    expect(databaseServer({ DATABASE_SERVER_URL: SERVER }).maintenanceUrl).toBe(`${SERVER}/postgres`);
  });

  it("lets DATABASE_URL win for one service, never for all seven", () => {
    const env = { DATABASE_URL: "postgresql://elsewhere/mine", DATABASE_SERVER_URL: SERVER };
    expect(databaseUrlOf("orders", env)).toBe("postgresql://elsewhere/mine");
    expect(databaseUrlsOf(["orders"], env)).toEqual({ urls: new Map([["orders", "postgresql://elsewhere/mine"]]), ignoredDatabaseUrl: false });
    const all = databaseUrlsOf(["accounts", "orders"], env);
    expect([...all.urls.values()]).toEqual([`${SERVER}/accounts`, `${SERVER}/orders`]);
    expect(all.ignoredDatabaseUrl).toBe(true);
  });

  it("names the variable that is missing or wrong", () => {
    expect(problemsOf(() => databaseUrlOf("orders", {}))).toEqual(["DATABASE_URL"]);
    // Empty is unset, as in a shell's `VAR= cmd`.
    expect(problemsOf(() => databaseUrlOf("orders", { DATABASE_URL: "", DATABASE_SERVER_URL: "" }))).toEqual(["DATABASE_URL"]);
    expect(problemsOf(() => databaseUrlsOf(["accounts", "orders"], { DATABASE_URL: `${SERVER}/x` }))).toEqual(["DATABASE_SERVER_URL"]);
    expect(problemsOf(() => databaseUrlOf("orders", { DATABASE_URL: "mysql://db/orders" }))).toEqual(["DATABASE_URL"]);
    expect(problemsOf(() => databaseServer({ DATABASE_SERVER_URL: "127.0.0.1:5432" }))).toEqual(["DATABASE_SERVER_URL"]);
    // A database in the server's URL is a mistake to point out, not to overrule silently.
    expect(problemsOf(() => databaseServer({ DATABASE_SERVER_URL: `${SERVER}/postgres` }))).toEqual(["DATABASE_SERVER_URL"]);
    for (const prefix of ["Staging_", "a-b", "x; DROP", "p\"", "a".repeat(55)]) {
      expect(problemsOf(() => databaseServer({ DATABASE_SERVER_URL: SERVER, DATABASE_NAME_PREFIX: prefix }))).toEqual(["DATABASE_NAME_PREFIX"]);
    }
    expect(databaseServer({ DATABASE_SERVER_URL: SERVER, DATABASE_NAME_PREFIX: "a".repeat(54) }).nameOf("inventory")).toHaveLength(63);
  });

  it("prints URLs without their password", () => {
    expect(redactUrl("postgresql://u:secret@db:5432/orders")).toBe("postgresql://u:***@db:5432/orders");
    expect(redactUrl(`${SERVER}/orders`)).toBe(`${SERVER}/orders`);
  });
});
