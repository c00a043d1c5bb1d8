/**
 * Hostile requests that the router must refuse before anything is planned:
 * request shapes, documents that do not parse or validate, operation names
 * that pick nothing, and operations over a limit. Generated from tables and
 * sent over each of the router's two request paths: its own fast path (a
 * plain JSON POST) and Apollo Server's (a POST with extensions, or a GET).
 */
import { JSON_HEADERS, post, type HostileCase, type HostileRequest } from "./hostileRequest.ts";

export type Transport = "fast path" | "Apollo POST" | "GET";
const ALL_TRANSPORTS: readonly Transport[] = ["fast path", "Apollo POST", "GET"];
/** Longer GET URLs meet Node's 16 KiB header limit (431) before the router sees them. */
const MAX_GET_QUERY = 4000;

/** One operation sent over `transport`. A non-empty `extensions` keeps a POST off the fast path. */
export function over(transport: Transport, query: string, options: { operationName?: string | undefined; variables?: unknown; token?: string } = {}): HostileRequest {
  if (transport === "GET") {
    const params = new URLSearchParams({ query });
    if (options.operationName !== undefined) params.set("operationName", options.operationName);
    if (options.variables !== undefined) params.set("variables", JSON.stringify(options.variables));
    // Apollo Server's CSRF prevention wants this header (or a non-simple content type) on a GET.
    return { method: "GET", search: `?${params}`, headers: { "apollo-require-preflight": "true", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) } };
  }
  return post(query, options.variables, {
    ...(options.token ? { token: options.token } : {}),
    ...(options.operationName !== undefined ? { operationName: options.operationName } : {}),
    ...(transport === "Apollo POST" ? { extensions: { hostileSuite: { transport: "apollo" } } } : {}),
  });
}

function transportsFor(query: string, transports: readonly Transport[] = ALL_TRANSPORTS): Transport[] {
  return transports.filter((t) => t !== "GET" || query.length <= MAX_GET_QUERY);
}

// ---------------------------------------------------------------- request shapes

const VALID = "{ categories { id } }";
const bytes = (text: string) => new TextEncoder().encode(text);

/** Bodies that are not a GraphQL request: Apollo Server's BAD_REQUEST (400, or 405 for a method). */
function requestShapeCases(): HostileCase[] {
  const badRequest = (name: string, request: HostileRequest, status = 400): HostileCase => ({ category: "parse/validation", name: `request shape: ${name}`, request, expect: { status, code: "BAD_REQUEST" } });
  const json = (body: string): HostileRequest => ({ headers: { ...JSON_HEADERS }, body });
  const cases: HostileCase[] = [];
  const malformed: [string, string][] = [
    ["an unterminated object", '{"query": '],
    ["an open bracket", "["],
    ["a bare word", "nul"],
    ["a trailing comma", `{"query":"${VALID}",}`],
    ["single quotes", `{'query': '${VALID}'}`],
    ["unquoted keys", `{query: "${VALID}"}`],
    ["a second closing brace", `{"query":"${VALID}"}}`],
    ["a NUL byte", "\u0000"],
    ["a UTF-8 BOM before the object", `\ufeff{"query":"${VALID}"}`],
    ["a JSON comment", `{"query":"${VALID}" /* hi */}`],
    ["NaN as a value", `{"query":"${VALID}","variables":{"n":NaN}}`],
    ["a lone high surrogate escape in a key", `{"\\ud800":1`],
  ];
  for (const [name, body] of malformed) cases.push(badRequest(`malformed JSON (${name})`, json(body)));
  cases.push(badRequest("bytes that are not UTF-8", { headers: { ...JSON_HEADERS }, body: new Uint8Array([0xff, 0xfe, 0x7b, 0x80, 0x81, 0x7d]) }));

  const shapes: [string, unknown][] = [
    ["an empty object", {}],
    ["JSON null", null],
    ["a number", 42],
    ["a string", VALID],
    ["true", true],
    ["an empty array (an empty batch)", []],
    ["a batch of two operations", [{ query: VALID }, { query: VALID }]],
    ["a batch of one operation", [{ query: VALID }]],
    ["a nested batch", [[{ query: VALID }]]],
    ["query as a number", { query: 42 }],
    ["query as an array", { query: [VALID] }],
    ["query as an object", { query: { kind: "Document", definitions: [] } }],
    ["query as true", { query: true }],
    ["query null", { query: null }],
    ["an empty query beside extensions", { query: "", extensions: { hostileSuite: true } }],
    // Refused as a request shape before parsing, on every path.
    ["an empty query", { query: "" }],
    ["variables as an array", { query: VALID, variables: [] }],
    ["variables as a string", { query: VALID, variables: "{}" }],
    ["variables as a number", { query: VALID, variables: 7 }],
    ["operationName as a number", { query: VALID, operationName: 5 }],
    ["operationName as an object", { query: VALID, operationName: { name: "Q" } }],
    ["operationName as an array", { query: VALID, operationName: ["Q"] }],
    ["extensions as a string", { query: VALID, extensions: "{}" }],
    ["extensions as an array", { query: VALID, extensions: [] }],
  ];
  for (const [name, body] of shapes) cases.push(badRequest(`wrong shape (${name})`, json(JSON.stringify(body))));
  cases.push(badRequest("an empty body", json("")));

  // CSRF prevention: a "simple" request (no preflight) is refused whatever it holds.
  const simple: [string, Record<string, string>][] = [
    ["text/plain", { "content-type": "text/plain" }],
    ["text/plain; charset=utf-8", { "content-type": "text/plain; charset=utf-8" }],
    ["application/x-www-form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }],
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x" }],
  ];
  for (const [name, headers] of simple) cases.push(badRequest(`CSRF: a ${name} POST of a valid query`, { headers, body: JSON.stringify({ query: VALID }) }));
  cases.push(badRequest("CSRF: a POST without a content type", { body: bytes(JSON.stringify({ query: VALID })) }));
  cases.push(badRequest("CSRF: a mutation as a text/plain POST", { headers: { "content-type": "text/plain" }, body: JSON.stringify({ query: 'mutation { signUp(input: { email: "csrf@example.com", name: "Csrf", password: "csrf-password-1" }) { accessToken } }' }) }));
  cases.push(badRequest("CSRF: a GET without a preflight header", { method: "GET", search: `?query=${encodeURIComponent(VALID)}` }));
  // Not simple, so past CSRF prevention, but still not JSON.
  for (const type of ["application/graphql", "application/xml", "text/html"]) {
    cases.push(badRequest(`content type ${type}`, { headers: { "content-type": type }, body: VALID }));
  }
  for (const method of ["PUT", "DELETE", "PATCH"]) cases.push(badRequest(`method ${method}`, { method, ...json(JSON.stringify({ query: VALID })) }, 405));
  cases.push(badRequest("a mutation over GET", over("GET", "mutation { clearCart { id } }"), 405));
  return cases;
}

// ---------------------------------------------------------------- syntax and validation

const PARSE_FAILURES: [string, string, Transport[]?][] = [
  ["an open brace", "{"],
  ["a close brace", "}"],
  ["an unclosed selection", "{ categories { id "],
  ["an operation without a selection", "query {"],
  ["an argument without a value", "{ products(first: ) { totalCount } }"],
  ["a string as a field", '{ "categories" }'],
  ["a nameless variable", "query Q($: Int) { __typename }"],
  ["an alias without a field", "{ a: }"],
  ["a spread without a name", "{ ... }"],
  ["a fragment without a name", "fragment on Product { id } { __typename }"],
  ["an extra close brace", "{ __typename } }"],
  ["a nameless directive", "{ categories @ { id } }"],
  ["an unterminated string", '{ product(id: "abc) { id } }'],
  ["an unterminated block string", '{ product(id: """abc) { id } }'],
  ["a malformed number", "{ products(first: 1.2.3) { totalCount } }"],
  ["a number with a leading zero", "{ products(first: 01) { totalCount } }"],
  ["a hexadecimal number", "{ products(first: 0x10) { totalCount } }"],
  ["a control character", "{ \u0001 }"],
  ["a nameless variable use", "{ product(id: $) { id } }"],
  ["an unclosed list type", "query Q($a: [Int) { __typename }"],
  ["a bare keyword", "subscription"],
  ["a variable in a default value", "query Q($a: Int = $b) { products(first: $a) { totalCount } }"],
  ["an invalid string escape", '{ product(id: "\\x41") { id } }'],
  ["a short unicode escape", '{ product(id: "\\u12") { id } }'],
  ["an unpaired surrogate escape", '{ product(id: "\\ud800") { id } }'],
  // A URL cannot carry an unpaired surrogate (URLSearchParams writes U+FFFD): POST only.
  ["a raw unpaired surrogate in a string", '{ product(id: "\ud800") { id } }', ["fast path", "Apollo POST"]],
  // graphql-js parses by recursion: in the router, a list a few thousand deep overflows the stack before the token limit stops the parser.
  ["a list literal 3000 deep", `{ products(first: ${"[".repeat(3000)}1${"]".repeat(3000)}) { totalCount } }`, ["fast path", "Apollo POST"]],
  ["whitespace only", "   "],
  ["a comment only", "# nothing here"],
  ["a type definition keyword soup", "query query query"],
  ["an unclosed input object", '{ products(filter: { search: "x" ) { totalCount } }'],
];

const VALIDATION_FAILURES: [string, string][] = [
  ["an unknown root field", "{ nope }"],
  ["an unknown nested field", "{ categories { id passwordHash } }"],
  ["an unknown argument", "{ categories(first: 1) { id } }"],
  ["an unknown nested argument", "{ products(first: 1) { edges { node { price(currency: \"EUR\") { amount } } } } }"],
  ["an unknown variable type", "query Q($x: Nope) { __typename }"],
  ["an unknown fragment", "{ categories { ...Nope } }"],
  ["a fragment on an unknown type", "fragment F on Nope { id } { categories { ...F } }"],
  ["a fragment on the wrong type", "fragment F on User { id } { categories { ...F } }"],
  ["a missing required argument", "{ product { id } }"],
  ["a selection on a leaf", "{ categories { id { x } } }"],
  ["an object without a selection", "{ categories }"],
  ["a duplicate variable", "query Q($a: Int, $a: Int) { products(first: $a) { totalCount } }"],
  ["an unused variable", "query Q($a: Int) { __typename }"],
  ["an undefined variable", "{ products(first: $n) { totalCount } }"],
  ["a variable of the wrong type", "query Q($s: String) { products(first: $s) { totalCount } }"],
  ["an unknown directive", "{ categories @nope { id } }"],
  ["a directive in the wrong place", "query Q @include(if: true) { __typename }"],
  ["a fragment cycle", "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"],
  ["conflicting aliases", "{ a: categories { id } a: me { id } }"],
  ["a mutation field in a query", '{ signIn(input: { email: "a@example.com", password: "x" }) { accessToken } }'],
  ["a query field in a mutation", "mutation { categories { id } }"],
  ["a subscription with two root fields", 'subscription { a: stockChanged(productId: "x") { id } b: stockChanged(productId: "y") { id } }'],
  ["a type definition in the document", "type Foo { a: Int } { __typename }"],
  ["a string for an Int", '{ products(first: "ten") { totalCount } }'],
  ["a float for an Int", "{ products(first: 1.5) { totalCount } }"],
  ["an Int beyond 32 bits", "{ products(first: 99999999999) { totalCount } }"],
  ["an unknown enum value", "{ products(sort: { field: BOGUS }) { totalCount } }"],
  ["an unknown input field", "{ products(filter: { nope: 1 }) { totalCount } }"],
  ["null for a non-null argument", "{ product(id: null) { id } }"],
  ["a missing input field", 'mutation { signIn(input: { email: "a@example.com" }) { accessToken } }'],
  ["a duplicate argument", "{ products(first: 1, first: 2) { totalCount } }"],
  ["an inline fragment on a scalar", "{ categories { id ... on String { x } } }"],
  ["a duplicate fragment name", "fragment F on Category { id } fragment F on Category { name } { categories { ...F } }"],
  ["introspection without its argument", "{ __type { name } }"],
  ["an unknown introspection field", "{ __schema { nope } }"],
];

function documentCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [name, query, transports] of PARSE_FAILURES) {
    for (const transport of transportsFor(query, transports)) {
      cases.push({ category: "parse/validation", name: `syntax (${transport}): ${name}`, request: over(transport, query), expect: { status: 400, code: "GRAPHQL_PARSE_FAILED" } });
    }
  }
  for (const [name, query] of VALIDATION_FAILURES) {
    for (const transport of transportsFor(query)) {
      cases.push({ category: "parse/validation", name: `validation (${transport}): ${name}`, request: over(transport, query), expect: { status: 400, code: "GRAPHQL_VALIDATION_FAILED" } });
    }
  }
  // A valid document, a subscription: not over HTTP.
  for (const transport of ["fast path", "Apollo POST"] as const) {
    cases.push({
      category: "parse/validation",
      name: `subscription over HTTP (${transport})`,
      request: over(transport, 'subscription { stockChanged(productId: "c043f81a-0912-54be-8211-0c8d98b41864") { id stock } }'),
      expect: { status: 400, code: "OPERATION_NOT_SUPPORTED" },
    });
  }
  cases.push({
    category: "parse/validation",
    name: "an unknown persisted query hash",
    request: { headers: { ...JSON_HEADERS }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } }) },
    expect: { status: 200, code: "PERSISTED_QUERY_NOT_FOUND" },
  });
  return cases;
}

// ---------------------------------------------------------------- operation names

function operationNameCases(): HostileCase[] {
  // Valid as a whole (F is used): Apollo Server's path validates before it picks the operation.
  const two = "query A { categories { ...F } } query B { categories { name } } fragment F on Category { slug }";
  const refused = (name: string, request: HostileRequest): HostileCase => ({ category: "operation name", name, request, expect: { status: 400, code: "OPERATION_RESOLUTION_FAILURE" } });
  const cases: HostileCase[] = [];
  const unknownNames: [string, string | undefined][] = [
    ["no name for two operations", undefined],
    ["an unknown name", "C"],
    ["a fragment's name", "F"],
    ["a name in another case", "a"],
    ["an empty name", ""],
    ["a name with a NUL", "A\u0000"],
    ["a 10,000-character name", "A".repeat(10_000)],
    ["__proto__", "__proto__"],
    ["constructor", "constructor"],
    ["toString", "toString"],
    ["a field's name", "categories"],
    ["a name with spaces", "A B"],
  ];
  for (const transport of ["fast path", "Apollo POST"] as const) {
    for (const [name, operationName] of unknownNames) cases.push(refused(`(${transport}) ${name}`, over(transport, two, { operationName })));
    cases.push(refused(`(${transport}) a name for an anonymous operation`, over(transport, "{ categories { id } }", { operationName: "Q" })));
  }
  cases.push(refused("(fast path) a name given to two operations", over("fast path", "query A { categories { id } } query A { categories { name } }", { operationName: "A" })));
  cases.push(refused("(fast path) a query and a mutation of one name", over("fast path", "query A { categories { id } } mutation A { clearCart { id } }", { operationName: "A" })));
  cases.push(refused("(fast path) a document of fragments only", over("fast path", "fragment F on Query { categories { id } }")));
  cases.push(refused("(fast path) three operations and no name", over("fast path", "query A { __typename } query B { __typename } mutation C { clearCart { id } }")));
  cases.push(refused("(fast path) operationName null for two operations", { headers: { ...JSON_HEADERS }, body: JSON.stringify({ query: two, operationName: null }) }));
  return cases;
}

// ---------------------------------------------------------------- operation limits

const limitCase = (name: string, request: HostileRequest, limit: string, maxMs?: number): HostileCase => ({
  category: "limits",
  name,
  request,
  expect: { status: 400, code: "OPERATION_LIMIT_EXCEEDED", limit },
  ...(maxMs === undefined ? {} : { maxMs }),
});

/** `levels` nestings of `unit` (whose `{`s are closed by `close`) around `leaf`, inside `prefix … suffix`. */
function nest(prefix: string, unit: string, close: string, levels: number, leaf: string, suffix: string): string {
  return `${prefix}${unit.repeat(levels)}${leaf}${close.repeat(levels)}${suffix}`;
}

/** Valid documents `depth` fields deep (the leaf counts), in several shapes. */
const DEPTH_SHAPES: [string, (depth: number) => string][] = [
  // categories + 4 per level + id: depth = 1 + 4k + 1
  ["connections", (d) => nest("{ categories { ", "products(first: 1) { edges { node { category { ", "} } } } ", Math.ceil((d - 2) / 4), "id ", "} }")],
  ["orders and customers", (d) => nest("{ me { ", "orders(first: 1) { edges { node { customer { ", "} } } } ", Math.ceil((d - 2) / 4), "id ", "} }")],
  [
    "named fragments",
    (d) => {
      const k = Math.ceil((d - 2) / 4);
      let text = "fragment D0 on Category { id }\n";
      for (let i = 1; i <= k; i++) text += `fragment D${i} on Category { products(first: 1) { edges { node { category { ...D${i - 1} } } } } }\n`;
      return `${text}{ categories { ...D${k} } }`;
    },
  ],
  ["inline fragments", (d) => nest("{ categories { ", "... on Category { products(first: 1) { ... on ProductConnection { edges { node { ... on Product { category { ", "} } } } } } } ", Math.ceil((d - 2) / 4), "id ", "} }")],
  // __schema types fields type + ofType per level + name: depth = 4 + k + 1
  ["introspection types", (d) => nest("{ __schema { types { fields { type { ", "ofType { ", "} ", d - 5, "name ", "} } } } }")],
];

function depthCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const depth of [16, 17, 20, 30, 60]) {
    for (const [shape, build] of DEPTH_SHAPES) {
      const query = build(depth);
      for (const transport of transportsFor(query)) cases.push(limitCase(`depth ≥ ${depth} (${shape}, ${transport})`, over(transport, query), "depth"));
    }
  }
  return cases;
}

function aliasCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ");
  for (const n of [31, 40, 100, 400]) {
    const shapes: [string, string][] = [
      ["on a product's leaves", `{ products(first: 1) { edges { node { ${aliases(n, "id")} } } } }`],
      ["at the root", `{ ${aliases(n, "__typename")} }`],
      ["spread from one fragment", `fragment A on Product { ${aliases(10, "name")} } { products(first: 1) { edges { node { ${"...A ".repeat(Math.ceil(n / 10))} } } } }`],
      ["on introspection", `{ __schema { ${aliases(n, "__typename")} } }`],
    ];
    for (const [shape, query] of shapes) {
      for (const transport of transportsFor(query)) cases.push(limitCase(`${n} aliases ${shape} (${transport})`, over(transport, query), "aliases"));
    }
  }
  return cases;
}

function rootFieldCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const n of [21, 25, 30]) {
    const shapes: [string, string][] = [
      ["aliased categories", `{ ${Array.from({ length: n }, (_, i) => `c${i}: categories { id }`).join(" ")} }`],
      ["the same field repeated", `{ ${"categories { id } ".repeat(n)}}`],
      ["__typename repeated", `{ ${"__typename ".repeat(n)}}`],
      ["inline fragments on Query", `{ ${"... on Query { categories { id } } ".repeat(n)}}`],
      ["mixed aliased fields", `{ ${Array.from({ length: n }, (_, i) => [`p${i}: products(first: 1) { totalCount }`, `m${i}: me { id }`, `k${i}: category(slug: "books") { id }`][i % 3]).join(" ")} }`],
    ];
    for (const [shape, query] of shapes) {
      for (const transport of transportsFor(query)) cases.push(limitCase(`${n} root fields: ${shape} (${transport})`, over(transport, query), "rootFields"));
    }
  }
  for (const n of [21, 25]) {
    const mutation = `mutation { ${Array.from({ length: n }, (_, i) => `m${i}: clearCart { id }`).join(" ")} }`;
    cases.push(limitCase(`${n} root mutation fields (fast path)`, over("fast path", mutation), "rootFields"));
  }
  return cases;
}

/**
 * Only @skip and @include are executable here and neither repeats, so a
 * flood of directives is invalid too: the fast path measures before it
 * validates; Apollo Server's path validates first (see the report), so these
 * go over the fast path only.
 */
function directiveCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const n of [6, 7, 10, 50]) {
    const flood = Array.from({ length: n }, (_, i) => (i % 2 ? "@skip(if: false)" : "@include(if: true)")).join(" ");
    const shapes: [string, string][] = [
      ["on a field", `{ categories ${flood} { id } }`],
      ["on a leaf", `{ categories { id ${flood} } }`],
      ["on a fragment spread", `fragment F on Category { id } { categories { ...F ${flood} } }`],
      ["on an inline fragment", `{ categories { ... on Category ${flood} { id } } }`],
      ["on the operation", `query Q ${flood} { categories { id } }`],
    ];
    for (const [shape, query] of shapes) cases.push(limitCase(`${n} directives ${shape} (fast path)`, over("fast path", query), "directives"));
  }
  return cases;
}

/** `fragment F1 on T { ...F0 ...F0 }` up to F<levels>: 2^levels copies of F0 once expanded, in under 2 kB. */
export function fragmentBomb(levels: number, options: { type?: string; leaf?: string; fanOut?: number; inline?: boolean; root?: (spread: string) => string } = {}): string {
  const { type = "Product", leaf = "id name", fanOut = 2, inline = false } = options;
  const root = options.root ?? ((spread: string) => `{ products(first: 1) { edges { node { ${spread} } } } }`);
  let text = `fragment F0 on ${type} { ${leaf} }\n`;
  for (let i = 1; i <= levels; i++) {
    const spreads = `...F${i - 1} `.repeat(fanOut);
    text += `fragment F${i} on ${type} { ${inline ? `... on ${type} { ${spreads}}` : spreads}}\n`;
  }
  return `${text}${root(`...F${levels}`)}`;
}

function selectionCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const shapes: [string, (levels: number) => string][] = [
    ["nested spreads", (n) => fragmentBomb(n)],
    ["inline-fragment wrapped", (n) => fragmentBomb(n, { inline: true })],
    ["object leaves", (n) => fragmentBomb(n, { leaf: "price { amount currency }" })],
    ["a category leaf", (n) => fragmentBomb(n, { leaf: "category { id name slug }" })],
    ["four-way fan-out", (n) => fragmentBomb(Math.ceil(n / 2), { fanOut: 4 })],
    ["at the root", (n) => fragmentBomb(n, { type: "Query", leaf: "__typename", root: (spread) => `{ ${spread} }` })],
  ];
  for (const levels of [11, 21, 30]) {
    for (const [shape, build] of shapes) {
      const query = build(levels);
      for (const transport of transportsFor(query)) {
        // Refused by arithmetic on the fragments, never by expanding them: well under a second end to end.
        cases.push(limitCase(`fragment bomb of ${levels} levels, ${shape} (${transport})`, over(transport, query), "selections", 1000));
      }
    }
  }
  // Aliased leaves: the alias count explodes first.
  cases.push(limitCase("fragment bomb with aliased leaves (fast path)", over("fast path", fragmentBomb(21, { leaf: "x: id y: name" })), "aliases", 1000));
  return cases;
}

function tokenCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const floods: [string, string][] = [
    ["2001 × __typename", `{ ${"__typename ".repeat(2001)}}`],
    ["5000 × __typename", `{ ${"__typename ".repeat(5000)}}`],
    ["50,000 × __typename", `{ ${"__typename ".repeat(50_000)}}`],
    ["3000 unclosed selections", `{${"a{".repeat(3000)}`],
    ["20,000 unclosed selections", `{${"a{".repeat(20_000)}`],
    ["a 3000-item list literal", `{ products(first: [${"1 ".repeat(3000)}]) { totalCount } }`],
    ["1000 variable definitions", `query Q(${Array.from({ length: 1000 }, (_, i) => `$v${i}: Int`).join(" ")}) { __typename }`],
    ["1000 fragments", `${Array.from({ length: 1000 }, (_, i) => `fragment F${i} on Query { __typename }`).join(" ")} { __typename }`],
    ["3000 arguments", `{ products(${"first: 1 ".repeat(3000)}) { totalCount } }`],
    ["an input object of 3000 fields", `{ products(filter: { ${"search: \"x\" ".repeat(3000)}}) { totalCount } }`],
    ["2001 tokens with introspection", `{ __schema { queryType { name } } ${"__typename ".repeat(2001)}}`],
  ];
  for (const [name, query] of floods) {
    for (const transport of transportsFor(query, ["fast path", "Apollo POST"])) cases.push(limitCase(`tokens: ${name} (${transport})`, over(transport, query), "tokens"));
  }
  return cases;
}

function costCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const nested = (outer: string, inner: number) => `{ ${outer} { edges { node { category { products(first: ${inner}) { edges { node { id } } } } } } } }`;
  const expensive: [string, string, unknown?][] = [
    ["nested connections of first: 100", nested("products(first: 100)", 100)],
    ["connections of first: 100 under every category", `{ categories { products(first: 100) { edges { node { category { products(first: 100) { edges { node { id } } } } } } } } }`],
    ["three nested connections", `{ products(first: 20) { edges { node { category { products(first: 20) { edges { node { category { products(first: 20) { edges { node { id } } } } } } } } } } } }`],
    ["first: 3000", "{ products(first: 3000) { edges { node { id } } } }"],
    ["first: 2147483647", "{ products(first: 2147483647) { edges { node { id } } } }"],
    ["first from a variable", "query Q($n: Int) { products(first: $n) { edges { node { id } } } }", { n: 100_000 }],
    ["first from a variable's default", "query Q($n: Int = 100000) { products(first: $n) { edges { node { id } } } }"],
    ["orders, lines and products", "{ me { orders(first: 50) { edges { node { lines { product { category { products(first: 100) { edges { node { id } } } } } } } } } } }"],
    ["shipments of first: 100 with their orders' lines", "{ shipments(first: 100) { edges { node { order { lines { product { category { products(first: 10) { edges { node { id } } } } } } } } } } }"],
    ["a mutation's cart of huge connections", 'mutation { addToCart(productId: "c043f81a-0912-54be-8211-0c8d98b41864", quantity: 1) { lines { product { category { products(first: 300) { edges { node { id } } } } } } } }'],
    ["aliased connections", `{ ${Array.from({ length: 15 }, (_, i) => `p${i}: products(first: 100) { edges { node { category { id } price { amount } } } }`).join(" ")} }`],
  ];
  for (const [name, query, variables] of expensive) {
    // A mutation over GET is a 405 before anything is measured.
    for (const transport of transportsFor(query, query.startsWith("mutation") ? ["fast path", "Apollo POST"] : undefined)) cases.push(limitCase(`cost: ${name} (${transport})`, over(transport, query, { variables }), "cost"));
  }
  return cases;
}

/** Bodies over ROUTER_MAX_BODY_BYTES (1 MiB): 413 before anything reads them as JSON. */
function payloadCases(): HostileCase[] {
  const mib = 1024 * 1024;
  const tooLarge = (name: string, request: HostileRequest): HostileCase => ({ category: "limits", name: `payload: ${name}`, request, expect: { status: 413, code: "PAYLOAD_TOO_LARGE" } });
  return [
    tooLarge("a query padded with spaces past 1 MiB", post(`{ categories { id } ${" ".repeat(mib)}}`)),
    tooLarge("a query of comments past 1 MiB", post(`${"# padding\n".repeat(mib / 8)}{ categories { id } }`)),
    tooLarge("a 1.1 MiB variable", post("query Q($s: String) { products(filter: { search: $s }) { totalCount } }", { s: "x".repeat(1.1 * mib) })),
    tooLarge("a variables array of 300,000 items", post("query Q($s: [String]) { __typename }", { s: Array.from({ length: 300_000 }, () => "xxx") })),
    tooLarge("1 MiB + 1 byte of garbage as JSON", { headers: { ...JSON_HEADERS }, body: "x".repeat(mib + 1) }),
    tooLarge("1.5 MiB of text/plain", { headers: { "content-type": "text/plain" }, body: "x".repeat(1.5 * mib) }),
    tooLarge("a 3 MiB mutation", post(`mutation { signIn(input: { email: "big@example.com", password: "${"p".repeat(3 * mib)}" }) { accessToken } }`)),
  ];
}

export function documentLevelCases(): HostileCase[] {
  return [...requestShapeCases(), ...documentCases(), ...operationNameCases(), ...depthCases(), ...aliasCases(), ...rootFieldCases(), ...directiveCases(), ...selectionCases(), ...tokenCases(), ...costCases(), ...payloadCases()];
}
