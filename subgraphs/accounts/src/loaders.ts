import { createBatchLoader, createGroupLoader } from "@store/kit";
import type { Db } from "./types.ts";

/** Per-request loaders: one SQL query per entity type, whatever the batch size. */
export function createLoaders(prisma: Db) {
  return {
    // Never the password hash: only signIn reads it.
    user: createBatchLoader((ids) => prisma.user.findMany({ where: { id: { in: [...ids] } }, omit: { passwordHash: true } }), (u) => u.id),
    addressesByUser: createGroupLoader(
      (userIds) => prisma.address.findMany({ where: { userId: { in: [...userIds] } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
      (a) => a.userId,
    ),
  };
}
export type AccountsLoaders = ReturnType<typeof createLoaders>;
