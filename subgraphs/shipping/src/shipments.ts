import { randomInt } from "node:crypto";
import { z } from "zod";
import { ERRORS, UNIQUE_VIOLATION, fields, isPrismaError, parseInput } from "@store/kit";
import type { Shipment, ShipmentStatus } from "./generated/prisma/client.ts";
import type { ShippingPrisma } from "./db.ts";

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

const createInput = z.object({ orderId: fields.id("orderId"), customerId: fields.id("customerId") });

// A collision among 36^12 tracking numbers is astronomically rare; a few redraws are plenty.
const MAX_CREATE_ATTEMPTS = 3;

/**
 * Creates the PENDING shipment of a paid order, with its first history event,
 * in one transaction. Idempotent per order: the saga's event may arrive more
 * than once, and every delivery after the first gets the same shipment back.
 */
export async function createShipmentForOrder(prisma: ShippingPrisma, input: { orderId: string; customerId: string }): Promise<Shipment> {
  const { orderId, customerId } = parseInput(createInput, input);
  for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
    const existing = await prisma.shipment.findUnique({ where: { orderId } });
    if (existing) {
      // The same order paid by two customers means the events are corrupt; shipping to either would be wrong.
      if (existing.customerId !== customerId) {
        throw ERRORS.CONFLICT.err(`Order ${orderId} already has a shipment for another customer`, { field: "customerId" });
      }
      return existing;
    }
    try {
      return await prisma.$transaction(async (tx) => {
        const shipment = await tx.shipment.create({
          data: { orderId, customerId, carrier: CARRIER, trackingNumber: generateTrackingNumber() },
        });
        await tx.shipmentEvent.create({
          data: { shipmentId: shipment.id, status: "PENDING", note: shipmentNote("PENDING", CARRIER), at: shipment.createdAt },
        });
        return shipment;
      });
    } catch (error) {
      // Either a concurrent delivery of the same event created the shipment
      // first (the next look-up returns it), or the tracking number was
      // taken (the next attempt draws another).
      if (!isPrismaError(error, UNIQUE_VIOLATION)) throw error;
    }
  }
  throw ERRORS.INTERNAL_SERVER_ERROR.err(`could not create a shipment for order ${orderId}`);
}

const NEXT_STATUS: Record<ShipmentStatus, ShipmentStatus | null> = {
  PENDING: "DISPATCHED",
  DISPATCHED: "DELIVERED",
  DELIVERED: null,
};

/**
 * Moves a shipment one step on (PENDING → DISPATCHED → DELIVERED), stamping
 * the time and adding a history event. Race-safe: the update only applies if
 * the status is still the one read, so of two concurrent calls exactly one
 * wins and the other gets INVALID_STATE rather than skipping a step.
 */
export async function advanceShipment(prisma: ShippingPrisma, shipmentId: string): Promise<Shipment> {
  const id = parseInput(fields.id("shipmentId"), shipmentId);
  return prisma.$transaction(async (tx) => {
    const current = await tx.shipment.findUnique({ where: { id } });
    if (!current) throw ERRORS.NOT_FOUND.err(`Shipment ${id} does not exist`, { field: "shipmentId" });
    const next = NEXT_STATUS[current.status];
    if (!next) throw ERRORS.INVALID_STATE.err(`Shipment ${id} is already delivered`, { status: current.status });
    // Never earlier than the previous step: another process's clock may run
    // ahead of ours, and the database insists the steps are in order.
    const previous = current.dispatchedAt ?? current.createdAt;
    const at = new Date(Math.max(Date.now(), previous.getTime()));
    const { count } = await tx.shipment.updateMany({
      where: { id, status: current.status },
      data: next === "DISPATCHED" ? { status: next, dispatchedAt: at } : { status: next, deliveredAt: at },
    });
    if (count === 0) throw ERRORS.INVALID_STATE.err(`Shipment ${id} was advanced concurrently; reload it and try again`, { status: current.status });
    await tx.shipmentEvent.create({ data: { shipmentId: id, status: next, note: shipmentNote(next, current.carrier), at } });
    return tx.shipment.findUniqueOrThrow({ where: { id } });
  });
}
