import type { Address, User } from "./generated/prisma/client.ts";

/**
 * `callerIsOwner` marks a user the caller has just proved to be (signUp/signIn
 * answer anonymous requests, yet must show the new session's own email).
 */
export type UserMapper = User & { callerIsOwner?: true };
export type AddressMapper = Address;
