import type { EventEnvelope } from "@store/events";
import { ERRORS } from "@store/kit";
import { createShipmentForOrder } from "../shipments.ts";
import type { HandlerDeps, Tx } from "../types.ts";

/**
 * Domain refusals that no redelivery can change. Retrying them would only
 * delay the consumer's next event and end in the dead-letter subject, so the
 * event is acknowledged and the reason logged instead.
 */
const PERMANENT: ReadonlySet<unknown> = new Set([ERRORS.CONFLICT.code, ERRORS.BAD_USER_INPUT.code]);

/** The catalogue code of a domain error (ERRORS.X.err), undefined for anything else. */
const codeOf = (error: unknown): unknown => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;

/**
 * A captured payment makes the order shippable: open its PENDING shipment,
 * for the customer named in the payment. Runs in the inbox transaction `tx`
 * (so only `tx` is used); creation is idempotent per order as well, so even a
 * second PaymentCaptured for the same order (a retried capture) adds nothing.
 * Nothing is emitted here: the order moves on when the shipment is dispatched.
 */
export async function handlePaymentCaptured(event: EventEnvelope<"PaymentCaptured">, tx: Tx, { logger }: HandlerDeps): Promise<void> {
  const { orderId, customerId } = event.payload;
  try {
    await createShipmentForOrder(tx, { orderId, customerId, correlationId: event.correlationId });
  } catch (error) {
    const code = codeOf(error);
    if (!PERMANENT.has(code)) throw error;
    logger.error({ eventId: event.id, orderId, code, reason: (error as Error).message }, "PaymentCaptured not applied");
  }
}
