import { demoOrderTotalCents, demoOrders, demoProductById, demoProducts } from "@store/demo-data";
import type { Db } from "./types.ts";
import { OrderStatus } from "./generated/prisma/enums.ts";
import { lifecyclePath } from "./orderStatus.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** How long after placing a demo order it reached each status, and why. */
const demoSteps: Record<OrderStatus, { after: number; reason: string }> = {
  PENDING: { after: 0, reason: "placed" },
  AWAITING_PAYMENT: { after: 1 * MINUTE, reason: "payment requested" },
  PAID: { after: 2 * MINUTE, reason: "payment captured" },
  SHIPPED: { after: 1 * DAY, reason: "shipped" },
  DELIVERED: { after: 4 * DAY, reason: "delivered" },
  CANCELLED: { after: 5 * MINUTE, reason: "cancelled by the customer" },
};

/**
 * Inserts the local price list and the demo orders with their lines and a
 * status history that walks the lifecycle to each order's status. Rows that
 * exist are left as they are, so seeding twice is harmless.
 */
export async function seedOrders(prisma: Db): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.productPrice.createMany({
      data: demoProducts.map(({ id, name, priceCents, currency }) => ({ productId: id, name, priceCents, currency })),
      skipDuplicates: true,
    });
    const seeded = await tx.order.findMany({ where: { id: { in: demoOrders.map((o) => o.id) } }, select: { id: true } });
    const existing = new Set(seeded.map((o) => o.id));
    for (const demo of demoOrders) {
      if (existing.has(demo.id)) continue;
      const lines = demo.lines.map(({ productId, quantity }) => {
        const product = demoProductById(productId);
        if (!product) throw new Error(`demo order ${demo.id} names unknown product ${productId}`);
        return { productId, productName: product.name, unitPriceCents: product.priceCents, quantity };
      });
      const placedAt = new Date(demo.placedAt);
      const path = lifecyclePath(demo.status);
      const changes = path.map((status, i) => ({
        fromStatus: path[i - 1] ?? null,
        toStatus: status,
        reason: demoSteps[status].reason,
        at: new Date(placedAt.getTime() + demoSteps[status].after),
      }));
      await tx.order.create({
        data: {
          id: demo.id,
          customerId: demo.customerId,
          status: demo.status,
          totalCents: demoOrderTotalCents(demo),
          currency: "USD",
          paymentToken: "tok_demo",
          shippingAddressId: demo.shippingAddressId,
          placedAt,
          updatedAt: changes.at(-1)?.at ?? placedAt,
          lines: { create: lines },
          statusChanges: { create: changes },
        },
      });
    }
  });
}
