import type { Identity } from "./identity.ts";
import { isAdmin } from "./identity.ts";
import { ERRORS } from "./errors.ts";

/** Narrows to a signed-in caller or throws UNAUTHENTICATED. */
export function requireUser(identity: Identity | null): Identity {
  if (!identity) throw ERRORS.UNAUTHENTICATED.err("You must be signed in");
  return identity;
}

export function requireAdmin(identity: Identity | null): Identity {
  const user = requireUser(identity);
  if (!isAdmin(user)) throw ERRORS.FORBIDDEN.err("This operation is for administrators only");
  return user;
}

/** The owner of a resource or an admin may see it. */
export function canAccess(identity: Identity | null, ownerId: string): boolean {
  return identity !== null && (identity.userId === ownerId || isAdmin(identity));
}
