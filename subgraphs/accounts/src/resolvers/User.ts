import { ERRORS, canAccess, type Identity } from "@store/kit";
import type { UserResolvers } from "../generated/graphql.ts";
import type { UserMapper } from "../mappers.ts";
import { isUuid } from "./ids.ts";

/** Email and addresses are personal: only the user themself or an admin may read them. */
function assertPersonalVisible(user: UserMapper, identity: Identity | null, field: string): void {
  if (user.callerIsOwner || canAccess(identity, user.id)) return;
  throw ERRORS.FORBIDDEN.err(`Only the user themself or an admin may see ${field}`, { extensions: { field } });
}

export const User: UserResolvers = {
  // Other subgraphs hold only ids; one that is not a UUID cannot match a row, and must not fail the batch.
  __resolveReference: (ref, { loaders }) => (isUuid(ref.id) ? loaders.user.load(ref.id) : null),
  email(user, _, { identity }) {
    assertPersonalVisible(user, identity, "email");
    return user.email;
  },
  addresses(user, _, { identity, loaders }) {
    assertPersonalVisible(user, identity, "addresses");
    return loaders.addressesByUser.load(user.id);
  },
  createdAt: (user) => user.createdAt.toISOString(),
};
