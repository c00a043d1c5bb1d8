import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEvent, createInProcessBus, handleOnce, type AnyEventEnvelope, type EventEnvelope, type EventPayload } from "@store/events";
import { silentLogger, type Identity, type Subgraph } from "@store/kit";
import { createTestDatabase, customer, errorCodes, type TestDatabase } from "@store/testing";
import type { Context } from "../src/context.ts";
import { handleOrderPlaced } from "../src/handlers/OrderPlaced.ts";
import { handleProductCreated } from "../src/handlers/ProductCreated.ts";
import { handleProductPriceChanged } from "../src/handlers/ProductPriceChanged.ts";
import { seedCart } from "../src/seed.ts";
import { cartService } from "../src/service.ts";
import type { Db, HandlerDeps, Tx } from "../src/types.ts";

const prismaDir = fileURLToPath(new URL("..", import.meta.url));
let db: TestDatabase;
let prisma: Db;
let subgraph: Subgraph<Context>;

beforeAll(async () => {
  db = await createTestDatabase({ prismaDir, label: "cart-events" });
  prisma = cartService.createPrisma({ url: db.url });
  await seedCart(prisma);
  subgraph = cartService.build({ prisma, bus: createInProcessBus({ logger: silentLogger }), logger: silentLogger }).subgraph;
});

afterAll(async () => {
  await subgraph?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

const CONSUMER = "cart-saga";
const deps: HandlerDeps = { logger: silentLogger };

/** Delivers an event to one handler exactly as the cart-saga consumer does: in one transaction with its inbox row. */
function deliver<E extends AnyEventEnvelope>(event: E, handler: (event: E, tx: Tx, deps: HandlerDeps) => Promise<void>) {
  return handleOnce(prisma, CONSUMER, event, (tx) => handler(event, tx, deps));
}

/** A product cart knows, priced as given; created straight in the snapshot, as if catalog had announced it. */
async function product(priceCents: number, currency = "USD") {
  const productId = randomUUID();
  await prisma.productSnapshot.create({ data: { productId, name: `Product ${productId.slice(0, 8)}`, priceCents, currency } });
  return { productId, priceCents, currency };
}

const ADD = `mutation($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { id } }`;
const MY_CART = `query { myCart { id lines { product { id } quantity } subtotal { amount currency } } }`;
type MyCart = { myCart: { id: string; lines: { product: { id: string }; quantity: number }[]; subtotal: { amount: number; currency: string } } | null };

async function add(identity: Identity, productId: string, quantity = 1): Promise<string> {
  const result = await subgraph.execute<{ addToCart: { id: string } }>(ADD, { productId, quantity }, { identity });
  expect(result.errors).toBeUndefined();
  return result.data!.addToCart.id;
}

async function linesOf(userId: string) {
  const lines = await prisma.cartLine.findMany({ where: { cart: { userId } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return lines.map((line) => [line.productId, line.quantity] as const);
}

function orderPlaced(customerId: string, lines: { productId: string; quantity: number }[], cartId: string | null = null): EventEnvelope<"OrderPlaced"> {
  const orderId = randomUUID();
  return createEvent(
    "OrderPlaced",
    {
      orderId,
      customerId,
      cartId,
      lines: lines.map((line) => ({ ...line, unitPriceCents: 1000 })),
      totalCents: lines.reduce((sum, line) => sum + line.quantity * 1000, 0),
      currency: "USD",
      paymentToken: "tok_visa",
    },
    { aggregateId: orderId },
  );
}

function productCreated(payload: Partial<EventPayload<"ProductCreated">> = {}): EventEnvelope<"ProductCreated"> {
  const productId = payload.productId ?? randomUUID();
  return createEvent(
    "ProductCreated",
    { productId, sku: `SKU-${productId.slice(0, 8)}`, name: "Aeropress Go", categoryId: randomUUID(), priceCents: 3495, currency: "USD", ...payload },
    { aggregateId: productId },
  );
}

function priceChanged(productId: string, priceCents: number, currency: string, previous: { priceCents: number; currency: string }): EventEnvelope<"ProductPriceChanged"> {
  return createEvent(
    "ProductPriceChanged",
    { productId, name: "Renamed with the price", priceCents, currency, previousPriceCents: previous.priceCents, previousCurrency: previous.currency },
    { aggregateId: productId },
  );
}

async function inboxRow(eventId: string) {
  return prisma.inboxEvent.findUnique({ where: { consumer_eventId: { consumer: CONSUMER, eventId } } });
}

describe("OrderPlaced", () => {
  it("removes the ordered products' lines and keeps the rest; a second delivery has no effect; nothing is emitted", async () => {
    const [a, b, later] = [await product(500), await product(700), await product(900)];
    const user = customer();
    const bystander = customer();
    const cartId = await add(user, a.productId, 2);
    await add(user, b.productId, 1);
    // Put in the cart after checking out (before the event arrived): not part of the order, so it stays.
    await add(user, later.productId, 3);
    await add(bystander, a.productId, 4);
    const bystanderBefore = await prisma.cartLine.findMany({ where: { cart: { userId: bystander.userId } } });
    const before = await prisma.cart.findUniqueOrThrow({ where: { id: cartId } });

    const event = orderPlaced(user.userId, [{ productId: a.productId, quantity: 2 }, { productId: b.productId, quantity: 1 }], cartId);
    expect(await deliver(event, handleOrderPlaced)).toBe("handled");
    expect(await linesOf(user.userId)).toEqual([[later.productId, 3]]);
    expect((await prisma.cart.findUniqueOrThrow({ where: { id: cartId } })).updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    expect(await prisma.cartLine.findMany({ where: { cart: { userId: bystander.userId } } })).toEqual(bystanderBefore);
    expect(await inboxRow(event.id)).toMatchObject({ type: "OrderPlaced" });

    // The customer adds an ordered product again; a redelivery of the same event must not take it away.
    await add(user, a.productId, 1);
    const after = await linesOf(user.userId);
    expect(await deliver(event, handleOrderPlaced)).toBe("duplicate");
    expect(await linesOf(user.userId)).toEqual(after);

    // Cart emits nothing: no follow-up event for anyone.
    expect(await prisma.outboxEvent.count()).toBe(0);
  });

  it("removes a line whole even when the order holds fewer units than the cart", async () => {
    const a = await product(500);
    const user = customer();
    await add(user, a.productId, 5);
    expect(await deliver(orderPlaced(user.userId, [{ productId: a.productId, quantity: 2 }]), handleOrderPlaced)).toBe("handled");
    expect(await linesOf(user.userId)).toEqual([]);
  });

  it("uses the customer's own cart when the order names none (placed without the cart)", async () => {
    const [a, b] = [await product(500), await product(700)];
    const user = customer();
    await add(user, a.productId, 1);
    await add(user, b.productId, 1);
    expect(await deliver(orderPlaced(user.userId, [{ productId: b.productId, quantity: 1 }], null), handleOrderPlaced)).toBe("handled");
    expect(await linesOf(user.userId)).toEqual([[a.productId, 1]]);
  });

  it("never touches a cart that is not the customer's, even when the order names it", async () => {
    const a = await product(500);
    const user = customer();
    const victim = customer();
    await add(user, a.productId, 1);
    const victimCart = await add(victim, a.productId, 2);
    const victimBefore = await prisma.cart.findUniqueOrThrow({ where: { id: victimCart }, include: { lines: true } });

    expect(await deliver(orderPlaced(user.userId, [{ productId: a.productId, quantity: 1 }], victimCart), handleOrderPlaced)).toBe("handled");
    expect(await prisma.cart.findUniqueOrThrow({ where: { id: victimCart }, include: { lines: true } })).toEqual(victimBefore);
    // The customer's own cart is still the one an order of theirs empties.
    expect(await linesOf(user.userId)).toEqual([]);
  });

  it("is a no-op, not a failure, for a customer without a cart and for a cart holding none of the products", async () => {
    const [a, b] = [await product(500), await product(700)];
    const everything = async () => ({ carts: await prisma.cart.findMany({ orderBy: { id: "asc" } }), lines: await prisma.cartLine.findMany({ orderBy: { id: "asc" } }) });

    const stranger = orderPlaced(randomUUID(), [{ productId: a.productId, quantity: 1 }], randomUUID());
    const before = await everything();
    expect(await deliver(stranger, handleOrderPlaced)).toBe("handled");
    expect(await everything()).toEqual(before);
    expect(await inboxRow(stranger.id)).not.toBeNull();

    const user = customer();
    await add(user, a.productId, 1);
    const untouched = await everything();
    // Not even updatedAt moves: there was nothing to change.
    expect(await deliver(orderPlaced(user.userId, [{ productId: b.productId, quantity: 1 }]), handleOrderPlaced)).toBe("handled");
    expect(await everything()).toEqual(untouched);
  });

  it("leaves no inbox row when the handler fails, so the redelivery does the work", async () => {
    const a = await product(500);
    const user = customer();
    await add(user, a.productId, 1);
    const event = orderPlaced(user.userId, [{ productId: a.productId, quantity: 1 }]);
    const failing = async (e: EventEnvelope<"OrderPlaced">, tx: Tx) => {
      await handleOrderPlaced(e, tx, deps);
      throw new Error("connection reset");
    };
    await expect(handleOnce(prisma, CONSUMER, event, (tx) => failing(event, tx))).rejects.toThrow("connection reset");
    expect(await inboxRow(event.id)).toBeNull();
    expect(await linesOf(user.userId)).toEqual([[a.productId, 1]]);

    expect(await deliver(event, handleOrderPlaced)).toBe("handled");
    expect(await linesOf(user.userId)).toEqual([]);
  });
});

describe("ProductCreated", () => {
  it("snapshots a new product so addToCart accepts it, and a second delivery changes nothing", async () => {
    const event = productCreated({ priceCents: 2450, currency: "USD" });
    const { productId } = event.payload;
    const user = customer();
    expect(errorCodes(await subgraph.execute(ADD, { productId, quantity: 1 }, { identity: user }))).toEqual(["NOT_FOUND"]);

    expect(await deliver(event, handleProductCreated)).toBe("handled");
    expect(await prisma.productSnapshot.findUnique({ where: { productId } })).toMatchObject({ name: "Aeropress Go", priceCents: 2450, currency: "USD" });
    await add(user, productId, 2);
    const cart = await subgraph.execute<MyCart>(MY_CART, {}, { identity: user });
    expect(cart.data!.myCart).toMatchObject({ lines: [{ product: { id: productId }, quantity: 2 }], subtotal: { amount: 4900, currency: "USD" } });

    // A later price change, then the creation again: the redelivery must not put the old price back.
    expect(await deliver(priceChanged(productId, 2600, "USD", { priceCents: 2450, currency: "USD" }), handleProductPriceChanged)).toBe("handled");
    expect(await deliver(event, handleProductCreated)).toBe("duplicate");
    expect(await prisma.productSnapshot.findUnique({ where: { productId } })).toMatchObject({ priceCents: 2600 });
    expect(await prisma.outboxEvent.count()).toBe(0);
  });

  it("takes the catalog's values for a product the snapshot already has (seeded)", async () => {
    const existing = await product(100);
    const event = productCreated({ productId: existing.productId, name: "Catalog's name", priceCents: 150, currency: "USD" });
    expect(await deliver(event, handleProductCreated)).toBe("handled");
    expect(await prisma.productSnapshot.findUnique({ where: { productId: existing.productId } })).toMatchObject({ name: "Catalog's name", priceCents: 150 });
  });
});

describe("ProductPriceChanged", () => {
  it("reprices carts at once (name included); a second delivery has no effect", async () => {
    const a = await product(1000);
    const user = customer();
    await add(user, a.productId, 3);
    const event = priceChanged(a.productId, 1250, "USD", a);
    expect(await deliver(event, handleProductPriceChanged)).toBe("handled");
    const snapshot = await prisma.productSnapshot.findUniqueOrThrow({ where: { productId: a.productId } });
    expect(snapshot).toMatchObject({ name: "Renamed with the price", priceCents: 1250, currency: "USD" });
    const cart = await subgraph.execute<MyCart>(MY_CART, {}, { identity: user });
    expect(cart.data!.myCart!.subtotal).toEqual({ amount: 3750, currency: "USD" });

    expect(await deliver(event, handleProductPriceChanged)).toBe("duplicate");
    expect(await prisma.productSnapshot.findUniqueOrThrow({ where: { productId: a.productId } })).toEqual(snapshot);
    expect(await linesOf(user.userId)).toEqual([[a.productId, 3]]);
  });

  it("snapshots a product cart never heard of, from the event alone", async () => {
    const productId = randomUUID();
    expect(await deliver(priceChanged(productId, 990, "EUR", { priceCents: 900, currency: "EUR" }), handleProductPriceChanged)).toBe("handled");
    expect(await prisma.productSnapshot.findUnique({ where: { productId } })).toMatchObject({ priceCents: 990, currency: "EUR" });
  });

  it("on a currency change, removes the product from carts that hold other-currency lines and keeps it where it fits", async () => {
    const [moved, usd, eur] = [await product(1000, "USD"), await product(500, "USD"), await product(700, "EUR")];
    const mixed = customer(); // moved + a USD product: would mix, so `moved` leaves
    const alone = customer(); // only `moved`: the cart follows it into EUR
    const fits = customer(); // filled after the change: `moved` next to a product that was EUR all along
    const without = customer(); // does not hold `moved`
    await add(mixed, moved.productId, 2);
    await add(mixed, usd.productId, 1);
    await add(alone, moved.productId, 4);
    await add(without, usd.productId, 1);
    const withoutBefore = await prisma.cart.findUniqueOrThrow({ where: { userId: without.userId }, include: { lines: true } });

    expect(await deliver(priceChanged(moved.productId, 900, "EUR", moved), handleProductPriceChanged)).toBe("handled");
    expect(await linesOf(mixed.userId)).toEqual([[usd.productId, 1]]);
    expect(await linesOf(alone.userId)).toEqual([[moved.productId, 4]]);
    expect(await prisma.cart.findUniqueOrThrow({ where: { userId: without.userId }, include: { lines: true } })).toEqual(withoutBefore);
    for (const [identity, subtotal] of [
      [mixed, { amount: 500, currency: "USD" }],
      [alone, { amount: 3600, currency: "EUR" }],
    ] as const) {
      const cart = await subgraph.execute<MyCart>(MY_CART, {}, { identity });
      expect(cart.errors).toBeUndefined();
      expect(cart.data!.myCart!.subtotal).toEqual(subtotal);
    }

    // A cart already holding EUR products next to `moved` (now EUR) is consistent, and a change back to USD splits it again.
    await add(fits, moved.productId, 1);
    await add(fits, eur.productId, 1);
    const back = priceChanged(moved.productId, 1000, "USD", { priceCents: 900, currency: "EUR" });
    expect(await deliver(back, handleProductPriceChanged)).toBe("handled");
    expect(await linesOf(fits.userId)).toEqual([[eur.productId, 1]]);
    expect(await linesOf(alone.userId)).toEqual([[moved.productId, 4]]);
    expect(await prisma.outboxEvent.count()).toBe(0);
  });

  it("removes nothing when only the price moves, even from a cart that mixes currencies already", async () => {
    const [a, b] = [await product(1000, "USD"), await product(800, "USD")];
    const user = customer();
    await add(user, a.productId, 1);
    await add(user, b.productId, 1);
    // A mixed cart made behind cart's back (see cart.test.ts): a price-only event is not the moment to judge it.
    await prisma.productSnapshot.update({ where: { productId: b.productId }, data: { currency: "EUR" } });
    expect(await deliver(priceChanged(a.productId, 1100, "USD", a), handleProductPriceChanged)).toBe("handled");
    expect(await linesOf(user.userId)).toEqual([
      [a.productId, 1],
      [b.productId, 1],
    ]);
  });
});

describe("the cart-saga consumer", () => {
  it("receives each event type through the bus and handles it once, in its inbox", async () => {
    const bus = createInProcessBus({ logger: silentLogger, delay: () => 1 });
    const { events, subscribe } = cartService.build({ prisma, bus, logger: silentLogger });
    const consumers = await subscribe();
    try {
      expect(consumers.map((c) => c.name)).toEqual([CONSUMER]);
      const created = productCreated({ priceCents: 1800 });
      const { productId } = created.payload;
      await bus.publish(created);
      expect(await prisma.productSnapshot.findUnique({ where: { productId } })).toMatchObject({ priceCents: 1800 });

      const user = customer();
      await add(user, productId, 1);
      const placed = orderPlaced(user.userId, [{ productId, quantity: 1 }]);
      await bus.publish(placed);
      expect(await linesOf(user.userId)).toEqual([]);
      expect(await inboxRow(created.id)).toMatchObject({ type: "ProductCreated" });
      expect(await inboxRow(placed.id)).toMatchObject({ type: "OrderPlaced" });

      // Redelivered after a restart (the bus's own de-duplication forgotten): the inbox makes it a no-op.
      await add(user, productId, 2);
      const again = createInProcessBus({ logger: silentLogger });
      const replay = cartService.build({ prisma, bus: again, logger: silentLogger });
      await replay.subscribe();
      await again.publish(placed);
      await replay.events.stop();
      expect(await linesOf(user.userId)).toEqual([[productId, 2]]);
      expect(bus.deadLetters).toEqual([]);
      expect(again.deadLetters).toEqual([]);
    } finally {
      await events.stop();
    }
  });
});
