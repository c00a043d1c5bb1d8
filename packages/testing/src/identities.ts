import { randomUUID } from "node:crypto";
import { Role, type Identity } from "@store/kit";

export const customer = (userId: string = randomUUID()): Identity => ({ userId, roles: [Role.Customer] });
export const admin = (userId: string = randomUUID()): Identity => ({ userId, roles: [Role.Admin] });

/** Error codes of a GraphQL result, for terse assertions. */
export function errorCodes(result: { errors?: readonly { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}
