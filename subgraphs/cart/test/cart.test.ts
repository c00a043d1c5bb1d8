import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoProducts, demoUsers } from "@store/demo-data";
import { createInProcessBus } from "@store/events";
import { silentLogger, type Identity, type Subgraph } from "@store/kit";
import { admin, countQueries, createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { seedCart } from "../src/seed.ts";
import { cartService } from "../src/service.ts";
import type { Db } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "cart" });
  prisma = cartService.createPrisma({ url: db.url });
  await seedCart(prisma);
  subgraph = cartService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }).subgraph;
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";
const coffee = demoProducts[0]!;
const colombia = demoProducts[1]!;
const decaf = demoProducts[2]!;
const sencha = demoProducts[3]!;

const CART = /* GraphQL */ `
  fragment CartFields on Cart {
    id
    itemCount
    subtotal { amount currency }
    updatedAt
    lines { id quantity product { id } unitPrice { amount currency } lineTotal { amount currency } }
  }
`;

type Money = { amount: number; currency: string };
type CartData = {
  id: string;
  itemCount: number;
  subtotal: Money;
  updatedAt: string;
  lines: { id: string; quantity: number; product: { id: string }; unitPrice: Money; lineTotal: Money }[];
};

const MY_CART = `query { myCart { ...CartFields } } ${CART}`;
const ADD = `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { ...CartFields } } ${CART}`;
const CHANGE = `mutation($lineId: ID!, $quantity: Int!) { changeCartLineQuantity(lineId: $lineId, quantity: $quantity) { ...CartFields } } ${CART}`;
const REMOVE = `mutation($lineId: ID!) { removeCartLine(lineId: $lineId) { ...CartFields } } ${CART}`;
const CLEAR = `mutation { clearCart { ...CartFields } } ${CART}`;

async function add(identity: Identity, productId: string, quantity: number): Promise<CartData> {
  const result = await subgraph.execute<{ addToCart: CartData }>(ADD, { productId, quantity }, { identity });
  expect(result.errors).toBeUndefined();
  return result.data!.addToCart;
}

async function myCart(identity: Identity): Promise<CartData | null> {
  const result = await subgraph.execute<{ myCart: CartData | null }>(MY_CART, {}, { identity });
  expect(result.errors).toBeUndefined();
  return result.data!.myCart;
}

/** Every cart-owned row, for "nothing was written" assertions (timestamps included). */
async function everything() {
  const [carts, lines, snapshots] = await Promise.all([
    prisma.cart.findMany({ orderBy: { id: "asc" } }),
    prisma.cartLine.findMany({ orderBy: { id: "asc" } }),
    prisma.productSnapshot.findMany({ orderBy: { productId: "asc" } }),
  ]);
  return { carts, lines, snapshots };
}

describe("seed", () => {
  it("snapshots every demo product and gives the first demo customer a priced cart, idempotently", async () => {
    const before = await everything();
    expect(before.snapshots).toHaveLength(demoProducts.length);
    expect(before.snapshots.find((s) => s.productId === coffee.id)).toMatchObject({ name: coffee.name, priceCents: coffee.priceCents, currency: "USD" });

    const ada = demoUsers.find((u) => u.role === "CUSTOMER")!;
    const cart = await myCart(customer(ada.id));
    expect(cart?.lines).toHaveLength(2);
    const expected = cart!.lines.reduce((sum, line) => sum + line.quantity * demoProducts.find((p) => p.id === line.product.id)!.priceCents, 0);
    expect(cart!.subtotal).toEqual({ amount: expected, currency: "USD" });

    await seedCart(prisma);
    expect(await everything()).toEqual(before);
  });
});

describe("myCart", () => {
  it("is null for a user without a cart and UNAUTHENTICATED for an anonymous caller", async () => {
    expect(await myCart(customer())).toBeNull();
    expect(errorCodes(await subgraph.execute(MY_CART))).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("addToCart", () => {
  it("creates the cart on first use, adds to an existing line and prices lines at the snapshot's current price", async () => {
    const user = customer();
    const first = await add(user, coffee.id, 2);
    expect(first.lines).toEqual([
      {
        id: expect.any(String),
        quantity: 2,
        product: { id: coffee.id },
        unitPrice: { amount: coffee.priceCents, currency: "USD" },
        lineTotal: { amount: 2 * coffee.priceCents, currency: "USD" },
      },
    ]);
    const second = await add(user, coffee.id, 3);
    expect(second.id).toBe(first.id);
    expect(second.lines.map((l) => [l.id, l.quantity])).toEqual([[first.lines[0]!.id, 5]]);
    expect(Date.parse(second.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt));

    const third = await add(user, colombia.id, 1);
    expect(third.lines.map((l) => l.product.id)).toEqual([coffee.id, colombia.id]);
    expect(third.itemCount).toBe(6);
    expect(third.subtotal).toEqual({ amount: 5 * coffee.priceCents + colombia.priceCents, currency: "USD" });
    expect(await myCart(user)).toEqual(third);

    // Prices are current: a new snapshot price (a later catalog event) shows up at once.
    await prisma.productSnapshot.update({ where: { productId: colombia.id }, data: { priceCents: colombia.priceCents + 100 } });
    try {
      expect((await myCart(user))!.subtotal.amount).toBe(5 * coffee.priceCents + colombia.priceCents + 100);
    } finally {
      await prisma.productSnapshot.update({ where: { productId: colombia.id }, data: { priceCents: colombia.priceCents } });
    }
  });

  it("fills a line up to exactly 100 units", async () => {
    const user = customer();
    await add(user, decaf.id, 60);
    expect((await add(user, decaf.id, 40)).lines[0]!.quantity).toBe(100);
  });

  it("rejects zero, negative, 101 and fractional quantities and a malformed product id with BAD_USER_INPUT, writing nothing", async () => {
    const user = customer();
    await add(user, coffee.id, 1);
    const before = await everything();
    for (const quantity of [0, -1, 101, 1.5]) {
      expect(errorCodes(await subgraph.execute(ADD, { productId: coffee.id, quantity }, { identity: user }))).toEqual(["BAD_USER_INPUT"]);
    }
    const malformed = await subgraph.execute(ADD, { productId: "not-a-uuid", quantity: 1 }, { identity: user });
    expect(errorCodes(malformed)).toEqual(["BAD_USER_INPUT"]);
    expect(malformed.errors![0]!.extensions!.issues).toEqual([{ field: "productId", message: "productId must be a UUID" }]);
    // A brand-new user: not even a cart appears.
    expect(errorCodes(await subgraph.execute(ADD, { productId: coffee.id, quantity: 0 }, { identity: customer() }))).toEqual(["BAD_USER_INPUT"]);
    expect(await everything()).toEqual(before);
  });

  it("answers NOT_FOUND on productId for a product missing from the snapshot, writing nothing", async () => {
    const before = await everything();
    for (const identity of [customer(), customer(demoUsers[0]!.id)]) {
      const result = await subgraph.execute(ADD, { productId: NO_SUCH_ID, quantity: 1 }, { identity });
      expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
      expect(result.errors![0]!.extensions!.field).toBe("productId");
    }
    expect(await everything()).toEqual(before);
  });

  it("refuses an anonymous caller with UNAUTHENTICATED, writing nothing", async () => {
    const before = await everything();
    expect(errorCodes(await subgraph.execute(ADD, { productId: coffee.id, quantity: 1 }))).toEqual(["UNAUTHENTICATED"]);
    expect(await everything()).toEqual(before);
  });

  it("refuses a line that would exceed 100 units with BAD_USER_INPUT, writing nothing (not even updatedAt)", async () => {
    const user = customer();
    await add(user, coffee.id, 60);
    const before = await everything();
    const result = await subgraph.execute(ADD, { productId: coffee.id, quantity: 41 }, { identity: user });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors![0]!.extensions!.field).toBe("quantity");
    expect(await everything()).toEqual(before);
  });

  it("refuses a product priced in another currency than the cart's lines with BAD_USER_INPUT, writing nothing", async () => {
    const euroProduct = randomUUID();
    await prisma.productSnapshot.create({ data: { productId: euroProduct, name: "Imported Moka Pot", priceCents: 3900, currency: "EUR" } });
    try {
      const user = customer();
      await add(user, coffee.id, 1);
      const before = await everything();
      const result = await subgraph.execute(ADD, { productId: euroProduct, quantity: 1 }, { identity: user });
      expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors![0]!.extensions!.field).toBe("productId");
      expect(await everything()).toEqual(before);

      // An empty cart takes its currency from its first line.
      const euroCart = await add(customer(), euroProduct, 2);
      expect(euroCart.subtotal).toEqual({ amount: 7800, currency: "EUR" });

      // Only a product changing currency after it was added can mix a cart; that is a stable INVALID_STATE, not a crash.
      await prisma.productSnapshot.update({ where: { productId: euroProduct }, data: { currency: "USD" } });
      await add(user, euroProduct, 1);
      await prisma.productSnapshot.update({ where: { productId: euroProduct }, data: { currency: "EUR" } });
      const mixed = await subgraph.execute(MY_CART, {}, { identity: user });
      expect(errorCodes(mixed)).toEqual(["INVALID_STATE"]);
    } finally {
      await prisma.cartLine.deleteMany({ where: { productId: euroProduct } });
      await prisma.productSnapshot.delete({ where: { productId: euroProduct } });
    }
  });

  it("creates one cart and counts every unit when adds race on a new user's first use", async () => {
    const user = customer();
    const results = await Promise.all(Array.from({ length: 8 }, () => subgraph.execute<{ addToCart: CartData }>(ADD, { productId: sencha.id, quantity: 1 }, { identity: user })));
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(await prisma.cart.count({ where: { userId: user.userId } })).toBe(1);
    expect((await myCart(user))!.lines.map((l) => l.quantity)).toEqual([8]);
  });

  it("lets exactly as many racing adds through as fit under the cap", async () => {
    const user = customer();
    await add(user, sencha.id, 1);
    const results = await Promise.all(Array.from({ length: 3 }, () => subgraph.execute(ADD, { productId: sencha.id, quantity: 40 }, { identity: user })));
    expect(results.map(errorCodes).sort()).toEqual([[], [], ["BAD_USER_INPUT"]]);
    expect((await myCart(user))!.lines.map((l) => l.quantity)).toEqual([81]);
  });
});

describe("changeCartLineQuantity", () => {
  it("sets a line's quantity and reprices it", async () => {
    const user = customer();
    const cart = await add(user, coffee.id, 1);
    const result = await subgraph.execute<{ changeCartLineQuantity: CartData }>(CHANGE, { lineId: cart.lines[0]!.id, quantity: 7 }, { identity: user });
    expect(result.errors).toBeUndefined();
    expect(result.data!.changeCartLineQuantity.lines[0]).toMatchObject({ quantity: 7, lineTotal: { amount: 7 * coffee.priceCents } });
    expect(result.data!.changeCartLineQuantity.itemCount).toBe(7);
  });

  it("rejects bad quantities and ids with stable codes, and another user's line as NOT_FOUND, writing nothing", async () => {
    const owner = customer();
    const other = customer();
    const ownerLine = (await add(owner, coffee.id, 3)).lines[0]!.id;
    const otherLine = (await add(other, colombia.id, 2)).lines[0]!.id;
    const before = await everything();
    for (const quantity of [0, -3, 101]) {
      expect(errorCodes(await subgraph.execute(CHANGE, { lineId: ownerLine, quantity }, { identity: owner }))).toEqual(["BAD_USER_INPUT"]);
    }
    expect(errorCodes(await subgraph.execute(CHANGE, { lineId: "line-1", quantity: 1 }, { identity: owner }))).toEqual(["BAD_USER_INPUT"]);
    const foreign = await subgraph.execute(CHANGE, { lineId: otherLine, quantity: 9 }, { identity: owner });
    const missing = await subgraph.execute(CHANGE, { lineId: NO_SUCH_ID, quantity: 9 }, { identity: owner });
    // The same answer whether the line belongs to someone else or does not exist.
    expect(foreign.errors?.[0]?.extensions).toEqual({ code: "NOT_FOUND", field: "lineId" });
    expect(missing.errors?.[0]?.extensions).toEqual({ code: "NOT_FOUND", field: "lineId" });
    expect(errorCodes(await subgraph.execute(CHANGE, { lineId: otherLine, quantity: 9 }, { identity: customer() }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await subgraph.execute(CHANGE, { lineId: ownerLine, quantity: 9 }))).toEqual(["UNAUTHENTICATED"]);
    expect(await everything()).toEqual(before);
  });
});

describe("removeCartLine", () => {
  it("removes a line of the caller's cart", async () => {
    const user = customer();
    await add(user, coffee.id, 1);
    const cart = await add(user, colombia.id, 2);
    const result = await subgraph.execute<{ removeCartLine: CartData }>(REMOVE, { lineId: cart.lines[0]!.id }, { identity: user });
    expect(result.errors).toBeUndefined();
    expect(result.data!.removeCartLine.lines.map((l) => l.product.id)).toEqual([colombia.id]);
    expect(result.data!.removeCartLine.subtotal.amount).toBe(2 * colombia.priceCents);
  });

  it("answers NOT_FOUND for another user's line, BAD_USER_INPUT for a malformed id and UNAUTHENTICATED when anonymous, writing nothing", async () => {
    const owner = customer();
    const intruder = customer();
    const line = (await add(owner, coffee.id, 1)).lines[0]!.id;
    await add(intruder, coffee.id, 1);
    const before = await everything();
    expect(errorCodes(await subgraph.execute(REMOVE, { lineId: line }, { identity: intruder }))).toEqual(["NOT_FOUND"]);
    expect(errorCodes(await subgraph.execute(REMOVE, { lineId: "x" }, { identity: owner }))).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(await subgraph.execute(REMOVE, { lineId: line }))).toEqual(["UNAUTHENTICATED"]);
    expect(await everything()).toEqual(before);
  });
});

describe("clearCart", () => {
  it("removes every line but keeps the cart, and gives a user without one an empty cart", async () => {
    const user = customer();
    await add(user, coffee.id, 1);
    const full = await add(user, colombia.id, 4);
    const result = await subgraph.execute<{ clearCart: CartData }>(CLEAR, {}, { identity: user });
    expect(result.errors).toBeUndefined();
    expect(result.data!.clearCart).toMatchObject({ id: full.id, lines: [], itemCount: 0, subtotal: { amount: 0, currency: "USD" } });

    const fresh = await subgraph.execute<{ clearCart: CartData }>(CLEAR, {}, { identity: customer() });
    expect(fresh.data!.clearCart).toMatchObject({ lines: [], itemCount: 0 });
  });

  it("refuses an anonymous caller, writing nothing", async () => {
    const before = await everything();
    expect(errorCodes(await subgraph.execute(CLEAR))).toEqual(["UNAUTHENTICATED"]);
    expect(await everything()).toEqual(before);
  });

  it("sees its own writes when one request runs several mutations", async () => {
    const user = customer();
    const result = await subgraph.execute<{ a: CartData; b: CartData; c: CartData }>(
      `mutation($p: ID!) { a: addToCart(productId: $p, quantity: 2) { ...CartFields } b: clearCart { ...CartFields } c: addToCart(productId: $p, quantity: 1) { ...CartFields } } ${CART}`,
      { p: coffee.id },
      { identity: user },
    );
    expect(result.errors).toBeUndefined();
    expect([result.data!.a.itemCount, result.data!.b.itemCount, result.data!.c.itemCount]).toEqual([2, 0, 1]);
  });
});

const USER_CART = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id cart { id itemCount } } } }`;
type UserEntities = { _entities: ({ id: string; cart: { id: string; itemCount: number } | null } | null)[] };

describe("User.cart", () => {
  it("shows a user their own cart and an admin anyone's; null when there is none", async () => {
    const user = customer();
    const cart = await add(user, coffee.id, 3);
    const r = [{ __typename: "User", id: user.userId }];
    for (const identity of [user, admin()]) {
      const result = await subgraph.execute<UserEntities>(USER_CART, { r }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([{ id: user.userId, cart: { id: cart.id, itemCount: 3 } }]);
    }
    const none = customer();
    const empty = await subgraph.execute<UserEntities>(USER_CART, { r: [{ __typename: "User", id: none.userId }] }, { identity: none });
    expect(empty.errors).toBeUndefined();
    expect(empty.data!._entities).toEqual([{ id: none.userId, cart: null }]);
  });

  it("answers FORBIDDEN to another customer (whether or not a cart exists) and UNAUTHENTICATED to an anonymous caller", async () => {
    const user = customer();
    await add(user, coffee.id, 1);
    for (const target of [user.userId, randomUUID()]) {
      const result = await subgraph.execute<UserEntities>(USER_CART, { r: [{ __typename: "User", id: target }] }, { identity: customer() });
      expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
      expect(result.data!._entities).toEqual([{ id: target, cart: null }]);
    }
    expect(errorCodes(await subgraph.execute(USER_CART, { r: [{ __typename: "User", id: user.userId }] }))).toEqual(["UNAUTHENTICATED"]);
  });
});

const CART_ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { id itemCount subtotal { amount } } } }`;
type CartEntities = { _entities: ({ id: string; itemCount: number; subtotal: { amount: number } } | null)[] };

describe("Cart _entities", () => {
  it("resolves a cart for its owner and an admin, and null for anyone else, an unknown or a malformed id", async () => {
    const user = customer();
    const cart = await add(user, coffee.id, 2);
    const r = [{ __typename: "Cart", id: cart.id }];
    for (const identity of [user, admin()]) {
      const result = await subgraph.execute<CartEntities>(CART_ENTITIES, { r }, { identity });
      expect(result.data!._entities).toEqual([{ id: cart.id, itemCount: 2, subtotal: { amount: 2 * coffee.priceCents } }]);
    }
    for (const identity of [customer(), null]) {
      const result = await subgraph.execute<CartEntities>(CART_ENTITIES, { r }, { identity });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual([null]);
    }
    const odd = await subgraph.execute<CartEntities>(CART_ENTITIES, { r: [{ __typename: "Cart", id: NO_SUCH_ID }, { __typename: "Cart", id: "42" }, ...r] }, { identity: admin() });
    expect(odd.errors).toBeUndefined();
    expect(odd.data!._entities.map((c) => c?.id ?? null)).toEqual([null, null, cart.id]);
  });

  describe("batches of 50", () => {
    const users = Array.from({ length: 50 }, () => randomUUID());
    const cartIds = users.map(() => randomUUID());

    beforeAll(async () => {
      await prisma.cart.createMany({ data: users.map((userId, i) => ({ id: cartIds[i]!, userId })) });
      // Two lines each, over rotating products, so the batch touches many snapshots.
      await prisma.cartLine.createMany({
        data: cartIds.flatMap((cartId, i) => [
          { cartId, productId: demoProducts[i % demoProducts.length]!.id, quantity: 1 },
          { cartId, productId: demoProducts[(i + 7) % demoProducts.length]!.id, quantity: (i % 5) + 1 },
        ]),
      });
    });

    it("resolves 50 carts with their item counts and subtotals in one query per table: carts, lines, snapshots", async () => {
      const counter = countQueries(prisma);
      const result = await subgraph.execute<CartEntities>(CART_ENTITIES, { r: cartIds.map((id) => ({ __typename: "Cart", id })) }, { identity: admin() });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toEqual(
        cartIds.map((id, i) => ({
          id,
          itemCount: 1 + (i % 5) + 1,
          subtotal: { amount: demoProducts[i % demoProducts.length]!.priceCents + ((i % 5) + 1) * demoProducts[(i + 7) % demoProducts.length]!.priceCents },
        })),
      );
      const tables = counter.statements.map((sql) => /FROM "public"\."(\w+)"/.exec(sql)?.[1]);
      expect(tables).toEqual(["Cart", "CartLine", "ProductSnapshot"]);
      expect(counter.count).toBe(3);
    });

    it("resolves 50 users' carts with one query", async () => {
      const counter = countQueries(prisma);
      const result = await subgraph.execute<{ _entities: { id: string; cart: { id: string } | null }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id cart { id } } } }`,
        { r: users.map((id) => ({ __typename: "User", id })) },
        { identity: admin() },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities.map((u) => u.cart?.id)).toEqual(cartIds);
      expect(counter.count).toBe(1);
    });
  });
});
