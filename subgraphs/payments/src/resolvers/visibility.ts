import { canAccess, type Identity } from "@store/kit";
import type { Payment } from "../generated/prisma/client.ts";

/** A payment someone else may not see is reported exactly as one that does not exist. */
export function visiblePayment(payment: Payment | null, identity: Identity | null): Payment | null {
  return payment && canAccess(identity, payment.customerId) ? payment : null;
}
