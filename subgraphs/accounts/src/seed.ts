import { demoUsers } from "@store/demo-data";
import type { Db } from "./types.ts";
import { hashPassword } from "./passwords.ts";

/**
 * Inserts the demo users and their addresses; users that exist are left as they are, so seeding twice is harmless.
 * Writes no UserRegistered: every service seeds the demo data it needs into its own database directly,
 * so announcing demo users would only replay them to everyone at every start.
 */
export async function seedAccounts(prisma: Db): Promise<void> {
  const existing = await prisma.user.findMany({ where: { id: { in: demoUsers.map((u) => u.id) } }, select: { id: true } });
  const existingIds = new Set(existing.map((u) => u.id));
  const missing = demoUsers.filter((u) => !existingIds.has(u.id));
  if (missing.length === 0) return;
  // scrypt is deliberately slow: hash only the passwords of users about to be inserted.
  const hashes = await Promise.all(missing.map((u) => hashPassword(u.password)));
  await prisma.$transaction(async (tx) => {
    const created = await tx.user.createManyAndReturn({
      data: missing.map((u, i) => ({ id: u.id, email: u.email, name: u.name, role: u.role, passwordHash: hashes[i]! })),
      skipDuplicates: true,
      select: { id: true },
    });
    // Addresses only for users inserted now: a user skipped here (say, by a concurrent seed) keeps what it has.
    const createdIds = new Set(created.map((u) => u.id));
    await tx.address.createMany({
      data: missing
        .filter((u) => createdIds.has(u.id))
        .flatMap((u) =>
          u.addresses.map((a) => ({ id: a.id, userId: u.id, label: a.label, line1: a.line1, line2: a.line2 ?? null, city: a.city, postalCode: a.postalCode, country: a.country })),
        ),
      skipDuplicates: true,
    });
  });
}
