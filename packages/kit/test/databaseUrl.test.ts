/**
 * pgConnection: Prisma's own URL parameters (`schema`, `connection_limit`)
 * never reach PostgreSQL as settings; a schema becomes the connections'
 * search_path, after any startup options the URL had; a schema that is not
 * a plain identifier is refused rather than spliced into an option.
 */
import { describe, expect, it } from "vitest";
import { pgConnection } from "../src/databaseUrl.ts";

describe("pgConnection", () => {
  it("leaves a plain URL as it is", () => {
    expect(pgConnection("postgresql://u@127.0.0.1:5432/shop?sslmode=disable")).toEqual({ client: { connectionString: "postgresql://u@127.0.0.1:5432/shop?sslmode=disable" } });
  });

  it("takes Prisma's parameters out: the pool size, and the schema as search_path", () => {
    expect(pgConnection("postgresql://u@127.0.0.1:5432/shop?schema=orders&connection_limit=1&sslmode=disable")).toEqual({
      client: { connectionString: "postgresql://u@127.0.0.1:5432/shop?sslmode=disable", options: "-c search_path=orders" },
      schema: "orders",
      connectionLimit: 1,
    });
  });

  it("keeps startup options the URL had, the schema's search_path after them", () => {
    const { options, connectionString } = pgConnection(`postgresql://u@h/db?options=${encodeURIComponent("-c statement_timeout=5000")}&schema=cart`).client;
    expect(options).toBe("-c statement_timeout=5000 -c search_path=cart");
    expect(connectionString).toBe("postgresql://u@h/db");
    expect(pgConnection(`postgresql://u@h/db?options=${encodeURIComponent("-c work_mem=64MB")}`).client.options).toBe("-c work_mem=64MB");
  });

  it.each(["my schema", 'a"b', "a,b", "1st", "", "x".repeat(64)])("refuses the schema %j", (schema) => {
    expect(() => pgConnection(`postgresql://u@h/db?schema=${encodeURIComponent(schema)}`)).toThrow(/schema=.* is not a plain identifier/);
  });
});
