import { describe, expect, it } from "vitest";
import { silentLogger } from "@store/kit";
import { eventually, staysAt } from "@store/testing";
import { ClientConnection } from "../src/subscriptions/ClientConnection.ts";
import type { ClientSubscription } from "../src/subscriptions/ClientSubscription.ts";

/** A connection on a socket that records what the router did to it. */
function connection(queueMax = 3) {
  const closes: { code: number; reason: string }[] = [];
  const drops: string[] = [];
  const socket = { close: (code: number, reason: string) => void closes.push({ code, reason }), terminate: () => {} };
  const client = new ClientConnection({ socket, identity: null, clientKey: "ip:203.0.113.5", requestId: "r-1", logger: silentLogger, queueMax, onDrop: (reason) => drops.push(reason) });
  return { client, closes, drops };
}

describe("ClientConnection", () => {
  it("gives each operation a context of its own with the connection's caller", () => {
    const { client } = connection();
    const [a, b] = [client.context(), client.context()];
    expect(a).toEqual({ identity: null, requestId: "r-1", logger: silentLogger, clientKey: "ip:203.0.113.5" });
    expect(a).not.toBe(b);
  });

  it("closes a slow consumer with 1013 once its queue is full, ending its subscriptions", () => {
    const { client, closes, drops } = connection(3);
    let finished = 0;
    client.subscriptions.add({ finish: () => void finished++ } as unknown as ClientSubscription);
    expect([client.take(), client.take(), client.take()]).toEqual([true, true, true]);
    client.give(1);
    expect(client.take()).toBe(true);
    expect(client.take()).toBe(false);
    expect(closes).toEqual([{ code: 1013, reason: "Slow consumer: more than 3 payloads queued" }]);
    expect(drops).toEqual(["slow_consumer"]);
    expect(finished).toBe(1);
    // Dropped once: nothing more is taken, and nothing closes twice.
    expect(client.take()).toBe(false);
    expect(closes).toHaveLength(1);
  });

  it("closes with 4401 when the access token expires", async () => {
    const { client, closes, drops } = connection();
    client.expireAt(Math.floor(Date.now() / 1000));
    await eventually(() => closes.length === 1, { what: "the expiry to close the socket", timeoutMs: 10_000 });
    expect(closes).toEqual([{ code: 4401, reason: "Access token has expired" }]);
    expect(drops).toEqual(["token_expired"]);
  });

  it("forgets the expiry when the connection is disposed", async () => {
    const { client, closes } = connection();
    client.expireAt(Math.floor(Date.now() / 1000) + 1);
    client.dispose();
    // Past the second the token had left: nothing closed.
    await staysAt(() => closes.length, 0, { what: "closes", quietMs: 2_000 });
  });
});
