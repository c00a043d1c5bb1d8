import { buildSchema, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { ERRORS } from "@store/kit";
import { compileShaper } from "../src/shaping/compileShaper.ts";
import { shapeResponse } from "../src/shaping/shapeResponse.ts";

const schema = buildSchema(`
  type Query { book(id: ID!): Book books: [Book!]! }
  type Subscription { bookAdded: Book! }
  type Book { id: ID! title: String! year: Int }
`);

const shaperFor = (query: string) => compileShaper(schema, parse(query), undefined);
const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe("shapeResponse: one shaper, one place for each kind of error", () => {
  it("answers clean data with data alone", () => {
    const result = shapeResponse(shaperFor(`{ book(id: "b1") { id name: title } }`), { book: { id: "b1", name: "Kindred", year: 1979 } }, {}, []);
    expect(result).toEqual({ data: { book: { id: "b1", name: "Kindred" } } });
  });

  it("puts value-completion errors under extensions.valueCompletion, not errors, when every fetch succeeded", () => {
    const result = shapeResponse(shaperFor(`{ book(id: "b1") { id title } }`), { book: { id: "b1", title: null } }, {}, []);
    expect(json(result)).toEqual({
      data: { book: null },
      extensions: { valueCompletion: [{ message: "Cannot return null for non-nullable field Book.title.", path: ["book", "title"], extensions: { code: "INVALID_GRAPHQL" } }] },
    });
    expect(result.errors).toBeUndefined();
  });

  it("reports only the fetch errors when a fetch failed: its missing fields are not reported again", () => {
    const unavailable = ERRORS.SUBGRAPH_UNAVAILABLE.err("Subgraph books is unavailable", { extensions: { serviceName: "books" } });
    const result = shapeResponse(shaperFor(`{ book(id: "b1") { id title } }`), { book: { id: "b1" } }, {}, [unavailable]);
    expect(result).toEqual({ errors: [unavailable], data: { book: null } });
  });

  it("fails the response with one error when the data contradicts the schema beyond nulling", () => {
    const result = shapeResponse(shaperFor(`{ books { id } }`), { books: { id: "b1" } }, {}, []);
    expect(result.data).toBeUndefined();
    expect(result.errors?.map((error) => error.message)).toEqual(["Invalid non-list value [object Object] returned by subgraph for list type [Book!]"]);
  });

  it("shapes a subscription event with the same compiled shaper: root __typename, aliases, nulls up to the nearest nullable field", () => {
    const shaper = shaperFor(`subscription { __typename added: bookAdded { __typename id title year } }`);
    expect(shapeResponse(shaper, { added: { __typename: "Book", id: "b2", title: "Kindred", year: 1979 } }, {}, [])).toEqual({
      data: { __typename: "Subscription", added: { __typename: "Book", id: "b2", title: "Kindred", year: 1979 } },
    });
    // bookAdded is non-null: a book without its title nulls the whole payload.
    const broken = shapeResponse(shaper, { added: { __typename: "Book", id: "b2", year: 1979 } }, {}, []);
    expect(json(broken)).toEqual({ data: null, extensions: { valueCompletion: [expect.objectContaining({ path: ["added", "title"], extensions: { code: "INVALID_GRAPHQL" } })] } });
  });
});
