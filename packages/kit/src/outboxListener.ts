import pg from "pg";
import { OUTBOX_CHANNEL, type OutboxListener } from "@store/events";
import { pgConnection } from "./databaseUrl.ts";
import type { Logger } from "./logger.ts";

export interface OutboxListenerOptions {
  /** The service's DATABASE_URL. */
  connectionString: string;
  logger: Logger;
  /** Longest wait between reconnection attempts. @default 30000 */
  maxBackoffMs?: number;
}

/**
 * LISTENs for writeOutbox's notifications on a connection of its own, so the
 * relay of whichever instance holds the lease publishes events another
 * instance wrote at once, instead of at its next poll. A lost connection is
 * reconnected with back-off; meanwhile `listening` is false and the relay
 * polls at its usual pace. On (re)connecting it wakes the relay once, for
 * what was written while nobody listened.
 */
export function createOutboxListener({ connectionString, logger, maxBackoffMs = 30_000 }: OutboxListenerOptions): OutboxListener {
  const log = logger.child({ component: "outbox-listener" });
  // Without Prisma's URL parameters (databaseUrl.ts); NOTIFY channels are the database's, whatever the schema.
  const { client: connectTo } = pgConnection(connectionString);
  let client: pg.Client | undefined;
  let listening = false;
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (wake: () => void) => {
    const connection = new pg.Client({ ...connectTo, application_name: "outbox-listener" });
    client = connection;
    connection.on("notification", () => wake());
    // A dropped connection says so here and then ends: reconnect from "end".
    connection.on("error", (error) => log.warn({ err: error }, "outbox listener connection failed"));
    connection.on("end", () => {
      listening = false;
      if (!stopped && client === connection) schedule(wake);
    });
    try {
      await connection.connect();
      await connection.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (stopped) return void (await connection.end().catch(() => {}));
      listening = true;
      if (failures > 0) log.info({ failures }, "outbox listener listening again");
      failures = 0;
      wake();
    } catch (error) {
      failures++;
      if (failures === 1 || failures % 10 === 0) log.warn({ err: error, failures }, "outbox listener could not listen; the relay polls meanwhile");
      await connection.end().catch(() => {});
      schedule(wake);
    }
  };

  function schedule(wake: () => void) {
    if (stopped || retry) return;
    retry = setTimeout(
      () => {
        retry = undefined;
        void connect(wake);
      },
      Math.min(maxBackoffMs, 500 * 2 ** Math.min(failures, 10)),
    );
    retry.unref();
  }

  return {
    get listening() {
      return listening;
    },
    start(wake) {
      if (client || stopped) return;
      void connect(wake);
    },
    async stop() {
      stopped = true;
      listening = false;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
