/**
 * Hostile input inside well-formed operations: variables that do not fit
 * their types (the router refuses them, 400), pagination arguments and
 * cursors a client made up, and SQL-ish, oversized or unstorable strings
 * (the subgraph refuses them: a 200 whose error names the subgraph, the
 * field null, as for any argument a resolver rejects).
 */
import { createHash } from "node:crypto";
import { demoCategories, demoOrders, demoProducts, demoUsers } from "@store/demo-data";
import { over } from "./documentCases.ts";
import { freshClientIp, JSON_HEADERS, post, type CaseContext, type Expectation, type HostileCase, type HostileRequest, type Tokens } from "./hostileRequest.ts";

const ADA = demoUsers.find((u) => u.email === "ada@example.com")!;
/** An order that is not Ada's: what her token must not reach. */
const OTHERS_ORDER = demoOrders.find((o) => o.customerId !== ADA.id)!;
const PRODUCT = demoProducts[0]!;
const CATEGORY = demoCategories[0]!;

type As = keyof Pick<Tokens, "customer" | "admin"> | undefined;

/** A JSON POST whose variables are raw JSON text: numbers JSON.stringify cannot write, nesting deeper than it recurses. */
function rawPost(query: string, variablesJson: string | undefined, token?: string): HostileRequest {
  return {
    headers: { ...JSON_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: `{"query":${JSON.stringify(query)}${variablesJson === undefined ? "" : `,"variables":${variablesJson}`}}`,
  };
}

const withToken = (as: As, build: (token: string | undefined) => HostileRequest) => (as ? (context: CaseContext) => build(context.tokens[as]) : build(undefined));

// ---------------------------------------------------------------- bad variables

interface VariableTable {
  operation: string;
  variable: string;
  as?: As;
  /** [label, the variables object as raw JSON text, or undefined to send none]. */
  values: [string, string | undefined][];
}

const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const one = (name: string, json: string) => `{"${name}":${json}}`;

const VARIABLE_TABLES: VariableTable[] = [
  {
    operation: "query Q($first: Int) { products(first: $first) { totalCount } }",
    variable: "first",
    values: (
      [
        ["a word", '"ten"'],
        ["a numeric string", '"10"'],
        ["a float", "1.5"],
        ["2^31", "2147483648"],
        ["-2^31 - 1", "-2147483649"],
        ["1e100", "1e100"],
        ["1e400 (Infinity once parsed)", "1e400"],
        ["2^53 + 1", "9007199254740993"],
        ["a tiny negative float", "-0.0001"],
        ["true", "true"],
        ["an object", "{}"],
        ["an empty list", "[]"],
        ["a list of one", "[1]"],
        ['"NaN"', '"NaN"'],
        ['"Infinity"', '"Infinity"'],
        ["an empty string", '""'],
        ["an object with valueOf", '{"valueOf":1}'],
      ] as const
    ).map(([label, json]) => [label, one("first", json)]),
  },
  {
    operation: "query Q($first: Int!) { products(first: $first) { totalCount } }",
    variable: "first",
    values: [
      ["missing", "{}"],
      ["null", one("first", "null")],
      ["no variables at all", undefined],
    ],
  },
  {
    operation: "query Q($id: ID!) { product(id: $id) { id } }",
    variable: "id",
    values: (
      [
        ["an object", "{}"],
        ["a list", "[]"],
        ["true", "true"],
        ["a float", "1.5"],
        ["null", "null"],
        ["an array 10,000 deep", deepArray(10_000)],
        ["an array 100,000 deep", deepArray(100_000)],
        ["an object with toString", '{"toString":"x"}'],
      ] as const
    )
      .map(([label, json]): [string, string | undefined] => [label, one("id", json)])
      .concat([["missing", "{}"]]),
  },
  {
    operation: "query Q($sort: ProductSort) { products(sort: $sort) { totalCount } }",
    variable: "sort",
    values: (
      [
        ["an unknown enum value", '{"field":"NOPE"}'],
        ["an enum value in lower case", '{"field":"price"}'],
        ["a number for an enum", '{"field":1}'],
        ["an unknown direction", '{"direction":"UP"}'],
        ["a string for an input object", '"NAME"'],
        ["a list for an input object", "[]"],
        ["an unknown field", '{"field":"NAME","extra":1}'],
        ["null for a non-null field", '{"field":null}'],
        ["a __proto__ key", '{"__proto__":{"field":"NAME"}}'],
        ["a constructor key", '{"constructor":{}}'],
      ] as const
    ).map(([label, json]) => [label, one("sort", json)]),
  },
  {
    operation: "query Q($filter: ProductFilter) { products(filter: $filter) { totalCount } }",
    variable: "filter",
    values: (
      [
        ["a number for a string", '{"search":5}'],
        ["an object for a string", '{"search":{}}'],
        ["a list for a string", '{"search":["a"]}'],
        ["true for a string", '{"search":true}'],
        ["a list for an ID", '{"categoryId":[]}'],
        ["an unknown field", '{"nope":"x"}'],
        ["a string for an input object", '"string"'],
        ["an object 50,000 deep", deepObject(50_000)],
        ["a key with a NUL", '{"se\\u0000arch":"x"}'],
      ] as const
    ).map(([label, json]) => [label, one("filter", json)]),
  },
  {
    operation: "query Q($status: ShipmentStatus) { shipments(status: $status) { totalCount } }",
    variable: "status",
    as: "admin",
    values: (
      [
        ["an unknown enum value", '"SHIPPED"'],
        ["an enum value in lower case", '"pending"'],
        ["a number", "0"],
        ["an empty string", '""'],
        ["an object", "{}"],
        ["a list", '["PENDING"]'],
      ] as const
    ).map(([label, json]) => [label, one("status", json)]),
  },
  {
    operation: "mutation M($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
    variable: "input",
    as: "customer",
    values: (
      [
        ["an empty object", "{}"],
        ["a string for the lines", '{"lines":"x","paymentToken":"tok_visa"}'],
        ["a line without a quantity", `{"lines":[{"productId":"${PRODUCT.id}"}],"paymentToken":"tok_visa"}`],
        ["a string quantity", `{"lines":[{"productId":"${PRODUCT.id}","quantity":"1"}],"paymentToken":"tok_visa"}`],
        ["a null line", '{"lines":[null],"paymentToken":"tok_visa"}'],
        ["nested lists for the lines", '{"lines":[[[[[]]]]],"paymentToken":"tok_visa"}'],
        ["a null payment token", `{"lines":[{"productId":"${PRODUCT.id}","quantity":1}],"paymentToken":null}`],
        ["lines 10,000 deep", `{"lines":${deepArray(10_000)},"paymentToken":"tok_visa"}`],
        ["a quantity of 1e10", `{"lines":[{"productId":"${PRODUCT.id}","quantity":1e10}],"paymentToken":"tok_visa"}`],
        ["an object for a product id", '{"lines":[{"productId":{},"quantity":1}],"paymentToken":"tok_visa"}'],
      ] as const
    ).map(([label, json]) => [label, one("input", json)]),
  },
  {
    operation: "mutation M($input: SignInInput!) { signIn(input: $input) { accessToken } }",
    variable: "input",
    values: (
      [
        ["numbers for strings", '{"email":1,"password":2}'],
        ["a missing password", '{"email":"a@example.com"}'],
        ["a list for the email", '{"email":["a"],"password":"x"}'],
        ["a null email", '{"email":null,"password":"x"}'],
        ["a string for the input", '"a@example.com"'],
      ] as const
    ).map(([label, json]) => [label, one("input", json)]),
  },
  {
    operation: `mutation M($quantity: Int!) { addToCart(productId: "${PRODUCT.id}", quantity: $quantity) { id itemCount } }`,
    variable: "quantity",
    as: "customer",
    values: (
      [
        ["a numeric string", '"1"'],
        ["a float", "1.5"],
        ["2^31", "2147483648"],
        ["null", "null"],
        ["true", "true"],
        ["a list", "[1]"],
        ["an object", "{}"],
      ] as const
    ).map(([label, json]) => [label, one("quantity", json)]),
  },
  {
    operation: `mutation M($price: MoneyInput!) { changeProductPrice(productId: "${PRODUCT.id}", price: $price) { id } }`,
    variable: "price",
    as: "admin",
    values: (
      [
        ["a float amount", '{"amount":1.5,"currency":"USD"}'],
        ["a string amount", '{"amount":"100","currency":"USD"}'],
        ["an amount of 2^31", '{"amount":2147483648,"currency":"USD"}'],
        ["no currency", '{"amount":100}'],
        ["a number for the currency", '{"amount":100,"currency":5}'],
        ["an amount of -1e308", '{"amount":-1e308,"currency":"USD"}'],
      ] as const
    ).map(([label, json]) => [label, one("price", json)]),
  },
];

function badVariableCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const expectation = (variable: string): Expectation => ({ status: 400, code: "BAD_USER_INPUT", messageIncludes: `$${variable}` });
  for (const table of VARIABLE_TABLES) {
    const field = /\{\s*(\w+)/.exec(table.operation)![1];
    for (const [label, json] of table.values) {
      cases.push({
        category: "bad variables",
        name: `${field}: $${table.variable} as ${label}${table.as ? ` (${table.as})` : ""}`,
        request: withToken(table.as, (token) => rawPost(table.operation, json, token)),
        expect: expectation(table.variable),
      });
    }
  }
  // The same checks on Apollo Server's path (the router's guard plugin).
  const first = VARIABLE_TABLES[0]!;
  // Infinity has no JSON form: 1e400 would reach the router as null, which fits `Int`.
  for (const [label, json] of first.values.filter(([, json]) => !json?.includes("e400")).slice(0, 8)) {
    for (const transport of ["Apollo POST", "GET"] as const) {
      const variables = JSON.parse(json!) as Record<string, unknown>;
      cases.push({ category: "bad variables", name: `products: $first as ${label} (${transport})`, request: over(transport, first.operation, { variables }), expect: expectation("first") });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- pagination

interface Connection {
  name: string;
  as?: As;
  serviceName: string;
  /** Largest `first` the subgraph accepts. */
  max: number;
  operation: string;
  /** `data` when the connection's field fails. */
  failed: unknown;
}

const CONNECTIONS: Connection[] = [
  {
    name: "products",
    serviceName: "catalog",
    max: 100,
    operation: "query Q($first: Int, $after: String, $sort: ProductSort) { products(first: $first, after: $after, sort: $sort) { totalCount edges { cursor node { id } } } }",
    failed: null,
  },
  {
    name: "category.products",
    serviceName: "catalog",
    max: 100,
    operation: `query Q($first: Int, $after: String) { category(slug: "${CATEGORY.slug}") { id products(first: $first, after: $after) { totalCount edges { node { id } } } } }`,
    failed: { category: null },
  },
  {
    name: "myOrders",
    as: "customer",
    serviceName: "orders",
    max: 50,
    operation: "query Q($first: Int, $after: String) { myOrders(first: $first, after: $after) { totalCount edges { cursor node { id } } } }",
    failed: null,
  },
  {
    name: "me.orders",
    as: "customer",
    serviceName: "orders",
    max: 50,
    operation: "query Q($first: Int, $after: String) { me { id orders(first: $first, after: $after) { totalCount edges { node { id } } } } }",
    failed: { me: { orders: null } },
  },
  {
    name: "shipments",
    as: "admin",
    serviceName: "shipping",
    max: 100,
    operation: "query Q($first: Int, $after: String) { shipments(first: $first, after: $after) { totalCount edges { cursor node { id } } } }",
    failed: null,
  },
];

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const raw = (text: string) => Buffer.from(text).toString("base64url");
const SOME_ID = PRODUCT.id;

/** Cursors no connection issued: each is BAD_USER_INPUT from the subgraph that owns the connection. */
const FOREIGN_CURSORS: [string, string][] = [
  ...[0, 1, 2].map((i): [string, string] => [`random base64 #${i + 1}`, createHash("sha256").update(`hostile cursor ${i}`).digest("base64url")]),
  ["characters outside base64", "!!!not-base64!!!"],
  ["padding only", "===="],
  ["base64 of text", raw("not json")],
  ["base64 of broken JSON", raw('{"v":')],
  ["base64 of {}", cursor({})],
  ["base64 of []", cursor([])],
  ["base64 of 42", cursor(42)],
  ["base64 of a string", cursor("x")],
  ["base64 of null", cursor(null)],
  ["base64 of true", cursor(true)],
  ["an id that is SQL", cursor({ v: "a", createdAt: "2026-01-01T00:00:00Z", id: "' OR 1=1 --" })],
  ["a value with a NUL", cursor({ v: "a\u0000", createdAt: "2026-01-01T00:00:00\u0000Z", id: SOME_ID })],
  ["a value with an unpaired surrogate", cursor({ v: "\ud800", createdAt: "\ud800", id: SOME_ID })],
  ["600 characters", "A".repeat(600)],
];

/** Cursors of the right shape with a value of the wrong type (or range) for what the connection sorts by. */
const CRAFTED: Record<string, [string, string, { field: string; direction: string }?][]> = {
  products: [
    ["a number for NAME", cursor({ v: 123, id: SOME_ID }), { field: "NAME", direction: "ASC" }],
    ["an object for NAME", cursor({ v: {}, id: SOME_ID }), { field: "NAME", direction: "ASC" }],
    ["2000 characters for NAME", cursor({ v: "x".repeat(2000), id: SOME_ID }), { field: "NAME", direction: "ASC" }],
    ["a word for PRICE", cursor({ v: "abc", id: SOME_ID }), { field: "PRICE", direction: "ASC" }],
    ["a float for PRICE", cursor({ v: 1.5, id: SOME_ID }), { field: "PRICE", direction: "DESC" }],
    ["2^40 for PRICE", cursor({ v: 2 ** 40, id: SOME_ID }), { field: "PRICE", direction: "ASC" }],
    ["null for PRICE", cursor({ v: null, id: SOME_ID }), { field: "PRICE", direction: "ASC" }],
    ["a numeric string for PRICE", cursor({ v: "1999", id: SOME_ID }), { field: "PRICE", direction: "ASC" }],
    ["a word for CREATED_AT", cursor({ v: "not a date", id: SOME_ID }), { field: "CREATED_AT", direction: "ASC" }],
    ["year 0 for CREATED_AT", cursor({ v: "0000-01-01T00:00:00Z", id: SOME_ID }), { field: "CREATED_AT", direction: "DESC" }],
    ["year 10000 for CREATED_AT", cursor({ v: "10000-01-01T00:00:00Z", id: SOME_ID }), { field: "CREATED_AT", direction: "ASC" }],
    ["a number for CREATED_AT", cursor({ v: 12345, id: SOME_ID }), { field: "CREATED_AT", direction: "ASC" }],
    ["month 13 for CREATED_AT", cursor({ v: "2026-13-45T99:99:99Z", id: SOME_ID }), { field: "CREATED_AT", direction: "ASC" }],
    ["an id that is not a UUID", cursor({ v: "Aeropress", id: "not-a-uuid" }), { field: "NAME", direction: "ASC" }],
  ],
  myOrders: [
    ["a word for placedAt", cursor({ v: "not a date", id: SOME_ID })],
    ["year 0 for placedAt", cursor({ v: "0000-01-01T00:00:00Z", id: SOME_ID })],
    ["year 0 with milliseconds", cursor({ v: "0000-01-01T00:00:00.000Z", id: SOME_ID })],
    ["a number for placedAt", cursor({ v: 12345, id: SOME_ID })],
    ["a shipments cursor", cursor({ createdAt: "2026-01-01T00:00:00.000Z", id: SOME_ID })],
    ["a products cursor", cursor({ v: "Aeropress", id: SOME_ID })],
  ],
  shipments: [
    ["year 0 for createdAt", cursor({ createdAt: "0000-01-01T00:00:00Z", id: SOME_ID })],
    ["a word for createdAt", cursor({ createdAt: "x", id: SOME_ID })],
    ["a number for createdAt", cursor({ createdAt: 1, id: SOME_ID })],
    ["an orders cursor", cursor({ v: "2026-01-01T00:00:00.000Z", id: SOME_ID })],
  ],
};
CRAFTED["me.orders"] = CRAFTED.myOrders!.slice(0, 3);

function paginationCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const connection of CONNECTIONS) {
    const refused = (name: string, variables: Record<string, unknown>): HostileCase => ({
      category: "pagination",
      name: `${connection.name}: ${name}`,
      request: withToken(connection.as, (token) => post(connection.operation, variables, token ? { token } : {})),
      expect: { status: 200, code: "BAD_USER_INPUT", serviceName: connection.serviceName, data: connection.failed },
    });
    for (const first of [-1, 0, connection.max + 1, 1000, -2_147_483_648]) cases.push(refused(`first: ${first}`, { first }));
    // So large that the router's cost limit refuses it before any subgraph sees it.
    cases.push({
      category: "pagination",
      name: `${connection.name}: first: 2147483647`,
      request: withToken(connection.as, (token) => post(connection.operation, { first: 2_147_483_647 }, token ? { token } : {})),
      expect: { status: 400, code: "OPERATION_LIMIT_EXCEEDED", limit: "cost" },
    });
    const foreign = connection.name.includes(".") ? FOREIGN_CURSORS.slice(0, 8) : FOREIGN_CURSORS;
    for (const [name, after] of foreign) cases.push(refused(`after: ${name}`, { after }));
    for (const [name, after, sort] of CRAFTED[connection.name] ?? []) cases.push(refused(`after: ${name}`, sort ? { after, sort } : { after }));
  }
  return cases;
}

// ---------------------------------------------------------------- injection

type StringClass = "safe" | "long" | "unsafe";

/** Strings a client may send anywhere a string goes. "safe" ones are legal input that must match only themselves. */
const HOSTILE_STRINGS: [string, string, StringClass][] = [
  ["' OR 1=1 --", "' OR 1=1 --", "safe"],
  ["a DROP TABLE", `'; DROP TABLE "Product"; --`, "safe"],
  ['a "" comparison', '" OR ""="', "safe"],
  ["a UNION SELECT", `1' UNION SELECT "passwordHash" FROM "User" --`, "safe"],
  ["pg_sleep", "' || pg_sleep(5) --", "safe"],
  ["%", "%", "safe"],
  ["_", "_", "safe"],
  ["a backslash", "\\", "safe"],
  ["%_%", "%_%", "safe"],
  ["an escaped %", "\\%", "safe"],
  ["$1", "$1", "safe"],
  ["a Mongo operator", '{"$gt": ""}', "safe"],
  ["a script tag", "<script>alert(1)</script>", "safe"],
  ["a path traversal", "../../../../etc/passwd", "safe"],
  ["a header injection", "x\r\nX-Injected: 1", "safe"],
  ["emoji", "🛒💥", "safe"],
  ["a right-to-left override", "\u202Egnp.exe", "safe"],
  ["a zero-width space", "\u200B", "safe"],
  ["a combining accent", "e\u0301", "safe"],
  ["10,000 characters", "A".repeat(10_000), "long"],
  ["100,000 characters", "%".repeat(100_000), "long"],
  ["a NUL inside", "a\u0000b", "unsafe"],
  ["a NUL alone", "\u0000", "unsafe"],
  ["an unpaired high surrogate", "\ud800", "unsafe"],
  ["an unpaired low surrogate inside", "a\udfffb", "unsafe"],
  ["two high surrogates", "\ud800\ud800", "unsafe"],
  ["a high surrogate at the end", "x\ud83d", "unsafe"],
];

interface InjectionTarget {
  name: string;
  as?: As;
  /** The string goes in `$s`. */
  operation: (s: string) => { query: string; variables?: Record<string, unknown> };
  /** What each class of string gets; a class without an entry is not sent here. */
  outcome: Partial<Record<StringClass, Expectation>>;
  /** Sign-in is throttled per client address: each case comes from an address of its own. */
  freshIp?: boolean;
}

const badInput = (serviceName: string, data?: unknown): Expectation => ({ status: 200, code: "BAD_USER_INPUT", serviceName, ...(data === undefined ? {} : { data }) });

let emails = 0;
const INJECTION_TARGETS: InjectionTarget[] = [
  {
    name: "products(filter.search)",
    operation: (s) => ({ query: "query Q($s: String) { products(filter: { search: $s }) { totalCount edges { node { id } } } }", variables: { s } }),
    // No product's name holds any of them: LIKE wildcards and escapes match only themselves.
    outcome: { safe: { status: 200, code: null, data: { products: { totalCount: 0, edges: [] } } }, long: badInput("catalog", null), unsafe: badInput("catalog") },
  },
  {
    name: "products(filter.search) as a literal",
    operation: (s) => ({ query: `{ products(filter: { search: ${JSON.stringify(s)} }) { totalCount } }` }),
    outcome: { safe: { status: 200, code: null, data: { products: { totalCount: 0 } } }, long: badInput("catalog", null) },
  },
  {
    name: "category(slug)",
    operation: (s) => ({ query: "query Q($s: String!) { category(slug: $s) { id name } }", variables: { s } }),
    outcome: { safe: { status: 200, code: null, data: { category: null } }, long: badInput("catalog", { category: null }), unsafe: badInput("catalog") },
  },
  {
    name: "product(id)",
    operation: (s) => ({ query: "query Q($s: ID!) { product(id: $s) { id name } }", variables: { s } }),
    outcome: { safe: badInput("catalog", { product: null }), long: badInput("catalog", { product: null }), unsafe: badInput("catalog") },
  },
  {
    name: "products(filter.categoryId)",
    operation: (s) => ({ query: "query Q($s: ID) { products(filter: { categoryId: $s }) { totalCount } }", variables: { s } }),
    outcome: { safe: badInput("catalog", null), long: badInput("catalog", null), unsafe: badInput("catalog") },
  },
  {
    name: "signIn(email)",
    freshIp: true,
    operation: (s) => ({ query: "mutation M($s: String!) { signIn(input: { email: $s, password: \"a-password-of-some-length\" }) { accessToken } }", variables: { s } }),
    outcome: { safe: badInput("accounts", null), long: badInput("accounts", null), unsafe: badInput("accounts") },
  },
  {
    name: "signIn(password)",
    freshIp: true,
    operation: (s) => ({ query: "mutation M($e: String!, $s: String!) { signIn(input: { email: $e, password: $s }) { accessToken } }", variables: { e: `nobody-${emails++}@example.com`, s } }),
    outcome: { safe: { status: 200, code: "INVALID_CREDENTIALS", serviceName: "accounts", data: null }, long: badInput("accounts", null), unsafe: badInput("accounts") },
  },
  {
    name: "addToCart(productId)",
    as: "customer",
    operation: (s) => ({ query: "mutation M($s: ID!) { addToCart(productId: $s, quantity: 1) { id itemCount } }", variables: { s } }),
    outcome: { safe: badInput("cart", null), long: badInput("cart", null), unsafe: badInput("cart") },
  },
  {
    name: "user(id)",
    as: "admin",
    operation: (s) => ({ query: "query Q($s: ID!) { user(id: $s) { id email } }", variables: { s } }),
    outcome: { safe: badInput("accounts", { user: null }), long: badInput("accounts", { user: null }), unsafe: badInput("accounts") },
  },
  {
    name: "cancelOrder(reason) of someone else's order",
    as: "customer",
    operation: (s) => ({ query: "mutation M($o: ID!, $s: String) { cancelOrder(orderId: $o, reason: $s) { id status } }", variables: { o: OTHERS_ORDER.id, s } }),
    outcome: { safe: { status: 200, code: "NOT_FOUND", serviceName: "orders", data: null }, long: badInput("orders", null), unsafe: badInput("orders") },
  },
  {
    // Legal strings here would be stored: only those that must be refused are sent.
    name: "addAddress(label)",
    as: "customer",
    operation: (s) => ({ query: 'mutation M($s: String!) { addAddress(input: { label: $s, line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" }) { id } }', variables: { s } }),
    outcome: { long: badInput("accounts", null), unsafe: badInput("accounts") },
  },
  {
    name: "signUp(name)",
    freshIp: true,
    operation: (s) => ({ query: "mutation M($e: String!, $s: String!) { signUp(input: { email: $e, name: $s, password: \"a-long-enough-password\" }) { accessToken } }", variables: { e: `hostile-${emails++}@example.com`, s } }),
    outcome: { long: badInput("accounts", null), unsafe: badInput("accounts") },
  },
];

function injectionCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const target of INJECTION_TARGETS) {
    for (const [label, value, kind] of HOSTILE_STRINGS) {
      const outcome = target.outcome[kind];
      if (!outcome) continue;
      const { query, variables } = target.operation(value);
      const headers = target.freshIp ? { "x-forwarded-for": freshClientIp() } : undefined;
      cases.push({
        category: "injection",
        name: `${target.name}: ${label}`,
        request: withToken(target.as, (token) => post(query, variables, { ...(token ? { token } : {}), ...(headers ? { headers } : {}) })),
        expect: outcome,
      });
    }
  }
  // In a literal, a NUL escape is a legal GraphQL string (the subgraph refuses it); an unpaired surrogate escape does not lex.
  cases.push({ category: "injection", name: "products(filter.search) as a literal: a \\u0000 escape", request: post('{ products(filter: { search: "a\\u0000b" }) { totalCount } }'), expect: badInput("catalog") });
  cases.push({ category: "injection", name: "products(filter.search) as a literal: a \\ud800 escape", request: post('{ products(filter: { search: "a\\ud800b" }) { totalCount } }'), expect: { status: 400, code: "GRAPHQL_PARSE_FAILED" } });
  return cases;
}

export function inputLevelCases(): HostileCase[] {
  return [...badVariableCases(), ...paginationCases(), ...injectionCases()];
}
