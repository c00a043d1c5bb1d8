import type { AnyEventEnvelope } from "@store/events";
import type { OrderStatus } from "./generated/prisma/enums.ts";
import { attemptTransition, type TransitionOutcome } from "./orderStatus.ts";
import type { HandlerDeps, Tx } from "./types.ts";

/**
 * The step an event completes for its order. An unknown order, or one not in
 * `from` (a late, re-ordered or repeated event, or a customer who cancelled
 * first), is left alone and the event acknowledged: retrying could never
 * make the step valid, and the services that care learn the real state from
 * the events the order did emit.
 */
export async function advanceOrder(
  event: AnyEventEnvelope & { payload: { orderId: string } },
  tx: Tx,
  { events, logger }: HandlerDeps,
  step: { from: OrderStatus; to: OrderStatus; reason: string },
): Promise<TransitionOutcome> {
  const { orderId } = event.payload;
  const outcome = await attemptTransition(tx, events, { orderId, to: step.to, from: [step.from], reason: step.reason, causedBy: event });
  if (!outcome.ok) {
    logger.debug(
      { eventId: event.id, type: event.type, orderId, to: step.to, ...(outcome.problem === "NOT_ALLOWED" ? { status: outcome.status } : {}) },
      outcome.problem === "NOT_FOUND" ? "event for an unknown order ignored" : "event does not apply to the order's status; ignored",
    );
  }
  return outcome;
}
