/** The slice of a Prisma client (or transaction client) the outbox and inbox use. */
export interface SqlClient {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** A Prisma client: SQL plus interactive transactions. */
export interface TransactionalClient<Tx extends SqlClient = SqlClient> extends SqlClient {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}

/**
 * The tables every service that emits or consumes events adds to its Prisma
 * schema (copy verbatim; the relay and inbox use them by these names):
 *
 * model OutboxEvent {
 *   id          String    @id @db.Uuid
 *   position    BigInt    @unique @default(autoincrement())
 *   type        String
 *   envelope    Json
 *   occurredAt  DateTime  @db.Timestamptz(3)
 *   publishedAt DateTime? @db.Timestamptz(3)
 *   attempts    Int       @default(0)
 *   lastError   String?
 *
 *   @@index([publishedAt, position])
 * }
 *
 * model OutboxLease {
 *   name      String   @id
 *   holder    String
 *   expiresAt DateTime @db.Timestamptz(3)
 * }
 *
 * model InboxEvent {
 *   consumer    String
 *   eventId     String   @db.Uuid
 *   type        String
 *   processedAt DateTime @default(now()) @db.Timestamptz(3)
 *
 *   @@id([consumer, eventId])
 * }
 */
export const EVENT_TABLES = { outbox: "OutboxEvent", outboxLease: "OutboxLease", inbox: "InboxEvent" } as const;
