/**
 * Synthetic in-memory subgraphs (products, reviews, users, inventory) built
 * with the kit: every resolver is a constant-time lookup in deterministic
 * arrays, so a benchmark over them measures the gateway, not the data.
 */
import { buildSubgraphSchema } from "@apollo/subgraph";
import { createSubgraph, gql, silentLogger, type RequestContextBase } from "@store/kit";

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])`;

export const sdl: Record<string, string> = {
  products: `${LINK}
  type Product @key(fields: "id") { id: ID! name: String! price: Int! category: String! }
  type Query { products(first: Int = 50): [Product!]! product(id: ID!): Product topProducts(first: Int = 5): [Product!]! }`,
  reviews: `${LINK}
  type Review @key(fields: "id") { id: ID! body: String! rating: Int! author: User! product: Product! }
  type Product @key(fields: "id") { id: ID! reviews: [Review!]! }
  type User @key(fields: "id") { id: ID! reviews: [Review!]! }`,
  users: `${LINK}
  type User @key(fields: "id") { id: ID! username: String! name: String! }
  type Query { user(id: ID!): User }`,
  inventory: `${LINK}
  type Product @key(fields: "id") { id: ID! inStock: Boolean! quantity: Int! }`,
};

export const SUBGRAPHS = Object.keys(sdl);

const PRODUCTS = 100;
const USERS = 60;
const REVIEWS_PER_PRODUCT = 3;
const products = Array.from({ length: PRODUCTS }, (_, i) => ({ id: `p${i + 1}`, name: `Product ${i + 1}`, price: 100 + ((i * 37) % 900), category: ["books", "games", "tools", "toys"][i % 4]! }));
const productById = new Map(products.map((p) => [p.id, p]));
const users = Array.from({ length: USERS }, (_, i) => ({ id: `u${i + 1}`, username: `user${i + 1}`, name: `User Number ${i + 1}` }));
const userById = new Map(users.map((u) => [u.id, u]));
const reviews = Array.from({ length: PRODUCTS * REVIEWS_PER_PRODUCT }, (_, i) => ({
  id: `r${i + 1}`,
  body: `Review ${i + 1}: ${["great", "fine", "meh", "awful", "superb"][i % 5]}`,
  rating: (i % 5) + 1,
  authorId: `u${(i % USERS) + 1}`,
  productId: `p${Math.floor(i / REVIEWS_PER_PRODUCT) + 1}`,
}));
const reviewById = new Map(reviews.map((r) => [r.id, r]));
const reviewsByProduct = new Map<string, typeof reviews>();
const reviewsByAuthor = new Map<string, typeof reviews>();
for (const r of reviews) {
  reviewsByProduct.set(r.productId, [...(reviewsByProduct.get(r.productId) ?? []), r]);
  reviewsByAuthor.set(r.authorId, [...(reviewsByAuthor.get(r.authorId) ?? []), r]);
}

type Review = (typeof reviews)[number];
const resolvers: Record<string, unknown> = {
  products: {
    Query: {
      products: (_: unknown, { first }: { first: number }) => products.slice(0, first),
      product: (_: unknown, { id }: { id: string }) => productById.get(id) ?? null,
      topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first),
    },
    Product: { __resolveReference: (ref: { id: string }) => productById.get(ref.id) },
  },
  reviews: {
    Review: {
      __resolveReference: (ref: { id: string }) => reviewById.get(ref.id),
      author: (r: Review) => ({ id: r.authorId }),
      product: (r: Review) => ({ id: r.productId }),
    },
    Product: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }), reviews: (p: { id: string }) => reviewsByProduct.get(p.id) ?? [] },
    User: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }), reviews: (u: { id: string }) => reviewsByAuthor.get(u.id) ?? [] },
  },
  users: {
    Query: { user: (_: unknown, { id }: { id: string }) => userById.get(id) ?? null },
    User: { __resolveReference: (ref: { id: string }) => userById.get(ref.id) },
  },
  inventory: {
    Product: {
      __resolveReference: (ref: { id: string }) => {
        const n = Number(ref.id.slice(1));
        return { id: ref.id, quantity: (n * 7) % 13, inStock: (n * 7) % 13 !== 0 };
      },
    },
  },
};

export function createSyntheticSubgraph(name: string) {
  if (!sdl[name]) throw new Error(`unknown synthetic subgraph ${name}`);
  return createSubgraph<RequestContextBase>({
    name,
    typeDefs: gql(sdl[name]),
    logger: silentLogger,
    createContext: (base) => base,
    resolvers: resolvers[name] as never,
  });
}

/** The synthetic subgraph's executable schema, for the memoizing server in serve.ts. */
export function syntheticSchema(name: string) {
  if (!sdl[name]) throw new Error(`unknown synthetic subgraph ${name}`);
  return buildSubgraphSchema({ typeDefs: gql(sdl[name]), resolvers: resolvers[name] as never });
}
