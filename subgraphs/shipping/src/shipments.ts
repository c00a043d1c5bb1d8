import { randomInt } from "node:crypto";
import { z } from "zod";
import { createEvent, type EventEnvelope, type ServiceEvents } from "@store/events";
import { ERRORS, fields, parseInput } from "@store/kit";
import type { Shipment, ShipmentStatus } from "./generated/prisma/client.ts";
import type { Db, Tx } from "./types.ts";

export const CARRIER = "Parcelnet";

const TRACKING_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const TRACKING_NUMBER_PATTERN = /^PN[A-Z0-9]{12}$/;

/**
 * `PN` + 12 characters drawn with the CSPRNG (randomInt is unbiased): a
 * tracking number is shown to customers and to the carrier, so it must not be
 * guessable from another one.
 */
export function generateTrackingNumber(): string {
  let suffix = "";
  for (let i = 0; i < 12; i++) suffix += TRACKING_ALPHABET.charAt(randomInt(TRACKING_ALPHABET.length));
  return `PN${suffix}`;
}

/** What a customer reads next to each step of the history. */
export function shipmentNote(status: ShipmentStatus, carrier: string): string {
  switch (status) {
    case "PENDING":
      return `Shipment created; waiting to be handed to ${carrier}`;
    case "DISPATCHED":
      return `Handed to ${carrier}`;
    case "DELIVERED":
      return "Delivered";
  }
}

const createInput = z.object({
  orderId: fields.id("orderId"),
  customerId: fields.id("customerId"),
  correlationId: z.string().min(1).optional(),
});

export interface CreateShipmentInput {
  orderId: string;
  customerId: string;
  /** The order flow's correlation id, kept so later shipment events join that flow. */
  correlationId?: string;
}

// A collision among 36^12 tracking numbers is astronomically rare; a few redraws are plenty.
const MAX_CREATE_ATTEMPTS = 3;

/**
 * Creates the PENDING shipment of a paid order, with its first history event,
 * inside the caller's transaction (the inbox transaction of the PaymentCaptured
 * event, so the shipment and "event handled" commit together). Idempotent per
 * order: any later call gets the same shipment back and writes nothing.
 * Give it a transaction, never the root client: the shipment and its first
 * history event must commit together.
 */
export async function createShipmentForOrder(tx: Tx, input: CreateShipmentInput): Promise<Shipment> {
  const { orderId, customerId, correlationId } = parseInput(createInput, input);
  for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
    // ON CONFLICT DO NOTHING rather than catching a unique violation: in the
    // caller's transaction a failed statement aborts everything (the inbox row
    // included), so there would be nothing left to retry in. A concurrent
    // creator of the same order makes this insert wait for its commit and
    // then skip; the look-up below, a new statement under READ COMMITTED,
    // then sees that creator's row.
    const { count } = await tx.shipment.createMany({
      data: [{ orderId, customerId, correlationId, carrier: CARRIER, trackingNumber: generateTrackingNumber() }],
      skipDuplicates: true,
    });
    const shipment = await tx.shipment.findUnique({ where: { orderId } });
    // Nothing inserted and no shipment for this order: the tracking number belongs to another order; draw again.
    if (!shipment) continue;
    if (count === 0) {
      // The same order paid by two customers means the events are corrupt; shipping to either would be wrong.
      if (shipment.customerId !== customerId) {
        throw ERRORS.CONFLICT.err(`Order ${orderId} already has a shipment for another customer`, { extensions: { field: "customerId" } });
      }
      return shipment;
    }
    await tx.shipmentEvent.create({
      data: { shipmentId: shipment.id, status: "PENDING", note: shipmentNote("PENDING", CARRIER), at: shipment.createdAt },
    });
    return shipment;
  }
  throw ERRORS.INTERNAL_SERVER_ERROR.err(`could not create a shipment for order ${orderId}`);
}

const NEXT_STATUS: Record<ShipmentStatus, Exclude<ShipmentStatus, "PENDING"> | null> = {
  PENDING: "DISPATCHED",
  DISPATCHED: "DELIVERED",
  DELIVERED: null,
};

/** The part of the service's events that a state change needs: the outbox write, and the nudge after commit. */
export type ShipmentEvents = Pick<ServiceEvents<Tx>, "emit" | "committed">;

/** The event announcing that `shipment` has just reached `status`. */
export function shipmentStepEvent(shipment: Shipment, status: Exclude<ShipmentStatus, "PENDING">): EventEnvelope {
  const ids = { shipmentId: shipment.id, orderId: shipment.orderId, customerId: shipment.customerId };
  // Keyed by order: the order saga consumes these, and an order's events stay in one stream of its aggregate.
  const meta = { aggregateId: shipment.orderId };
  const event: EventEnvelope =
    status === "DISPATCHED"
      ? createEvent("ShipmentDispatched", { ...ids, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber }, meta)
      : createEvent("ShipmentDelivered", ids, meta);
  // An admin's action, not an event, causes the step (so the causation id
  // stays the event's own), but it belongs to the order's flow: keep the
  // correlation id of the payment that opened the shipment when we have it.
  return shipment.correlationId ? { ...event, correlationId: shipment.correlationId } : event;
}

/**
 * Moves a shipment one step on (PENDING → DISPATCHED → DELIVERED), stamping
 * the time, adding a history event and writing ShipmentDispatched /
 * ShipmentDelivered to the outbox, all in one transaction: the event exists
 * if and only if the step was taken. Race-safe: the update only applies if
 * the status is still the one read, so of two concurrent calls exactly one
 * wins (and emits) and the other gets INVALID_STATE rather than skipping a step.
 */
export async function advanceShipment(prisma: Db, events: ShipmentEvents, shipmentId: string): Promise<Shipment> {
  const id = parseInput(fields.id("shipmentId"), shipmentId);
  const advanced = await prisma.$transaction(async (tx) => {
    const current = await tx.shipment.findUnique({ where: { id } });
    if (!current) throw ERRORS.NOT_FOUND.err(`Shipment ${id} does not exist`, { extensions: { field: "shipmentId" } });
    const next = NEXT_STATUS[current.status];
    if (!next) throw ERRORS.INVALID_STATE.err(`Shipment ${id} is already delivered`, { extensions: { status: current.status } });
    // Never earlier than the previous step: another process's clock may run
    // ahead of ours, and the database insists the steps are in order.
    const previous = current.dispatchedAt ?? current.createdAt;
    const at = new Date(Math.max(Date.now(), previous.getTime()));
    const { count } = await tx.shipment.updateMany({
      where: { id, status: current.status },
      data: next === "DISPATCHED" ? { status: next, dispatchedAt: at } : { status: next, deliveredAt: at },
    });
    if (count === 0) throw ERRORS.INVALID_STATE.err(`Shipment ${id} was advanced concurrently; reload it and try again`, { extensions: { status: current.status } });
    await tx.shipmentEvent.create({ data: { shipmentId: id, status: next, note: shipmentNote(next, current.carrier), at } });
    const shipment = await tx.shipment.findUniqueOrThrow({ where: { id } });
    await events.emit(tx, shipmentStepEvent(shipment, next));
    return shipment;
  });
  events.committed();
  return advanced;
}
