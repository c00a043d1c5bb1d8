import { z } from "zod";
import { createEvent } from "@store/events";
import { ERRORS, UNIQUE_VIOLATION, fields, isPrismaError, parseInput, requireUser } from "@store/kit";
import type { User } from "../generated/prisma/client.ts";
import type { MutationResolvers, ResolversTypes } from "../generated/graphql.ts";
import type { Context } from "../context.ts";
import { displayName, email, newPassword } from "../credentials.ts";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../passwords.ts";
import { isUuid } from "./ids.ts";

/** More than anyone needs, few enough that a user row stays cheap to load with its addresses. */
const MAX_ADDRESSES_PER_USER = 20;

const signUpInput = z.object({ email, name: displayName, password: newPassword });

// Only the upper bound is checked at sign-in: a too-short password is simply wrong,
// while the bound keeps anyone from making us hash megabytes.
const signInInput = z.object({
  email,
  password: z.string().max(200, "password must be at most 200 characters"),
});

const addressInput = z.object({
  label: fields.text(50),
  line1: fields.text(200),
  line2: z
    .string()
    .trim()
    .max(200, "must be at most 200 characters")
    .nullish()
    .transform((value) => value || null),
  city: fields.text(100),
  postalCode: fields.text(20),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, "country must be an ISO 3166-1 alpha-2 code such as US"),
});

async function authPayload(user: User, issueToken: Context["issueToken"]): Promise<ResolversTypes["AuthPayload"]> {
  const { accessToken, expiresAt } = await issueToken(user);
  // The request itself is anonymous; the password just proved the caller is this user.
  return { accessToken, expiresAt: expiresAt.toISOString(), user: { ...user, callerIsOwner: true } };
}

export const Mutation: MutationResolvers = {
  async signUp(_, { input }, { prisma, events, issueToken }) {
    const data = parseInput(signUpInput, input);
    // Hashed before the transaction opens: scrypt takes tens of milliseconds, too long to hold a connection for.
    const passwordHash = await hashPassword(data.password);
    const user = await prisma
      .$transaction(async (tx) => {
        // The unique index on the lower-cased email decides races; a conflict rolls back the event with the user.
        const created = await tx.user.create({ data: { email: data.email, name: data.name, passwordHash } });
        await events.emit(tx, createEvent("UserRegistered", { userId: created.id, email: created.email, name: created.name }, { aggregateId: created.id }));
        return created;
      })
      .catch((error: unknown) => {
        if (isPrismaError(error, UNIQUE_VIOLATION)) throw ERRORS.CONFLICT.err("An account with this email already exists", { extensions: { field: "email" } });
        throw error;
      });
    events.committed();
    return authPayload(user, issueToken);
  },

  async signIn(_, { input }, { prisma, issueToken, signInThrottle, clientIp }) {
    const data = parseInput(signInInput, input);
    // Before any SQL or hashing: a blocked account or address costs us one store lookup.
    const attempt = await signInThrottle.begin(data.email, clientIp);
    let user: User | null;
    let matches: boolean;
    try {
      user = await prisma.user.findUnique({ where: { email: data.email } });
      // Unknown emails are checked against a dummy hash so that both failures take one scrypt run.
      matches = await verifyPassword(data.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    } catch (error) {
      await attempt.abandoned();
      throw error;
    }
    // A wrong password stays counted: begin() counted it already.
    if (!user || !matches) throw ERRORS.INVALID_CREDENTIALS.err("The email or password is incorrect");
    await attempt.succeeded();
    return authPayload(user, issueToken);
  },

  async addAddress(_, { input }, { prisma, identity }) {
    const { userId } = requireUser(identity);
    const data = parseInput(addressInput, input);
    const accountGone = () => ERRORS.UNAUTHENTICATED.err("Your account no longer exists; sign in again");
    if (!isUuid(userId)) throw accountGone();
    return prisma.$transaction(async (tx) => {
      // Locking the owner's row serialises concurrent addAddress calls for one user,
      // so two requests at 19 addresses cannot both pass the count below.
      const owner = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "User" WHERE "id" = ${userId}::uuid FOR UPDATE`;
      if (owner.length === 0) throw accountGone();
      const count = await tx.address.count({ where: { userId } });
      if (count >= MAX_ADDRESSES_PER_USER) {
        throw ERRORS.BAD_USER_INPUT.err(`You can keep at most ${MAX_ADDRESSES_PER_USER} addresses`, { extensions: {
          issues: [{ field: "(input)", message: `at most ${MAX_ADDRESSES_PER_USER} addresses per user` }],
        } });
      }
      return tx.address.create({ data: { userId, ...data } });
    });
  },
};
