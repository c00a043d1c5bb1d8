/**
 * Who may do what: anonymous callers and customers reaching for what is not
 * theirs, tokens the router must refuse (401 before anything runs), and
 * requests that go around the router straight to a subgraph, which must
 * refuse everything that the router did not sign (401 INVALID_ROUTER_SIGNATURE).
 */
import { createHmac } from "node:crypto";
import { demoCategories, demoOrders, demoProducts, demoUsers } from "@store/demo-data";
import { encodeIdentity, issueAccessToken, Role, signRouterRequest, TOKEN_AUDIENCE, TOKEN_ISSUER, WEBSOCKET_METHOD, type Identity } from "@store/kit";
import { over } from "./documentCases.ts";
import { JSON_HEADERS, post, type CaseContext, type Expectation, type HostileCase, type HostileRequest, type Tokens } from "./hostileRequest.ts";

const ADA = demoUsers.find((u) => u.email === "ada@example.com")!;
const ADMIN = demoUsers.find((u) => u.role === "ADMIN")!;
const ADAS_ORDER = demoOrders.find((o) => o.customerId === ADA.id)!;
const OTHERS_ORDER = demoOrders.find((o) => o.customerId !== ADA.id)!;
/** A PAID order: its shipment is PENDING, so advancing it would change it. */
const PAID_ORDER = demoOrders.find((o) => o.status === "PAID")!;
const PRODUCT = demoProducts[0]!;
const CATEGORY = demoCategories[0]!;
const SOME_UUID = "00000000-0000-4000-8000-000000000000";

const customerIdentity: Identity = { userId: ADA.id, roles: [Role.Customer] };
const adminIdentity: Identity = { userId: ADMIN.id, roles: [Role.Admin] };

// ---------------------------------------------------------------- tokens

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An HS256/HS512 (or unsigned) JWT, for the token shapes jose would never issue. */
function jwt(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string): string {
  const head = `${b64(header)}.${b64(claims)}`;
  const alg = header.alg === "HS512" ? "sha512" : header.alg === "HS256" ? "sha256" : undefined;
  return `${head}.${alg ? createHmac(alg, secret).update(head).digest("base64url") : ""}`;
}

export async function createTokens(jwtSecret: string): Promise<Tokens> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: ADA.id, roles: [Role.Customer], iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now, exp: now + 3600 };
  return {
    customer: (await issueAccessToken(jwtSecret, customerIdentity)).accessToken,
    admin: (await issueAccessToken(jwtSecret, adminIdentity)).accessToken,
    expired: (await issueAccessToken(jwtSecret, customerIdentity, 60, Date.now() - 2 * 3600_000)).accessToken,
    otherSecret: (await issueAccessToken("another-secret-that-the-router-never-saw-0123", adminIdentity)).accessToken,
    wrongIssuer: jwt({ alg: "HS256", typ: "JWT" }, { ...claims, iss: "someone-else" }, jwtSecret),
    wrongAudience: jwt({ alg: "HS256", typ: "JWT" }, { ...claims, aud: "another-service" }, jwtSecret),
    hs512: jwt({ alg: "HS512", typ: "JWT" }, claims, jwtSecret),
    unknownRole: jwt({ alg: "HS256", typ: "JWT" }, { ...claims, roles: ["SUPERUSER"] }, jwtSecret),
    noSubject: jwt({ alg: "HS256", typ: "JWT" }, { ...claims, sub: undefined }, jwtSecret),
  };
}

// ---------------------------------------------------------------- auth through the router

interface Guarded {
  name: string;
  query: string;
  serviceName: string;
  /** `data` once the field failed. */
  data: unknown;
}

const CUSTOMER_ONLY: Guarded[] = [
  { name: "myCart", query: "{ myCart { id itemCount } }", serviceName: "cart", data: { myCart: null } },
  { name: "myOrders", query: "{ myOrders { totalCount } }", serviceName: "orders", data: null },
  { name: "myAddresses", query: "{ myAddresses { id line1 } }", serviceName: "accounts", data: null },
  { name: "order", query: `{ order(id: "${ADAS_ORDER.id}") { id total { amount } } }`, serviceName: "orders", data: { order: null } },
  { name: "payment", query: `{ payment(id: "${ADAS_ORDER.paymentId}") { id status } }`, serviceName: "payments", data: { payment: null } },
  { name: "shipment", query: `{ shipment(id: "${ADAS_ORDER.shipmentId}") { id trackingNumber } }`, serviceName: "shipping", data: { shipment: null } },
  { name: "addToCart", query: `mutation { addToCart(productId: "${PRODUCT.id}", quantity: 1) { id } }`, serviceName: "cart", data: null },
  { name: "changeCartLineQuantity", query: `mutation { changeCartLineQuantity(lineId: "${SOME_UUID}", quantity: 1) { id } }`, serviceName: "cart", data: null },
  { name: "removeCartLine", query: `mutation { removeCartLine(lineId: "${SOME_UUID}") { id } }`, serviceName: "cart", data: null },
  { name: "clearCart", query: "mutation { clearCart { id } }", serviceName: "cart", data: null },
  { name: "placeOrder", query: `mutation { placeOrder(input: { lines: [{ productId: "${PRODUCT.id}", quantity: 1 }], paymentToken: "tok_visa" }) { id } }`, serviceName: "orders", data: null },
  { name: "cancelOrder", query: `mutation { cancelOrder(orderId: "${ADAS_ORDER.id}") { id } }`, serviceName: "orders", data: null },
  { name: "addAddress", query: 'mutation { addAddress(input: { label: "Hostile", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" }) { id } }', serviceName: "accounts", data: null },
];

const ADMIN_ONLY: Guarded[] = [
  {
    name: "createProduct",
    query: `mutation { createProduct(input: { sku: "HOSTILE-001", name: "Hostile", description: "Should never exist", categoryId: "${CATEGORY.id}", price: { amount: 1, currency: "USD" } }) { id } }`,
    serviceName: "catalog",
    data: null,
  },
  { name: "changeProductPrice", query: `mutation { changeProductPrice(productId: "${PRODUCT.id}", price: { amount: 1, currency: "USD" }) { id } }`, serviceName: "catalog", data: null },
  { name: "restock", query: `mutation { restock(productId: "${PRODUCT.id}", quantity: 5) { id stock } }`, serviceName: "inventory", data: null },
  { name: "refundOrderPayment", query: `mutation { refundOrderPayment(orderId: "${ADAS_ORDER.id}", reason: "hostile") { id status } }`, serviceName: "payments", data: null },
  { name: "advanceShipment", query: `mutation { advanceShipment(shipmentId: "${PAID_ORDER.shipmentId}") { id status } }`, serviceName: "shipping", data: null },
  { name: "user", query: `{ user(id: "${ADA.id}") { id email } }`, serviceName: "accounts", data: { user: null } },
  { name: "stockLevel", query: `{ stockLevel(productId: "${PRODUCT.id}") { onHand reserved } }`, serviceName: "inventory", data: { stockLevel: null } },
  { name: "shipments", query: "{ shipments { totalCount } }", serviceName: "shipping", data: null },
];

/** Authorization headers the router must answer with 401 before running anything. */
const BAD_AUTHORIZATION: [string, (tokens: Tokens) => string][] = [
  ["a word for a token", () => "Bearer abc"],
  ["three dots' worth of nothing", () => "Bearer a.b.c"],
  ["empty JSON segments", () => "Bearer e30.e30.e30"],
  ["an unsigned token (alg none)", () => `Bearer ${jwt({ alg: "none", typ: "JWT" }, { sub: ADMIN.id, roles: [Role.Admin], iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: 4_102_444_800 }, "")}`],
  ["a token signed with another secret", (t) => `Bearer ${t.otherSecret}`],
  ["an expired token", (t) => `Bearer ${t.expired}`],
  ["a token from another issuer", (t) => `Bearer ${t.wrongIssuer}`],
  ["a token for another audience", (t) => `Bearer ${t.wrongAudience}`],
  ["an HS512 token", (t) => `Bearer ${t.hs512}`],
  ["a token with an unknown role", (t) => `Bearer ${t.unknownRole}`],
  ["a token without a subject", (t) => `Bearer ${t.noSubject}`],
  ["an admin token with a changed signature", (t) => `Bearer ${t.admin.slice(0, -4)}${t.admin.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`],
  ["a customer token with its claims swapped for an admin's", (t) => `Bearer ${t.customer.split(".")[0]}.${t.admin.split(".")[1]}.${t.customer.split(".")[2]}`],
  ["10,000 characters of garbage", () => `Bearer ${"x".repeat(10_000)}`],
  ["two tokens", (t) => `Bearer ${t.customer}, Bearer ${t.admin}`],
  ["Basic credentials", () => `Basic ${Buffer.from("admin@example.com:backoffice-demo-1").toString("base64")}`],
  ["Bearer and nothing", () => "Bearer "],
  ["a token with a space inside", (t) => `Bearer ${t.admin.slice(0, 10)} ${t.admin.slice(10)}`],
];

const TOKEN_PROBES: [string, string][] = [
  ["a signed-in query", "{ me { id email } }"],
  ["a public query", "{ categories { id } }"],
  ["a mutation", "mutation { clearCart { id } }"],
];

function authCases(): HostileCase[] {
  const cases: HostileCase[] = [];
  const guarded = (who: string, item: Guarded, code: string, as?: keyof Tokens): HostileCase => ({
    category: "auth",
    name: `${who}: ${item.name}`,
    request: as ? (context: CaseContext) => post(item.query, undefined, { token: context.tokens[as] }) : post(item.query),
    expect: { status: 200, code, serviceName: item.serviceName, data: item.data },
  });
  for (const item of CUSTOMER_ONLY) cases.push(guarded("anonymous", item, "UNAUTHENTICATED"));
  for (const item of ADMIN_ONLY) cases.push(guarded("anonymous", item, "UNAUTHENTICATED"));
  for (const item of ADMIN_ONLY) cases.push(guarded("a customer", item, "FORBIDDEN", "customer"));

  // Someone else's things read like missing ones: null, no error, nothing told.
  const othersThings: [string, string, unknown][] = [
    ["someone else's order", `{ order(id: "${OTHERS_ORDER.id}") { id total { amount } } }`, { order: null }],
    ["someone else's payment", `{ payment(id: "${OTHERS_ORDER.paymentId}") { id amount { amount } } }`, { payment: null }],
    ["someone else's shipment", `{ shipment(id: "${OTHERS_ORDER.shipmentId}") { id trackingNumber } }`, { shipment: null }],
  ];
  for (const [name, query, data] of othersThings) {
    cases.push({ category: "auth", name: `a customer: ${name}`, request: (context) => post(query, undefined, { token: context.tokens.customer }), expect: { status: 200, code: null, data } });
  }
  cases.push({
    category: "auth",
    name: "a customer: cancelOrder of someone else's order",
    request: (context) => post(`mutation { cancelOrder(orderId: "${OTHERS_ORDER.id}", reason: "not mine") { id status } }`, undefined, { token: context.tokens.customer }),
    expect: { status: 200, code: "NOT_FOUND", serviceName: "orders", data: null },
  });

  const unauthorized: Expectation = { status: 401, code: "UNAUTHENTICATED" };
  for (const [name, header] of BAD_AUTHORIZATION) {
    for (const [probe, query] of TOKEN_PROBES) {
      cases.push({
        category: "auth",
        name: `${name}, on ${probe}`,
        request: (context) => ({ headers: { ...JSON_HEADERS, authorization: header(context.tokens) }, body: JSON.stringify({ query }) }),
        expect: unauthorized,
      });
    }
  }
  // Apollo Server's path authenticates the same way.
  for (const [name, header] of BAD_AUTHORIZATION.slice(4, 8)) {
    cases.push({
      category: "auth",
      name: `${name}, on a GET`,
      request: (context) => {
        const request = over("GET", "{ me { id } }");
        return { ...request, headers: { ...request.headers, authorization: header(context.tokens) } };
      },
      expect: unauthorized,
    });
  }
  return cases;
}

// ---------------------------------------------------------------- trust boundary

interface Forgery {
  /** A query that shows what the subgraph is (its SDL) to whoever may ask. */
  query: string;
  /** A mutation that would write, if the subgraph believed the forged identity. */
  mutation: string;
  /** Whom the forger claims to be. */
  as: Identity | null;
}

const FORGERIES: Record<string, Forgery> = {
  accounts: { query: "{ _service { sdl } }", mutation: 'mutation { signUp(input: { email: "forged@example.com", name: "Forged", password: "forged-password-1" }) { accessToken } }', as: null },
  catalog: {
    query: "{ _service { sdl } }",
    mutation: `mutation { createProduct(input: { sku: "FORGED-001", name: "Forged", description: "Forged", categoryId: "${CATEGORY.id}", price: { amount: 1, currency: "USD" } }) { id } }`,
    as: adminIdentity,
  },
  inventory: { query: "{ _service { sdl } }", mutation: `mutation { restock(productId: "${PRODUCT.id}", quantity: 1000) { id } }`, as: adminIdentity },
  cart: { query: "{ _service { sdl } }", mutation: "mutation { clearCart { id } }", as: customerIdentity },
  orders: { query: "{ _service { sdl } }", mutation: `mutation { placeOrder(input: { lines: [{ productId: "${PRODUCT.id}", quantity: 1 }], paymentToken: "tok_visa" }) { id } }`, as: customerIdentity },
  payments: { query: "{ _service { sdl } }", mutation: `mutation { refundOrderPayment(orderId: "${ADAS_ORDER.id}", reason: "forged") { id } }`, as: adminIdentity },
  shipping: { query: "{ _service { sdl } }", mutation: `mutation { advanceShipment(shipmentId: "${PAID_ORDER.shipmentId}") { id } }`, as: adminIdentity },
};

const body = (query: string) => JSON.stringify({ query });
const hmac = (secret: string, text: string, encoding: "base64url" | "hex" = "base64url") => createHmac("sha256", secret).update(text).digest(encoding);

/** Ways to reach a subgraph without the router: each must be refused with 401 and no data. */
function forgeries(subgraph: string, forgery: Forgery, routerSecret: string): [string, () => HostileRequest][] {
  const identity = encodeIdentity(forgery.as);
  const mutation = body(forgery.mutation);
  const signed = (options: { secret?: string; subgraph?: string; method?: string; signedBody?: string; now?: number }) =>
    signRouterRequest(options.secret ?? routerSecret, { method: options.method ?? "POST", subgraph: options.subgraph ?? subgraph, body: options.signedBody ?? mutation, identity }, options.now === undefined ? {} : { now: options.now });
  const other = subgraph === "catalog" ? "orders" : "catalog";
  const minutes = 60_000;
  return [
    ["no signature, a query", () => ({ headers: { ...JSON_HEADERS }, body: body(forgery.query) })],
    ["no signature, a mutation", () => ({ headers: { ...JSON_HEADERS }, body: mutation })],
    ["no signature, a GET", () => ({ method: "GET", search: `?query=${encodeURIComponent(forgery.query)}`, headers: { "apollo-require-preflight": "true" } })],
    [
      "a garbage signature",
      () => ({ headers: { ...JSON_HEADERS, "x-store-identity": identity, "x-store-timestamp": String(Date.now()), "x-store-nonce": "n".repeat(22), "x-store-signature": `v2=${"A".repeat(43)}` }, body: mutation }),
    ],
    ["a signature made with another secret", () => ({ headers: { ...JSON_HEADERS, ...signed({ secret: "not-the-router-signing-secret-0123456789abcdef" }) }, body: mutation })],
    [
      "the old v1 scheme (identity and timestamp, no nonce)",
      () => {
        const timestamp = String(Date.now());
        return { headers: { ...JSON_HEADERS, "x-store-identity": identity, "x-store-timestamp": timestamp, "x-store-signature": `v1=${hmac(routerSecret, `${identity}.${timestamp}`)}` }, body: mutation };
      },
    ],
    [
      "an unversioned hex signature",
      () => {
        const timestamp = String(Date.now());
        return { headers: { ...JSON_HEADERS, "x-store-identity": identity, "x-store-timestamp": timestamp, "x-store-nonce": "n".repeat(22), "x-store-signature": hmac(routerSecret, `${identity}\n${timestamp}`, "hex") }, body: mutation };
      },
    ],
    [
      "identity headers without a signature",
      () => ({ headers: { ...JSON_HEADERS, "x-store-identity": identity, "x-user-id": forgery.as?.userId ?? "", "x-user-roles": forgery.as?.roles.join(",") ?? "", "x-store-client-ip": "8.8.8.8" }, body: mutation }),
    ],
    [`a signature for another subgraph (${other})`, () => ({ headers: { ...JSON_HEADERS, ...signed({ subgraph: other }) }, body: mutation })],
    ["a signature ten minutes old", () => ({ headers: { ...JSON_HEADERS, ...signed({ now: Date.now() - 10 * minutes }) }, body: mutation })],
    ["a signature ten minutes ahead", () => ({ headers: { ...JSON_HEADERS, ...signed({ now: Date.now() + 10 * minutes }) }, body: mutation })],
    ["a signature over another body", () => ({ headers: { ...JSON_HEADERS, ...signed({ signedBody: body(forgery.query) }) }, body: mutation })],
    ["a WebSocket connection's signature on a POST", () => ({ headers: { ...JSON_HEADERS, ...signed({ method: WEBSOCKET_METHOD, signedBody: "" }) }, body: mutation })],
    ["a user's bearer token instead of a signature", () => ({ headers: { ...JSON_HEADERS, authorization: "Bearer (the admin's token)" }, body: mutation })],
  ];
}

function trustBoundaryCases(routerSecret: string): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [subgraph, forgery] of Object.entries(FORGERIES)) {
    for (const [name, build] of forgeries(subgraph, forgery, routerSecret)) {
      cases.push({
        category: "trust boundary",
        name: `${subgraph}: ${name}`,
        request: (context) => {
          const request = { ...build(), subgraph };
          // The admin's real token, which only the router may turn into an identity.
          if (request.headers?.authorization === "Bearer (the admin's token)") request.headers = { ...request.headers, authorization: `Bearer ${context.tokens.admin}` };
          return request;
        },
        expect: { status: 401, code: "INVALID_ROUTER_SIGNATURE" },
      });
    }
  }
  return cases;
}

export function accessCases(routerSecret: string): HostileCase[] {
  return [...authCases(), ...trustBoundaryCases(routerSecret)];
}
