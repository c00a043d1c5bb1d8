import { describe, expect, it } from "vitest";
import { ERRORS, eventIterator, type StartListening } from "../src/index.ts";

/** A hand-driven source: the test pushes and fails it, and sees when it is closed. */
function source<T>() {
  let push!: (value: T) => void;
  let fail!: (error: Error) => void;
  let closes = 0;
  const listen: StartListening<T> = async (p, f) => {
    push = p;
    fail = f;
    return {
      async close() {
        closes++;
      },
    };
  };
  return { listen, push: (v: T) => push(v), fail: (e: Error) => fail(e), closes: () => closes };
}

describe("eventIterator", () => {
  it("yields what was pushed in order, whether the reader waits or falls behind", async () => {
    const s = source<number>();
    const it = await eventIterator(s.listen);
    const waiting = it.next();
    s.push(1);
    s.push(2);
    s.push(3);
    expect(await waiting).toEqual({ done: false, value: 1 });
    expect(await it.next()).toEqual({ done: false, value: 2 });
    expect(await it.next()).toEqual({ done: false, value: 3 });
    await it.return();
  });

  it("closes the listener exactly once on return() (client unsubscribe) and ends every pending read", async () => {
    const s = source<number>();
    const it = await eventIterator(s.listen);
    const pending = it.next();
    await it.return();
    await it.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    s.push(1);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(s.closes()).toBe(1);
  });

  it("closes the listener on throw() and rethrows", async () => {
    const s = source<number>();
    const it = await eventIterator(s.listen);
    await expect(it.throw(new Error("boom"))).rejects.toThrow("boom");
    expect(s.closes()).toBe(1);
  });

  it("ends with SUBSCRIPTION_OVERFLOW, and lets go of the listener, when the queue would grow past maxQueue", async () => {
    const s = source<number>();
    const it = await eventIterator(s.listen, { maxQueue: 2 });
    s.push(1);
    s.push(2);
    expect(s.closes()).toBe(0);
    s.push(3);
    expect(s.closes()).toBe(1);
    const error = await it.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ extensions: { code: ERRORS.SUBSCRIPTION_OVERFLOW.code, maxQueue: 2 } });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await it.return();
    expect(s.closes()).toBe(1);
  });

  it("delivers what was queued before a source failure, then the failure", async () => {
    const s = source<number>();
    const it = await eventIterator(s.listen);
    s.push(1);
    s.fail(new Error("feed lost"));
    s.push(2);
    expect(await it.next()).toEqual({ done: false, value: 1 });
    await expect(it.next()).rejects.toThrow("feed lost");
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(s.closes()).toBe(1);
  });

  it("refuses a queue that could hold nothing", async () => {
    await expect(eventIterator(source<number>().listen, { maxQueue: 0 })).rejects.toThrow(RangeError);
  });
});
