import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN_PASSWORD, DEMO_CUSTOMER_PASSWORD, demoUsers } from "@store/demo-data";
import { createInProcessBus, parseEvent, type AnyEventEnvelope } from "@store/events";
import { ConfigError, loadConfig, silentLogger, subgraphConfigSchema, verifyAccessToken, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, eventually, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { hashPassword, verifyPassword } from "../src/passwords.ts";
import { seedAccounts } from "../src/seed.ts";
import { accountsService } from "../src/service.ts";
import { createSignInThrottle } from "../src/signInThrottle.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
const JWT_SECRET = "accounts-test-secret-that-is-long-enough-0123456789";
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;

const ada = demoUsers.find((u) => u.email === "ada@example.com")!;
const grace = demoUsers.find((u) => u.email === "grace@example.com")!;
const storeAdmin = demoUsers.find((u) => u.role === "ADMIN")!;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "accounts" });
  prisma = accountsService.createPrisma({ url: db.url });
  await seedAccounts(prisma);
  // Its relay never started: every event a test causes stays in the outbox to be asserted.
  subgraph = accountsService.build({
    prisma,
    bus: createInProcessBus({ logger: silentLogger }),
    logger: silentLogger,
    resources: { jwtSecret: JWT_SECRET, signInThrottle: createSignInThrottle() },
  }).subgraph;
});

/** The outbox rows written while `action` ran, oldest first. */
async function outboxDuring(action: () => Promise<unknown>) {
  const { _max } = await prisma.outboxEvent.aggregate({ _max: { position: true } });
  await action();
  return prisma.outboxEvent.findMany({ where: { position: { gt: _max.position ?? 0n } }, orderBy: { position: "asc" } });
}

/** An outbox row's envelope, validated against the event catalogue exactly as a consumer would. */
function envelopeOf(row: { id: string; type: string; envelope: unknown; publishedAt: Date | null }): AnyEventEnvelope {
  const parsed = parseEvent(JSON.stringify(row.envelope));
  if (!parsed.ok) throw new Error(`outbox row ${row.id} holds an invalid event: ${parsed.reason}`);
  expect(parsed.event.id).toBe(row.id);
  expect(parsed.event.type).toBe(row.type);
  expect(row.publishedAt).toBeNull();
  return parsed.event;
}

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const USER_FIELDS = `id name email role createdAt addresses { id label line1 line2 city postalCode country }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken expiresAt user { ${USER_FIELDS} } } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { accessToken expiresAt user { ${USER_FIELDS} } } }`;
const ME = `query { me { ${USER_FIELDS} } }`;
const USER = `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const MY_ADDRESSES = `query { myAddresses { id label line1 line2 city postalCode country } }`;
const ADD_ADDRESS = `mutation($input: AddressInput!) { addAddress(input: $input) { id label line1 line2 city postalCode country } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name role createdAt } } }`;

type Address = { id: string; label: string; line1: string; line2: string | null; city: string; postalCode: string; country: string };
type UserData = { id: string; name: string; email: string | null; role: string; createdAt: string; addresses: Address[] | null };
type AuthData = { accessToken: string; expiresAt: string; user: UserData };

const signUpInput = (overrides: Record<string, unknown> = {}) => ({
  email: `shopper-${Math.random().toString(36).slice(2, 10)}@example.com`,
  name: "Test Shopper",
  password: "a-long-enough-password",
  ...overrides,
});

const addressInput = (overrides: Record<string, unknown> = {}) => ({
  label: "Home",
  line1: "1 Test Street",
  city: "Springfield",
  postalCode: "12345",
  country: "US",
  ...overrides,
});

async function signUp(overrides: Record<string, unknown> = {}): Promise<AuthData> {
  const result = await subgraph.execute<{ signUp: AuthData }>(SIGN_UP, { input: signUpInput(overrides) });
  expect(result.errors).toBeUndefined();
  return result.data!.signUp;
}

describe("signUp", () => {
  it("creates a customer with a lower-cased email and a scrypt hash, and signs it in", async () => {
    const before = Date.now();
    const result = await subgraph.execute<{ signUp: AuthData }>(SIGN_UP, {
      input: { email: "  New.Person@Example.COM ", name: "  New Person ", password: "a-long-enough-password" },
    });
    expect(result.errors).toBeUndefined();
    const { accessToken, expiresAt, user } = result.data!.signUp;
    expect(user).toMatchObject({ name: "New Person", email: "new.person@example.com", role: "CUSTOMER", addresses: [] });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);

    const token = await verifyAccessToken(JWT_SECRET, accessToken);
    expect(token).toEqual({ ok: true, identity: { userId: user.id, roles: ["CUSTOMER"] } });
    expect(Date.parse(expiresAt)).toBeGreaterThan(before);
    expect(new Date(expiresAt).toISOString()).toBe(expiresAt);

    const row = await prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.email).toBe("new.person@example.com");
    expect(row.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row.passwordHash).not.toContain("a-long-enough-password");
    expect(await verifyPassword("a-long-enough-password", row.passwordHash)).toBe(true);

    const signIn = await subgraph.execute<{ signIn: AuthData }>(SIGN_IN, { input: { email: "NEW.PERSON@example.com", password: "a-long-enough-password" } });
    expect(signIn.data?.signIn.user.id).toBe(user.id);
  });

  it("does not let a caller pick their role", async () => {
    const result = await subgraph.execute(SIGN_UP, { input: { ...signUpInput(), role: "ADMIN" } });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });

  it("rejects a taken email (in any case) with CONFLICT, writing nothing", async () => {
    const before = await prisma.user.count();
    for (const email of [ada.email, ada.email.toUpperCase(), `  Ada@Example.com  `]) {
      const result = await subgraph.execute(SIGN_UP, { input: signUpInput({ email }) });
      expect(errorCodes(result), email).toEqual(["CONFLICT"]);
      expect(result.data?.signUp ?? null).toBeNull();
    }
    expect(await prisma.user.count()).toBe(before);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: ada.id } })).name).toBe(ada.name);
  });

  it("rejects a malformed email, a short or oversized password and a bad name with BAD_USER_INPUT, writing nothing", async () => {
    const before = await prisma.user.count();
    const cases: [string, Record<string, unknown>][] = [
      ["malformed email", { email: "not-an-email" }],
      ["email without domain", { email: "someone@" }],
      ["oversized email", { email: `${"a".repeat(250)}@example.com` }],
      ["short password", { password: "short-pw1" }],
      ["oversized password", { password: "p".repeat(201) }],
      ["oversized name", { name: "n".repeat(101) }],
      ["blank name", { name: "   " }],
    ];
    for (const [label, overrides] of cases) {
      const result = await subgraph.execute(SIGN_UP, { input: signUpInput(overrides) });
      expect(errorCodes(result), label).toEqual(["BAD_USER_INPUT"]);
    }
    expect(await prisma.user.count()).toBe(before);
  });

  it("accepts the limits themselves: a 100-character name and 10- and 200-character passwords", async () => {
    await signUp({ name: "n".repeat(100), password: "p".repeat(10) });
    await signUp({ password: "p".repeat(200) });
  });
});

describe("signIn", () => {
  it("signs in a demo customer, whatever the email's case, and shows their own email and addresses", async () => {
    const result = await subgraph.execute<{ signIn: AuthData }>(SIGN_IN, { input: { email: " ADA@example.COM ", password: DEMO_CUSTOMER_PASSWORD } });
    expect(result.errors).toBeUndefined();
    const { accessToken, user } = result.data!.signIn;
    expect(user).toMatchObject({ id: ada.id, email: ada.email, name: ada.name, role: "CUSTOMER" });
    expect(new Set(user.addresses!.map((a) => a.id))).toEqual(new Set(ada.addresses.map((a) => a.id)));
    expect(await verifyAccessToken(JWT_SECRET, accessToken)).toEqual({ ok: true, identity: { userId: ada.id, roles: ["CUSTOMER"] } });
  });

  it("issues an ADMIN token to the admin", async () => {
    const result = await subgraph.execute<{ signIn: AuthData }>(SIGN_IN, { input: { email: storeAdmin.email, password: DEMO_ADMIN_PASSWORD } });
    expect(result.errors).toBeUndefined();
    const token = await verifyAccessToken(JWT_SECRET, result.data!.signIn.accessToken);
    expect(token).toEqual({ ok: true, identity: { userId: storeAdmin.id, roles: ["ADMIN"] } });
    expect(await verifyAccessToken("some-other-secret-that-is-long-enough-too", result.data!.signIn.accessToken)).toEqual({ ok: false, reason: "invalid" });
  });

  it("answers a wrong password and an unknown email with the same INVALID_CREDENTIALS, changing nothing", async () => {
    const before = await prisma.user.count();
    const adaBefore = await prisma.user.findUniqueOrThrow({ where: { id: ada.id } });
    const wrong = await subgraph.execute(SIGN_IN, { input: { email: ada.email, password: "not-the-password" } });
    const unknown = await subgraph.execute(SIGN_IN, { input: { email: "nobody@example.com", password: DEMO_CUSTOMER_PASSWORD } });
    const tooShort = await subgraph.execute(SIGN_IN, { input: { email: ada.email, password: "" } });
    for (const result of [wrong, unknown, tooShort]) {
      expect(errorCodes(result)).toEqual(["INVALID_CREDENTIALS"]);
      expect(result.data?.signIn ?? null).toBeNull();
    }
    expect(unknown.errors![0]!.message).toBe(wrong.errors![0]!.message);
    expect(tooShort.errors![0]!.message).toBe(wrong.errors![0]!.message);
    expect(await prisma.user.count()).toBe(before);
    expect(await prisma.user.findUniqueOrThrow({ where: { id: ada.id } })).toEqual(adaBefore);
  });

  it("spends a scrypt run on unknown emails too, so timing does not reveal which accounts exist", async () => {
    const time = async (email: string) => {
      const started = performance.now();
      const result = await subgraph.execute(SIGN_IN, { input: { email, password: "not-the-password" } });
      expect(errorCodes(result)).toEqual(["INVALID_CREDENTIALS"]);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(ada.email));
      unknown.push(await time(`nobody-${i}@example.com`));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[2]!;
    // Without the dummy verification an unknown email answers in well under a tenth of the time.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
  });

  it("rejects a malformed email or an oversized password with BAD_USER_INPUT", async () => {
    expect(errorCodes(await subgraph.execute(SIGN_IN, { input: { email: "not-an-email", password: DEMO_CUSTOMER_PASSWORD } }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(SIGN_IN, { input: { email: ada.email, password: "p".repeat(201) } }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("me", () => {
  it("is null for an anonymous caller", async () => {
    const result = await subgraph.execute<{ me: UserData | null }>(ME);
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toBeNull();
  });

  it("is the signed-in user, with their own email and addresses", async () => {
    const result = await subgraph.execute<{ me: UserData }>(ME, {}, { identity: customer(grace.id) });
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toMatchObject({ id: grace.id, name: grace.name, email: grace.email, role: "CUSTOMER" });
    expect(result.data!.me.addresses).toEqual(grace.addresses.map((a) => ({ line2: null, ...a })));
  });

  it("is null for a valid identity whose account does not exist", async () => {
    const result = await subgraph.execute<{ me: UserData | null }>(ME, {}, { identity: customer(UNKNOWN_ID) });
    expect(result.errors).toBeUndefined();
    expect(result.data!.me).toBeNull();
  });
});

describe("user(id)", () => {
  it("lets an admin read any user, email and addresses included", async () => {
    const result = await subgraph.execute<{ user: UserData }>(USER, { id: ada.id }, { identity: admin(storeAdmin.id) });
    expect(result.errors).toBeUndefined();
    expect(result.data!.user).toMatchObject({ id: ada.id, email: ada.email, name: ada.name });
    expect(result.data!.user.addresses).toHaveLength(ada.addresses.length);
  });

  it("refuses customers (even for themselves) with FORBIDDEN and anonymous callers with UNAUTHENTICATED", async () => {
    expect(errorCodes(await subgraph.execute(USER, { id: ada.id }, { identity: customer(grace.id) }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(USER, { id: ada.id }, { identity: customer(ada.id) }))).toEqual(["FORBIDDEN"]);
    expect(errorCodes(await subgraph.execute(USER, { id: ada.id }))).toEqual(["UNAUTHENTICATED"]);
  });

  it("is null for an unknown id and BAD_USER_INPUT for a malformed one", async () => {
    const missing = await subgraph.execute<{ user: UserData | null }>(USER, { id: UNKNOWN_ID }, { identity: admin() });
    expect(missing.errors).toBeUndefined();
    expect(missing.data!.user).toBeNull();
    expect(errorCodes(await subgraph.execute(USER, { id: "42" }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(USER, { id: `${ada.id}'; DROP TABLE "User"; --` }, { identity: admin() }))).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("personal fields through _entities", () => {
  const PERSONAL = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email addresses { id } } } }`;
  type Entity = { id: string; name: string; email: string | null; addresses: { id: string }[] | null };

  it("shows another user's name but answers FORBIDDEN for their email and addresses", async () => {
    for (const identity of [customer(grace.id), null]) {
      const result = await subgraph.execute<{ _entities: Entity[] }>(PERSONAL, { r: [{ __typename: "User", id: ada.id }] }, { identity });
      expect(result.data!._entities).toEqual([{ id: ada.id, name: ada.name, email: null, addresses: null }]);
      expect(errorCodes(result)).toEqual(["FORBIDDEN", "FORBIDDEN"]);
      expect(result.errors!.map((e) => e.path!.at(-1)).sort()).toEqual(["addresses", "email"]);
    }
  });

  it("shows them to the user themself and to an admin", async () => {
    for (const identity of [customer(ada.id), admin()]) {
      const result = await subgraph.execute<{ _entities: Entity[] }>(PERSONAL, { r: [{ __typename: "User", id: ada.id }] }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities[0]).toMatchObject({ email: ada.email });
      expect(result.data!._entities[0]!.addresses).toHaveLength(ada.addresses.length);
    }
  });
});

describe("myAddresses", () => {
  it("lists the signed-in user's addresses only", async () => {
    const result = await subgraph.execute<{ myAddresses: Address[] }>(MY_ADDRESSES, {}, { identity: customer(grace.id) });
    expect(result.errors).toBeUndefined();
    expect(result.data!.myAddresses.map((a) => a.id)).toEqual(grace.addresses.map((a) => a.id));
    const none = await subgraph.execute<{ myAddresses: Address[] }>(MY_ADDRESSES, {}, { identity: admin(storeAdmin.id) });
    expect(none.data!.myAddresses).toEqual([]);
  });

  it("refuses anonymous callers", async () => {
    expect(errorCodes(await subgraph.execute(MY_ADDRESSES))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("addAddress", () => {
  it("adds a normalised address for the signed-in user, listed after the older ones", async () => {
    const { user } = await signUp();
    const first = await subgraph.execute<{ addAddress: Address }>(ADD_ADDRESS, { input: addressInput() }, { identity: customer(user.id) });
    expect(first.errors).toBeUndefined();
    const result = await subgraph.execute<{ addAddress: Address }>(
      ADD_ADDRESS,
      { input: { label: " Office ", line1: " 5 Rue de Rivoli ", line2: "  ", city: "Paris", postalCode: "75004", country: "fr" } },
      { identity: customer(user.id) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.addAddress).toMatchObject({ label: "Office", line1: "5 Rue de Rivoli", line2: null, city: "Paris", postalCode: "75004", country: "FR" });
    const mine = await subgraph.execute<{ myAddresses: Address[] }>(MY_ADDRESSES, {}, { identity: customer(user.id) });
    expect(mine.data!.myAddresses.map((a) => a.id)).toEqual([first.data!.addAddress.id, result.data!.addAddress.id]);
    expect(await prisma.address.count({ where: { userId: user.id } })).toBe(2);
  });

  it("refuses anonymous callers and identities without an account, writing nothing", async () => {
    const before = await prisma.address.count();
    expect(errorCodes(await subgraph.execute(ADD_ADDRESS, { input: addressInput() }))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await subgraph.execute(ADD_ADDRESS, { input: addressInput() }, { identity: customer(UNKNOWN_ID) }))).toEqual(["UNAUTHENTICATED"]);
    expect(await prisma.address.count()).toBe(before);
  });

  it("rejects oversized or malformed fields with BAD_USER_INPUT, writing nothing", async () => {
    const before = await prisma.address.count();
    const cases: [string, Record<string, unknown>][] = [
      ["oversized line1", { line1: "x".repeat(201) }],
      ["oversized line2", { line2: "x".repeat(201) }],
      ["oversized label", { label: "x".repeat(51) }],
      ["oversized city", { city: "x".repeat(101) }],
      ["oversized postal code", { postalCode: "1".repeat(21) }],
      ["blank line1", { line1: "  " }],
      ["three-letter country", { country: "USA" }],
      ["numeric country", { country: "12" }],
    ];
    for (const [label, overrides] of cases) {
      const result = await subgraph.execute(ADD_ADDRESS, { input: addressInput(overrides) }, { identity: customer(ada.id) });
      expect(errorCodes(result), label).toEqual(["BAD_USER_INPUT"]);
    }
    expect(await prisma.address.count()).toBe(before);
  });

  it("allows 20 addresses per user and refuses the 21st with BAD_USER_INPUT, writing nothing", async () => {
    const { user } = await signUp();
    for (let i = 0; i < 20; i++) {
      const result = await subgraph.execute(ADD_ADDRESS, { input: addressInput({ label: `Address ${i}` }) }, { identity: customer(user.id) });
      expect(result.errors, `address ${i}`).toBeUndefined();
    }
    const refused = await subgraph.execute(ADD_ADDRESS, { input: addressInput({ label: "One too many" }) }, { identity: customer(user.id) });
    expect(errorCodes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(await prisma.address.count({ where: { userId: user.id } })).toBe(20);
  });

  it("holds the limit under concurrent requests", async () => {
    const { user } = await signUp();
    await prisma.address.createMany({ data: Array.from({ length: 18 }, (_, i) => ({ userId: user.id, ...addressInput({ label: `Existing ${i}` }) })) });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => subgraph.execute(ADD_ADDRESS, { input: addressInput({ label: `Racing ${i}` }) }, { identity: customer(user.id) })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(2);
    expect(results.flatMap(errorCodes)).toEqual(Array(4).fill("BAD_USER_INPUT"));
    expect(await prisma.address.count({ where: { userId: user.id } })).toBe(20);
  });
});

describe("_entities", () => {
  it("resolves 50 users with one SQL query, and their addresses with one more", async () => {
    const passwordHash = await hashPassword("bulk-user-password");
    await prisma.user.createMany({
      data: Array.from({ length: 45 }, (_, i) => ({ email: `bulk-${i}@example.com`, name: `Bulk User ${i}`, passwordHash })),
    });
    const bulk = await prisma.user.findMany({ where: { email: { startsWith: "bulk-" } }, orderBy: { email: "asc" } });
    const users = [...demoUsers.map((u) => ({ id: u.id, name: u.name })), ...bulk];
    expect(users).toHaveLength(50);
    const representations = users.map((u) => ({ __typename: "User", id: u.id }));

    const counter = countQueries(prisma);
    const result = await subgraph.execute<{ _entities: { id: string; name: string; createdAt: string }[] }>(ENTITIES, { r: representations });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities.map((u) => u.id)).toEqual(users.map((u) => u.id));
    expect(result.data!._entities.map((u) => u.name)).toEqual(users.map((u) => u.name));
    expect(counter.count).toBe(1);
    // Users are read without their password hash.
    expect(counter.statements[0]).not.toMatch(/passwordHash/);

    counter.reset();
    const withAddresses = await subgraph.execute<{ _entities: { addresses: unknown[] }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email addresses { id city } } } }`,
      { r: representations },
      { identity: admin() },
    );
    expect(withAddresses.errors).toBeUndefined();
    expect(withAddresses.data!._entities).toHaveLength(50);
    expect(counter.count).toBe(2);
  });

  it("returns null for a representation that does not exist or is not a UUID", async () => {
    const result = await subgraph.execute<{ _entities: unknown[] }>(ENTITIES, {
      r: [
        { __typename: "User", id: UNKNOWN_ID },
        { __typename: "User", id: "not-a-uuid" },
        { __typename: "User", id: grace.id },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([null, null, expect.objectContaining({ id: grace.id, name: grace.name, role: "CUSTOMER" })]);
  });
});

describe("seed", () => {
  it("is idempotent and stores demo passwords hashed", async () => {
    const users = await prisma.user.count();
    const addresses = await prisma.address.count();
    await seedAccounts(prisma);
    expect(await prisma.user.count()).toBe(users);
    expect(await prisma.address.count()).toBe(addresses);
    const row = await prisma.user.findUniqueOrThrow({ where: { id: grace.id } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword(DEMO_CUSTOMER_PASSWORD, row.passwordHash)).toBe(true);
  });
});

describe("domain events", () => {
  it("signUp writes exactly one UserRegistered with the stored (normalised) email and name", async () => {
    let user: UserData | undefined;
    const rows = await outboxDuring(async () => {
      const result = await subgraph.execute<{ signUp: AuthData }>(SIGN_UP, { input: signUpInput({ email: "  Event.Person@Example.COM ", name: "  Event Person " }) });
      expect(result.errors).toBeUndefined();
      user = result.data!.signUp.user;
    });
    expect(rows).toHaveLength(1);
    const event = envelopeOf(rows[0]!);
    expect(event).toMatchObject({ type: "UserRegistered", version: 1, source: "accounts", aggregateId: user!.id });
    // The first event of its flow: it is its own cause and names its own correlation.
    expect(event.correlationId).toBe(event.id);
    expect(event.causationId).toBe(event.id);
    expect(event.payload).toEqual({ userId: user!.id, email: "event.person@example.com", name: "Event Person" });
    // Nothing secret travels: the event carries no password or hash.
    expect(JSON.stringify(rows[0]!.envelope)).not.toMatch(/password|scrypt/i);
  });

  it("a signUp that fails writes no event and no user", async () => {
    const users = await prisma.user.count();
    const rows = await outboxDuring(async () => {
      expect(errorCodes(await subgraph.execute(SIGN_UP, { input: signUpInput({ email: ada.email.toUpperCase() }) }))).toEqual(["CONFLICT"]);
      expect(errorCodes(await subgraph.execute(SIGN_UP, { input: signUpInput({ email: "not-an-email" }) }))).toEqual(["BAD_USER_INPUT"]);
      expect(errorCodes(await subgraph.execute(SIGN_UP, { input: signUpInput({ password: "short" }) }))).toEqual(["BAD_USER_INPUT"]);
    });
    expect(rows).toEqual([]);
    expect(await prisma.user.count()).toBe(users);
  });

  it("two concurrent signUps with one email register one user and write one event", async () => {
    const email = `racer-${Math.random().toString(36).slice(2, 10)}@example.com`;
    let results: Awaited<ReturnType<typeof subgraph.execute>>[] = [];
    const rows = await outboxDuring(async () => {
      results = await Promise.all([0, 1, 2].map(() => subgraph.execute(SIGN_UP, { input: signUpInput({ email }) })));
    });
    expect(results.flatMap(errorCodes)).toEqual(["CONFLICT", "CONFLICT"]);
    const user = await prisma.user.findUniqueOrThrow({ where: { email } });
    expect(rows.map((r) => envelopeOf(r).payload)).toEqual([{ userId: user.id, email, name: "Test Shopper" }]);
  });

  it("signIn, addAddress and seeding write no events: the catalogue has none for them", async () => {
    const rows = await outboxDuring(async () => {
      expect((await subgraph.execute(SIGN_IN, { input: { email: grace.email, password: DEMO_CUSTOMER_PASSWORD } })).errors).toBeUndefined();
      expect((await subgraph.execute(ADD_ADDRESS, { input: addressInput({ label: "Cabin" }) }, { identity: customer(grace.id) })).errors).toBeUndefined();
      await seedAccounts(prisma);
    });
    expect(rows).toEqual([]);
    expect(await prisma.outboxEvent.count({ where: { envelope: { path: ["payload", "userId"], equals: ada.id } } })).toBe(0);
  });
});

describe("accountsService", () => {
  // A database of its own: the service opens its own pool and relay, and a fresh
  // outbox shows that seeding plus one sign-up publish exactly one event.
  // Made in a hook, whose time limit allows for `prisma migrate deploy`.
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase({ prismaDir, label: "accounts_service" });
  });
  afterAll(async () => {
    await own?.drop();
  });

  const configFor = (url: string) => loadConfig(subgraphConfigSchema(accountsService.defaultPort, {}), { DATABASE_URL: url, ROUTER_SIGNING_SECRET: "s".repeat(32) });

  it("publishes a sign-up's UserRegistered once started, and counts it at /metrics", async () => {
    const bus = createInProcessBus({ logger: silentLogger });
    const registry = new Registry();
    const received: AnyEventEnvelope[] = [];
    await bus.consume({ name: "test-listener", types: ["UserRegistered"], handler: async (event) => void received.push(event) });
    const instance = await accountsService.create({ config: configFor(own.url), env: { JWT_SECRET }, logger: silentLogger, bus, registry });
    try {
      await instance.seed();
      instance.start();
      const result = await instance.subgraph.execute<{ signUp: AuthData }>(SIGN_UP, { input: signUpInput({ email: "published@example.com" }) });
      expect(result.errors).toBeUndefined();
      const userId = result.data!.signUp.user.id;
      // The token is signed with JWT_SECRET from the service's environment.
      expect(await verifyAccessToken(JWT_SECRET, result.data!.signUp.accessToken)).toEqual({ ok: true, identity: { userId, roles: ["CUSTOMER"] } });
      // Only the sign-up: the seeded demo users announced nothing.
      await eventually(() => received.length > 0, { what: "UserRegistered to be published" });
      expect(received.map((e) => [e.type, e.payload])).toEqual([["UserRegistered", { userId, email: "published@example.com", name: "Test Shopper" }]]);
      // The relay counts an event only after marking its row published, so this also proves the outbox is drained.
      await eventually(async () => (await registry.getSingleMetricAsString("events_published_total")).includes('events_published_total{type="UserRegistered"} 1'), { what: "events_published_total to count it" });
    } finally {
      await instance.subgraph.stop();
      await instance.dispose();
      await bus.close();
    }
  });

  it("refuses to start without a JWT_SECRET of at least 32 characters", async () => {
    const bus = createInProcessBus({ logger: silentLogger });
    const create = (env: Record<string, string>) => accountsService.create({ config: configFor(own.url), env, logger: silentLogger, bus, registry: new Registry() });
    await expect(create({})).rejects.toBeInstanceOf(ConfigError);
    await expect(create({ JWT_SECRET: "too-short" })).rejects.toThrow(/JWT_SECRET/);
    await bus.close();
  });
});
