import type { AnyEventEnvelope } from "./envelope.ts";
import type { SqlClient, TransactionalClient } from "./sql.ts";

export type InboxOutcome = "handled" | "duplicate";

/**
 * Runs a handler once per (consumer, event id): the inbox row and the
 * handler's writes commit together, so a redelivered event finds its row and
 * has no second effect, and a handler that fails leaves no row behind.
 */
export async function handleOnce<Tx extends SqlClient>(
  db: TransactionalClient<Tx>,
  consumer: string,
  event: AnyEventEnvelope,
  handler: (tx: Tx) => Promise<void>,
): Promise<InboxOutcome> {
  return db.$transaction(
    async (tx) => {
      const inserted = await tx.$executeRawUnsafe(
        `INSERT INTO "InboxEvent" ("consumer", "eventId", "type") VALUES ($1, $2::uuid, $3) ON CONFLICT DO NOTHING`,
        consumer,
        event.id,
        event.type,
      );
      if (inserted === 0) return "duplicate";
      await handler(tx);
      return "handled";
    },
    { maxWait: 10_000, timeout: 30_000 },
  );
}
