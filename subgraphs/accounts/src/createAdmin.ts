import { z } from "zod";
import { createEvent, writeOutbox } from "@store/events";
import { UNIQUE_VIOLATION, isPrismaError } from "@store/kit";
import { displayName, email, newPassword } from "./credentials.ts";
import { hashPassword } from "./passwords.ts";
import type { Db } from "./types.ts";

/**
 * Creates an administrator: what `npm run admin:create` runs, and the only way
 * an admin is made (no API grants the role). The input follows signUp's rules
 * and the password is hashed as signUp hashes it. An account that has the
 * email already is never changed: not its password, not its role.
 */

export const adminInput = z.object({ email, name: displayName, password: newPassword });

export type AdminInput = z.input<typeof adminInput>;

export type CreateAdminResult =
  | { outcome: "created"; userId: string; email: string }
  /** The email has an account already; `role` says whether it is an admin. */
  | { outcome: "exists"; userId: string; email: string; role: "CUSTOMER" | "ADMIN" }
  | { outcome: "invalid"; problems: { field: string; message: string }[] };

export async function createAdmin(prisma: Db, input: AdminInput): Promise<CreateAdminResult> {
  const parsed = adminInput.safeParse(input);
  if (!parsed.success) {
    return { outcome: "invalid", problems: parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join(".") || "(input)", message: issue.message })) };
  }
  const { email, name, password } = parsed.data;
  const existing = () => prisma.user.findUnique({ where: { email }, select: { id: true, email: true, role: true } });
  const found = await existing();
  if (found) return { outcome: "exists", userId: found.id, email: found.email, role: found.role };
  const passwordHash = await hashPassword(password);
  try {
    const created = await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email, name, passwordHash, role: "ADMIN" } });
      // Announced like any sign-up: the accounts relay publishes it once accounts runs.
      await writeOutbox(tx, [createEvent("UserRegistered", { userId: user.id, email: user.email, name: user.name }, { aggregateId: user.id })]);
      return user;
    });
    return { outcome: "created", userId: created.id, email: created.email };
  } catch (error) {
    // Someone signed up with this email between the look-up and the insert.
    const raced = isPrismaError(error, UNIQUE_VIOLATION) ? await existing() : null;
    if (raced) return { outcome: "exists", userId: raced.id, email: raced.email, role: raced.role };
    throw error;
  }
}
