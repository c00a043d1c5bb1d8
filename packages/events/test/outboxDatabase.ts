import { fileURLToPath } from "node:url";
import { connectTestClient, createTestDatabase } from "@store/testing";
import type { EventEnvelope, SqlClient, TransactionalClient } from "../src/index.ts";

/** Holds prisma/ with the outbox and inbox tables (test/outbox/prisma). */
const prismaDir = fileURLToPath(new URL("./outbox", import.meta.url));

type PgClient = Awaited<ReturnType<typeof connectTestClient>>;

export interface OutboxDatabase extends TransactionalClient {
  /** Where it is (a LISTEN connection of a test's own). */
  url: string;
  /** Empties both tables between tests. */
  truncate(): Promise<void>;
  /** Envelopes as the outbox rows hold them, in commit order. */
  envelopes(): Promise<EventEnvelope[]>;
  /**
   * Another connection to the same database, as another instance of the
   * service would have; `kill()` cuts it as a crash would (no goodbye).
   */
  connect(): Promise<SqlClient & { kill(): void }>;
  /** Ends every connection and drops the database. */
  dispose(): Promise<void>;
}

const sqlOn = (client: PgClient): SqlClient => ({
  async $executeRawUnsafe(query, ...values) {
    return (await client.query(query, values)).rowCount ?? 0;
  },
  async $queryRawUnsafe<T>(query: string, ...values: unknown[]) {
    return (await client.query(query, values)).rows as T;
  },
});

/**
 * A fresh PostgreSQL database with the outbox and inbox tables, used through
 * the slice of a Prisma client the events package needs (SqlClient): one
 * connection for plain queries (pg queues them), and one connection per
 * open transaction, kept for the next one.
 */
export async function createOutboxDatabase(label: string): Promise<OutboxDatabase> {
  const database = await createTestDatabase({ prismaDir, label });
  const clients: PgClient[] = [];
  const idle: PgClient[] = [];
  const open = async () => {
    const client = await connectTestClient(database.url);
    clients.push(client);
    return client;
  };
  let shared: PgClient;
  try {
    shared = await open();
  } catch (error) {
    await database.drop();
    throw error;
  }
  const plain = sqlOn(shared);
  return {
    ...plain,
    url: database.url,
    async $transaction(fn) {
      const client = idle.pop() ?? (await open());
      try {
        await client.query("BEGIN");
        const result = await fn(sqlOn(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        idle.push(client);
      }
    },
    async truncate() {
      await shared.query(`TRUNCATE "OutboxEvent", "InboxEvent", "OutboxLease"`);
    },
    async connect() {
      const client = await open();
      // A connection cut on purpose reports it as an error event; that is expected here.
      client.on("error", () => {});
      return {
        ...sqlOn(client),
        kill: () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
      };
    },
    async envelopes() {
      const { rows } = await shared.query<{ envelope: EventEnvelope }>(`SELECT "envelope" FROM "OutboxEvent" ORDER BY "position"`);
      return rows.map((row) => row.envelope);
    },
    async dispose() {
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      await database.drop();
    },
  };
}
