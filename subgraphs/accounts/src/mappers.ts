import type { Address, User } from "./generated/prisma/client.ts";

/**
 * `callerIsOwner` marks a user the caller has just proved to be (signUp/signIn
 * answer anonymous requests, yet must show the new session's own email).
 * No password hash: users are read without it (only signIn reads it, to verify).
 */
export type UserMapper = Omit<User, "passwordHash"> & { callerIsOwner?: true };
export type AddressMapper = Address;
