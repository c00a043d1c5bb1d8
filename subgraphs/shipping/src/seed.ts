import { demoOrders, type DemoOrderStatus } from "@store/demo-data";
import type { ShipmentStatus } from "./generated/prisma/client.ts";
import type { Db } from "./types.ts";
import { CARRIER, shipmentNote } from "./shipments.ts";

const statusOf: Record<DemoOrderStatus, ShipmentStatus> = { PAID: "PENDING", SHIPPED: "DISPATCHED", DELIVERED: "DELIVERED" };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Inserts a shipment for every demo order; shipments that exist are left as
 * they are (with their history), so seeding twice is harmless. Times are
 * derived from the order's placedAt so the demo reads the same on every run.
 */
export async function seedShipping(prisma: Db): Promise<void> {
  await prisma.$transaction(
    demoOrders.map((order) => {
      const status = statusOf[order.status];
      const createdAt = new Date(order.placedAt);
      const dispatchedAt = status === "PENDING" ? null : new Date(createdAt.getTime() + DAY_MS);
      const deliveredAt = status === "DELIVERED" ? new Date(createdAt.getTime() + 3 * DAY_MS) : null;
      const steps: { status: ShipmentStatus; at: Date }[] = [
        { status: "PENDING", at: createdAt },
        ...(dispatchedAt ? [{ status: "DISPATCHED" as const, at: dispatchedAt }] : []),
        ...(deliveredAt ? [{ status: "DELIVERED" as const, at: deliveredAt }] : []),
      ];
      return prisma.shipment.upsert({
        where: { id: order.shipmentId },
        update: {},
        create: {
          id: order.shipmentId,
          orderId: order.id,
          customerId: order.customerId,
          status,
          carrier: CARRIER,
          trackingNumber: order.trackingNumber,
          createdAt,
          dispatchedAt,
          deliveredAt,
          events: { create: steps.map((step) => ({ status: step.status, note: shipmentNote(step.status, CARRIER), at: step.at })) },
        },
      });
    }),
  );
}
