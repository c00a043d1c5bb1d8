/**
 * The wire-protocol front that lets many connections share one PGlite (the
 * session `npm start`'s services share): concurrent extended-protocol
 * queries of two connections each get their own answers, and a run that
 * arrives in pieces runs whole, another's in between; a connection's open
 * transaction keeps the others waiting, so none of them sees what it has not
 * committed, and it is rolled back if the connection goes away; each
 * connection works in the schema its startup `options` name; an SSL request
 * is declined and the connection goes on in plain text; connections made
 * before PGlite has started wait for it, and get its error if it never does.
 * An in-memory PGlite in this process, real sockets and `pg` clients.
 */
import { connect, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "@store/testing";
import { servePglite } from "../src/pgliteFront.mjs";

type Front = Awaited<ReturnType<typeof servePglite>>;

let db: PGlite;
let front: Front;
const clients: pg.Client[] = [];
const fronts: Front[] = [];

beforeAll(async () => {
  db = await PGlite.create();
  front = await servePglite(Promise.resolve(db));
  fronts.push(front);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => {})));
  await Promise.all(fronts.map((each) => each.close()));
  await db?.close();
});

/** A connected client of `port` (the shared front's unless told), ended after the tests. */
async function client(options?: string, port = front.port): Promise<pg.Client> {
  const made = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", ...(options && { options }) });
  // A client whose socket a test destroys reports it here; its pending queries reject on their own.
  made.on("error", () => {});
  clients.push(made);
  await made.connect();
  return made;
}

/** A promise whose settling can be looked at without awaiting it. */
function watched<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  return { promise, settled: () => settled };
}

const count = async (on: pg.Client, table: string) => Number((await on.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

// The wire protocol by hand, for what pg never does: send a unit in pieces, ask for SSL and go on without it.
const int16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const int32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(n);
  return bytes;
};
const text = (value: string) => Buffer.from(`${value}\0`, "utf8");
const message = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, "latin1"), int32(body.length + 4), body]);
};
const startupMessage = (params: Record<string, string>) => {
  const body = Buffer.concat([int32(196608), ...Object.entries(params).flatMap(([key, value]) => [text(key), text(value)]), Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
};
const sslRequest = Buffer.concat([int32(8), int32(80877103)]);
const parse = (sql: string) => message("P", text(""), text(sql), int16(0));
const bind = (...params: string[]) => message("B", text(""), text(""), int16(0), int16(params.length), ...params.flatMap((param) => [int32(Buffer.byteLength(param)), Buffer.from(param)]), int16(0));
const describePortal = () => message("D", Buffer.from("P"), text(""));
const execute = () => message("E", text(""), int32(0));
const sync = () => message("S");

/** A socket speaking the protocol by hand; `until` cuts what came back into messages. */
async function wire(port: number) {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const made = connect(port, "127.0.0.1", () => resolve(made));
    made.once("error", reject);
  });
  let received = Buffer.alloc(0);
  socket.on("data", (data: Buffer) => (received = Buffer.concat([received, data])));
  socket.on("error", () => {});
  return {
    socket,
    send: (...parts: Buffer[]) => socket.write(Buffer.concat(parts)),
    /** The one-byte answer to an SSL request. */
    async answerByte(): Promise<string> {
      await eventually(() => received.length >= 1, { what: "a one-byte answer", timeoutMs: 10_000 });
      const byte = received.toString("latin1", 0, 1);
      received = received.subarray(1);
      return byte;
    },
    /** The messages up to and including the first of `type`. */
    async until(type: string): Promise<{ type: string; body: Buffer }[]> {
      const messages: { type: string; body: Buffer }[] = [];
      await eventually(
        () => {
          while (received.length >= 5 && received.length >= 1 + received.readInt32BE(1)) {
            const length = 1 + received.readInt32BE(1);
            messages.push({ type: received.toString("latin1", 0, 1), body: received.subarray(5, length) });
            received = received.subarray(length);
            if (messages.at(-1)!.type === type) return true;
          }
          return false;
        },
        { what: `a ${type} message`, timeoutMs: 10_000 },
      );
      return messages;
    },
  };
}

/** The text values of a run's DataRow messages. */
function dataRows(messages: { type: string; body: Buffer }[]): (string | null)[][] {
  return messages
    .filter((each) => each.type === "D")
    .map(({ body }) => {
      const values: (string | null)[] = [];
      let at = 2;
      for (let column = 0; column < body.readInt16BE(0); column += 1) {
        const length = body.readInt32BE(at);
        values.push(length < 0 ? null : body.toString("utf8", at + 4, at + 4 + length));
        at += 4 + Math.max(length, 0);
      }
      return values;
    });
}

describe("the PGlite front", () => {
  it("gives each of two connections its own answers while their parameterised queries interleave", async () => {
    const [a, b] = await Promise.all([client(), client()]);
    // pg sends each as Parse, Bind, Describe, Execute, Sync: the unnamed statement of one must not be replaced by the other's.
    // Each client asks one at a time, as pg does; the two ask at once.
    const ask = async (on: pg.Client, who: string) => {
      const rows: unknown[] = [];
      for (let i = 0; i < 60; i += 1) rows.push(...(await on.query("SELECT $1::text AS who, $2::int * 2 AS n", [who, i])).rows);
      return rows;
    };
    const [fromA, fromB] = await Promise.all([ask(a, "a"), ask(b, "b")]);
    expect(fromA).toEqual(Array.from({ length: 60 }, (_, i) => ({ who: "a", n: i * 2 })));
    expect(fromB).toEqual(Array.from({ length: 60 }, (_, i) => ({ who: "b", n: i * 2 })));
  });

  it("keeps another connection waiting while one is inside a transaction, so it never sees what was not committed", async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query("CREATE TABLE waited (id int)");

    await a.query("BEGIN");
    await a.query("INSERT INTO waited VALUES (1)");
    const rolledBack = watched(count(b, "waited"));
    // The owner goes on while the other waits (in one session, it would have seen the row).
    expect(await count(a, "waited")).toBe(1);
    expect(rolledBack.settled()).toBe(false);
    await a.query("ROLLBACK");
    expect(await rolledBack.promise).toBe(0);

    await a.query("BEGIN");
    await a.query("INSERT INTO waited VALUES (2)");
    const committed = watched(count(b, "waited"));
    expect(await count(a, "waited")).toBe(1);
    expect(committed.settled()).toBe(false);
    await a.query("COMMIT");
    expect(await committed.promise).toBe(1);
  });

  it("rolls back the transaction of a connection that goes away inside it, and the others go on", async () => {
    const [a, b] = await Promise.all([client(), client()]);
    await a.query("CREATE TABLE abandoned (id int)");
    await a.query("BEGIN");
    await a.query("INSERT INTO abandoned VALUES (1)");
    const waiting = watched(count(b, "abandoned"));
    expect(await count(a, "abandoned")).toBe(1);
    expect(waiting.settled()).toBe(false);

    a.connection.stream.destroy();
    expect(await waiting.promise).toBe(0);
    const c = await client();
    expect(await count(c, "abandoned")).toBe(0);
    await c.query("INSERT INTO abandoned VALUES (3)");
    expect(await count(b, "abandoned")).toBe(1);
  });

  it("runs each connection in the schema its startup options name", async () => {
    const admin = await client();
    await admin.query("CREATE SCHEMA a; CREATE SCHEMA b");
    const [a, b, plain] = await Promise.all([client("-c search_path=a"), client("-c search_path=b"), client()]);

    // Alternately, so that every statement follows one of the other connection's.
    await a.query("CREATE TABLE mine (who text)");
    await b.query("CREATE TABLE mine (who text)");
    await a.query("INSERT INTO mine VALUES ($1)", ["a"]);
    await b.query("INSERT INTO mine VALUES ($1)", ["b"]);
    const [fromA, fromB, schemaOfPlain] = await Promise.all([
      a.query("SELECT who FROM mine"),
      b.query("SELECT who FROM mine"),
      plain.query("SELECT current_schema() AS schema, to_regclass('mine')::text AS mine"),
    ]);
    expect(fromA.rows).toEqual([{ who: "a" }]);
    expect(fromB.rows).toEqual([{ who: "b" }]);
    expect(schemaOfPlain.rows).toEqual([{ schema: "public", mine: null }]);
    expect((await admin.query("SELECT (SELECT who FROM a.mine) AS a, (SELECT who FROM b.mine) AS b")).rows).toEqual([{ a: "a", b: "b" }]);
  });

  it("runs a connection's extended-protocol run whole even when it arrives in pieces, another's running in between", async () => {
    const raw = await wire(front.port);
    try {
      raw.send(startupMessage({ user: "postgres", database: "postgres" }));
      await raw.until("Z");
      const other = await client();
      raw.send(parse("SELECT $1::text AS who"), bind("raw"));
      // The other connection's run, with an unnamed statement and portal of its own, goes through meanwhile.
      expect((await other.query("SELECT $1::int AS n", [7])).rows).toEqual([{ n: 7 }]);
      raw.send(describePortal(), execute(), sync());
      const answer = await raw.until("Z");
      expect(answer.filter((each) => each.type === "E").map((each) => each.body.toString())).toEqual([]);
      expect(dataRows(answer)).toEqual([["raw"]]);
    } finally {
      raw.socket.destroy();
    }
  });

  it("declines an SSL request and goes on with the connection in plain text", async () => {
    const raw = await wire(front.port);
    try {
      raw.send(sslRequest);
      expect(await raw.answerByte()).toBe("N");
      // Then a plain startup message on the same socket, as libpq's sslmode=prefer sends.
      raw.send(startupMessage({ user: "postgres", database: "postgres" }));
      const answer = await raw.until("Z");
      expect(answer[0]!.type).toBe("R");
      raw.send(message("Q", text("SELECT 'plain' AS how")));
      expect(dataRows(await raw.until("Z"))).toEqual([["plain"]]);
    } finally {
      raw.socket.destroy();
    }
  });
});

describe("the PGlite front before PGlite has started", () => {
  it("keeps a connection made meanwhile waiting and answers it once PGlite is there", async () => {
    let started!: (ready: PGlite) => void;
    const later = await servePglite(new Promise<PGlite>((resolve) => (started = resolve)));
    fronts.push(later);
    const connecting = watched(client(undefined, later.port));
    const other = await client(); // the shared front answers meanwhile: this one is not stuck, only waiting
    expect(await other.query("SELECT 1 AS one")).toMatchObject({ rows: [{ one: 1 }] });
    expect(connecting.settled()).toBe(false);

    started(db);
    const waited = await connecting.promise;
    expect((await waited.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
  });

  it("gives a connection the error of a PGlite that never starts, instead of hanging", async () => {
    const failed = await servePglite(Promise.reject(new Error("boom")));
    fronts.push(failed);
    await expect(client(undefined, failed.port)).rejects.toThrow(/boom/);
  });
});
