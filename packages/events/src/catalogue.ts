import { z } from "zod";

/**
 * Every domain event, with its current version and payload schema. Payloads
 * are validated when an event is created and again when it is consumed: a
 * producer bug or a hand-made message can never reach a handler.
 *
 * Money is integer minor units plus an ISO currency, as everywhere.
 */
const id = z.uuid();
const cents = z.number().int().min(0);
const currency = z.string().regex(/^[A-Z]{3}$/);
const orderStatus = z.enum(["PENDING", "AWAITING_PAYMENT", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]);
const lines = z.array(z.object({ productId: id, quantity: z.number().int().min(1) })).min(1);

export const eventCatalogue = {
  UserRegistered: { source: "accounts", version: 1, payload: z.object({ userId: id, email: z.string(), name: z.string() }) },
  ProductCreated: {
    source: "catalog",
    version: 1,
    payload: z.object({ productId: id, sku: z.string(), name: z.string(), categoryId: id, priceCents: cents, currency }),
  },
  ProductPriceChanged: {
    source: "catalog",
    version: 1,
    payload: z.object({ productId: id, name: z.string(), priceCents: cents, currency, previousPriceCents: cents, previousCurrency: currency }),
  },
  OrderPlaced: {
    source: "orders",
    version: 1,
    payload: z.object({
      orderId: id,
      customerId: id,
      cartId: id.nullable(),
      lines: z.array(z.object({ productId: id, quantity: z.number().int().min(1), unitPriceCents: cents })).min(1),
      totalCents: cents,
      currency,
      paymentToken: z.string(),
    }),
  },
  OrderStatusChanged: {
    source: "orders",
    version: 1,
    payload: z.object({ orderId: id, customerId: id, from: orderStatus.nullable(), to: orderStatus, reason: z.string() }),
  },
  OrderCancelled: { source: "orders", version: 1, payload: z.object({ orderId: id, customerId: id, reason: z.string(), previousStatus: orderStatus }) },
  /**
   * Orders asks payments to charge the order, in the transaction that moves it
   * to AWAITING_PAYMENT, and never for an order already cancelled: payments
   * charges on this and nothing else. It carries every term of the charge
   * (the token included, as OrderPlaced does), so the request stands on its
   * own whatever payments kept from earlier events.
   */
  PaymentRequested: {
    source: "orders",
    version: 1,
    payload: z.object({ orderId: id, customerId: id, amountCents: cents, currency, paymentToken: z.string() }),
  },
  StockReserved: { source: "inventory", version: 1, payload: z.object({ orderId: id, lines }) },
  StockRejected: {
    source: "inventory",
    version: 1,
    payload: z.object({ orderId: id, shortages: z.array(z.object({ productId: id, requested: z.number().int(), available: z.number().int() })).min(1) }),
  },
  StockChanged: {
    source: "inventory",
    version: 1,
    payload: z.object({ productId: id, onHand: z.number().int().min(0), reserved: z.number().int().min(0), available: z.number().int().min(0) }),
  },
  PaymentCaptured: { source: "payments", version: 1, payload: z.object({ orderId: id, paymentId: id, customerId: id, amountCents: cents, currency }) },
  PaymentFailed: { source: "payments", version: 1, payload: z.object({ orderId: id, paymentId: id, customerId: id, reason: z.string() }) },
  PaymentRefunded: { source: "payments", version: 1, payload: z.object({ orderId: id, paymentId: id, customerId: id, amountCents: cents, currency, reason: z.string() }) },
  ShipmentDispatched: {
    source: "shipping",
    version: 1,
    payload: z.object({ shipmentId: id, orderId: id, customerId: id, carrier: z.string(), trackingNumber: z.string() }),
  },
  ShipmentDelivered: { source: "shipping", version: 1, payload: z.object({ shipmentId: id, orderId: id, customerId: id }) },
} as const;

export type EventCatalogue = typeof eventCatalogue;
export type EventType = keyof EventCatalogue;
export type EventSource = EventCatalogue[EventType]["source"];
export type EventPayload<T extends EventType> = z.output<EventCatalogue[T]["payload"]>;

export const eventTypes = Object.keys(eventCatalogue) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(eventCatalogue, value);
}

/** `events.<source>.<Type>`: consumers filter on it, and the type is in the subject for ops tooling. */
export function subjectOf(type: EventType): string {
  return `events.${eventCatalogue[type].source}.${type}`;
}
