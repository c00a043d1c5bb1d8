/**
 * PostgreSQL's wire protocol in front of one PGlite, for many connections at
 * once: how the seven services of `npm start` share one embedded database,
 * each in a schema of its own.
 *
 * PGlite is one session. What keeps connections apart:
 *
 * - **Whole units.** A connection's messages reach PGlite a unit at a time:
 *   a simple query, or an extended-protocol run up to and including its Sync
 *   (Parse, Bind, Describe, Execute, Sync). The unnamed statement and portal
 *   of one connection are never overwritten by another's between its Parse
 *   and its Execute.
 * - **Transactions.** When a unit leaves the session in a transaction (PGlite
 *   reports it, as ReadyForQuery does), only that connection's units run until
 *   it ends; the others wait in order. A connection that goes away inside its
 *   transaction has it rolled back.
 * - **Schemas.** Each connection keeps the `search_path` of its startup
 *   message's `options` (`-c search_path=catalog`, what `?schema=` in a
 *   service's URL becomes): it is set on the session whenever a unit of
 *   another connection ran last. A `SET search_path` a client sends itself
 *   lasts only until another connection's unit runs.
 *
 * The startup message itself goes to PGlite, which answers it (authentication
 * ok, parameters, ready); SSL and GSS encryption requests are declined and a
 * cancel request is dropped, as the session has no backend to signal.
 *
 * Not supported, as the store's clients need neither: a Flush in place of a
 * Sync (a portal read in parts, as pg-cursor does) waits for a Sync that never
 * comes; named prepared statements are the session's, so two connections
 * preparing one name collide. Prisma's pg adapter always syncs and names none.
 *
 * It listens before PGlite has started: connections made meanwhile wait for
 * it, as they would for a server still recovering, and get an error if it
 * never starts.
 *
 * Plain JavaScript: it runs in the databases' worker thread, where no
 * TypeScript loader is.
 */
// @ts-check
import { createServer } from "node:net";

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** A startup or request packet longer than this is not one (PostgreSQL's own limit is 10000). */
const MAX_STARTUP = 10_000;
/** Units end at these: Query, Sync, FunctionCall. */
const UNIT_ENDS = new Set(["Q", "S", "F"]);
/** What the session's search_path is when a connection asks for none (PGlite's default). */
const DEFAULT_SEARCH_PATH = "public";

/**
 * The search_path a startup message asks for in its `options` (`-c search_path=x` or `--search_path=x`).
 * @param {string | undefined} options
 * @returns {string | undefined}
 */
export function searchPathOf(options) {
  const match = /(?:^|\s)(?:-c\s*|--)search_path=((?:\\ |\S)+)/.exec(options ?? "");
  return match ? match[1].replaceAll("\\ ", " ") : undefined;
}

/**
 * The key/value pairs of a startup message's body (after length and protocol).
 * @param {Buffer} body
 */
function startupParameters(body) {
  /** @type {Record<string, string>} */
  const params = {};
  const parts = body.toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length && parts[i] !== ""; i += 2) params[parts[i]] = parts[i + 1];
  return params;
}

/** An ErrorResponse message. @param {string} code @param {string} message */
function errorResponse(code, message) {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/**
 * @typedef {object} Connection
 * @property {import("node:net").Socket} socket
 * @property {string} searchPath
 * @property {boolean} started
 * @property {boolean} closed
 * @property {Buffer} buffer bytes received and not yet cut into messages
 * @property {Buffer[]} unit messages of the unit being received
 */

/**
 * Serves the database `opening` gives on host:port (0: a free port) until `close()`.
 * @param {Promise<import("@electric-sql/pglite").PGlite>} opening
 * @param {{ host?: string, port?: number }} [options]
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export async function servePglite(opening, { host = "127.0.0.1", port = 0 } = {}) {
  // Settled by the caller; a failure reaches each connection through run().
  opening.catch(() => {});
  /** @type {{ connection: Connection, unit: Buffer, startup: boolean }[]} */
  const queue = [];
  /** @type {Connection | undefined} the connection whose transaction is open */
  let owner;
  /** @type {Connection | undefined} whose unit ran last (its search_path is the session's) */
  let last;
  let pumping = false;
  /** @type {Set<Connection>} */
  const connections = new Set();

  /** Runs queued units in order, the transaction owner's alone while it has one open. */
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const index = owner ? queue.findIndex((item) => item.connection === owner) : 0;
        if (index < 0 || queue.length === 0) break;
        const [{ connection, unit, startup }] = queue.splice(index, 1);
        if (connection.closed) continue;
        await run(connection, unit, startup);
      }
    } finally {
      pumping = false;
    }
  };

  /**
   * @param {Connection} connection
   * @param {Buffer} unit
   * @param {boolean} startup
   */
  const run = async (connection, unit, startup) => {
    try {
      const db = await opening;
      if (!startup && last !== connection && owner !== connection) {
        await db.query("SELECT set_config('search_path', $1, false)", [connection.searchPath]);
      }
      await db.runExclusive(() =>
        db.execProtocolRawStream(unit, {
          onRawData: (data) => {
            if (!connection.closed) connection.socket.write(Buffer.from(data));
          },
        }),
      );
      // PGlite answers a startup message with its defaults: the next unit sets the path again.
      last = startup ? undefined : connection;
      owner = db.isInTransaction() ? connection : undefined;
      // It went away while its unit ran: what it left open ends here.
      if (connection.closed && owner === connection) await release(connection);
    } catch (error) {
      // A search_path PostgreSQL refuses, or PGlite failing: this connection ends, the others go on.
      const message = error instanceof Error ? error.message : String(error);
      if (!connection.closed) connection.socket.end(errorResponse("XX000", message));
      await release(connection);
    }
  };

  /** Rolls back what a connection that went away left open, and lets the others run. @param {Connection} connection */
  const release = async (connection) => {
    connection.closed = true;
    connections.delete(connection);
    for (let i = queue.length - 1; i >= 0; i -= 1) if (queue[i].connection === connection) queue.splice(i, 1);
    if (owner === connection) {
      owner = undefined;
      last = undefined;
      await (await opening).exec("ROLLBACK").catch(() => {});
    }
    void pump();
  };

  /**
   * Cuts the connection's bytes into messages and queues each whole unit.
   * @param {Connection} connection
   */
  const receive = (connection) => {
    let { buffer } = connection;
    for (;;) {
      if (!connection.started) {
        if (buffer.length < 8) break;
        const length = buffer.readInt32BE(0);
        if (length < 8 || length > MAX_STARTUP) {
          connection.socket.end(errorResponse("08P01", "invalid startup packet length"));
          connection.closed = true;
          return;
        }
        if (buffer.length < length) break;
        const code = buffer.readInt32BE(4);
        const packet = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          connection.socket.write("N");
        } else if (code === CANCEL_REQUEST) {
          connection.socket.end();
          connection.closed = true;
          return;
        } else if (code === PROTOCOL_3) {
          const params = startupParameters(packet.subarray(8));
          connection.searchPath = searchPathOf(params.options) ?? DEFAULT_SEARCH_PATH;
          connection.started = true;
          queue.push({ connection, unit: Buffer.from(packet), startup: true });
        } else {
          connection.socket.end(errorResponse("08P01", `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`));
          connection.closed = true;
          return;
        }
        continue;
      }
      if (buffer.length < 5) break;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) break;
      const type = String.fromCharCode(buffer[0]);
      const message = buffer.subarray(0, length);
      buffer = buffer.subarray(length);
      if (type === "X") {
        connection.socket.end();
        void release(connection);
        return;
      }
      connection.unit.push(Buffer.from(message));
      if (UNIT_ENDS.has(type)) {
        queue.push({ connection, unit: Buffer.concat(connection.unit), startup: false });
        connection.unit = [];
      }
    }
    connection.buffer = buffer.length > 0 ? Buffer.from(buffer) : Buffer.alloc(0);
    void pump();
  };

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    /** @type {Connection} */
    const connection = { socket, searchPath: DEFAULT_SEARCH_PATH, started: false, closed: false, buffer: Buffer.alloc(0), unit: [] };
    connections.add(connection);
    socket.on("data", (data) => {
      if (connection.closed) return;
      connection.buffer = connection.buffer.length > 0 ? Buffer.concat([connection.buffer, data]) : data;
      receive(connection);
    });
    socket.on("error", () => {});
    socket.on("close", () => void release(connection));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(undefined);
    });
  });
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    port: address.port,
    close: async () => {
      for (const connection of connections) connection.socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      // Whatever a destroyed connection left open is rolled back before the database closes.
      for (let waited = 0; (pumping || owner) && waited < 5_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
}
