/**
 * A pg Pool that waits for PostgreSQL to have a free connection slot. When
 * the server is full (SQLSTATE 53300, max_connections reached) or still
 * starting (57P03), pg-pool hands the refusal to the caller at once, so a
 * service answered SERVICE_OVERLOADED whenever another client of the same
 * server held every slot for a moment. This pool asks again, with growing
 * pauses, until the pool's `connectionTimeoutMillis` has passed since the
 * caller asked: waiting for the server is then the same wait, with the same
 * bound, as waiting for a pooled connection. Any other error is passed on at
 * once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";

/** The server's "no slot for you now" answers: too many connections, starting up. */
const SERVER_BUSY = new Set(["53300", "57P03"]);
/** The first pause after a refusal, and the longest; each pause doubles, with jitter. */
const FIRST_PAUSE_MS = 25;
const LONGEST_PAUSE_MS = 500;

export function isServerBusy(error: unknown): boolean {
  return SERVER_BUSY.has((error as { code?: unknown } | null | undefined)?.code as string);
}

/**
 * Runs `attempt` (a connection's opening) until it succeeds, fails with
 * anything but a busy server, or `waitMs` has passed since the first try
 * (`Infinity`: no bound); each refusal is followed by a growing pause.
 */
export async function untilServerHasSlot<T>(attempt: () => Promise<T>, waitMs: number, stop: () => boolean = () => false): Promise<T> {
  const deadline = performance.now() + waitMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await attempt();
    } catch (error) {
      const jittered = pause * (0.5 + Math.random());
      if (!isServerBusy(error) || stop() || performance.now() + jittered >= deadline) throw error;
      await sleep(jittered);
    }
  }
}

/** A connected pg Client, once the server has a slot for it within `waitMs`. */
export function connectPatiently(config: pg.ClientConfig, waitMs: number): Promise<pg.Client> {
  return untilServerHasSlot(async () => {
    const client = new pg.Client(config);
    // An error on an idle client (the server going away) must not crash the process; the next query reports it.
    client.on("error", () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }, waitMs);
}

type ConnectCallback = (error: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void;

export class PatientPgPool extends pg.Pool {
  // pg-pool calls `connect(callback)` from `query()`, and callers await `connect()`.
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    const connectOnce = () => super.connect() as Promise<pg.PoolClient>;
    // Without a connection timeout pg-pool waits for ever; so does this, for a slot.
    const connected = untilServerHasSlot(connectOnce, this.options.connectionTimeoutMillis || Infinity, () => this.ending);
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (error: Error) => callback(error),
    );
  }
}
