import type { EventEnvelope } from "@store/events";
import type { Logger } from "@store/kit";
import type { Tx } from "../types.ts";

export interface OrderPlacedDeps {
  logger: Logger;
}

/**
 * Remembers what to charge for a new order. Payments cannot read orders'
 * database, so the intent keeps what the event says until orders' own
 * PaymentRequested says "charge now". Nothing is charged yet: the stock may
 * still be refused, or the customer cancel. The intent is also where
 * OrderCancelled marks the order, so a cancel is on record whatever arrives
 * after it.
 *
 * Runs in the inbox transaction `tx`. An intent that exists is left as it is
 * (the first word on an order stands, and a cancelled intent must stay
 * cancelled), so even an OrderPlaced re-sent under a new event id changes nothing.
 */
export async function handleOrderPlaced(event: EventEnvelope<"OrderPlaced">, tx: Tx, { logger }: OrderPlacedDeps): Promise<void> {
  const { orderId, customerId, totalCents, currency, paymentToken } = event.payload;
  const { count } = await tx.paymentIntent.createMany({
    data: [{ orderId, customerId, amountCents: totalCents, currency, paymentToken }],
    skipDuplicates: true,
  });
  if (count === 0) logger.debug({ eventId: event.id, orderId }, "payment intent already recorded");
}
