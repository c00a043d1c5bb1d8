/**
 * The router's check of a representation against the keys the receiving
 * subgraph resolves its type by, read from a hand-written supergraph.
 */
import { describe, expect, it } from "vitest";
import { parse } from "../src/graphql.ts";
import { EntityKeys } from "../src/planning/EntityKeys.ts";

const supergraph = parse(/* GraphQL */ `
  enum join__Graph {
    BOOKS @join__graph(name: "books", url: "http://books")
    SHELF @join__graph(name: "shelf", url: "http://shelf")
  }
  interface Media @join__type(graph: SHELF, key: "id") {
    id: ID!
  }
  type Book implements Media
    @join__type(graph: BOOKS, key: "isbn")
    @join__type(graph: BOOKS, key: "title author { name }")
    @join__type(graph: SHELF, key: "id")
    @join__type(graph: SHELF, key: "isbn", resolvable: false) {
    id: ID!
    isbn: String!
    title: String!
    author: Author
  }
  type Movie implements Media @join__type(graph: SHELF) {
    id: ID!
  }
  type Author {
    name: String
  }
`);
const keys = EntityKeys.fromSupergraph(supergraph);

describe("EntityKeys", () => {
  it("accepts a representation that carries every field of one of the subgraph's keys, nested ones included", () => {
    expect(keys.missingKey("books", { __typename: "Book", isbn: "1" })).toBeUndefined();
    expect(keys.missingKey("books", { __typename: "Book", title: "T", author: { name: "A" } })).toBeUndefined();
  });

  it("names the keys when a representation lacks them, and counts a null key field as missing", () => {
    expect(keys.missingKey("books", { __typename: "Book", title: "T", author: null })).toBe(
      `A Book cannot be resolved by subgraph books: it lacks the fields of every key books resolves Book by ("isbn", "title author { name }")`,
    );
    expect(keys.missingKey("books", { __typename: "Book", title: "T", author: { name: null } })).toMatch(/cannot be resolved/);
  });

  it("leaves out a key the subgraph marked resolvable: false", () => {
    expect(keys.missingKey("shelf", { __typename: "Book", isbn: "1" })).toMatch(/lacks the fields of every key shelf resolves Book by \("id"\)/);
  });

  it("lets an entity interface's key resolve the types that implement it", () => {
    expect(keys.missingKey("shelf", { __typename: "Media", id: "m" })).toBeUndefined();
    expect(keys.missingKey("shelf", { __typename: "Movie", id: "f" })).toBeUndefined();
    expect(keys.missingKey("shelf", { __typename: "Movie" })).toMatch(/lacks the fields of every key shelf resolves Movie by \("id"\)/);
    // books has no key on the interface: only Book's own keys count there.
    expect(keys.missingKey("books", { __typename: "Book", id: "b" })).toMatch(/cannot be resolved/);
  });

  it("refuses a representation without __typename, or of a type the subgraph resolves by no key", () => {
    expect(keys.missingKey("books", { isbn: "1" })).toBe("The representation sent to subgraph books has no __typename");
    expect(keys.missingKey("books", { __typename: "Author", name: "A" })).toBe("Subgraph books resolves Author by no key, yet the query plan sends it Author representations");
    expect(keys.missingKey("nowhere", { __typename: "Book", isbn: "1" })).toMatch(/resolves Book by no key/);
  });
});
