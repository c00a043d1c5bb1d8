import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "@store/kit";
import { cardProcessorEnv, createCardProcessor, TEST_TOKENS } from "../src/processor.ts";

const request = (token: string, paymentId = randomUUID()) => ({ paymentId, token, amountCents: 2500, currency: "USD" });

describe("simulated card processor", () => {
  it("always captures tok_visa, with a reference derived from the payment", async () => {
    const processor = createCardProcessor();
    const first = await processor.charge(request(TEST_TOKENS.visa));
    const second = await processor.charge(request(TEST_TOKENS.visa));
    expect(first).toMatchObject({ ok: true, reference: expect.stringMatching(/^ch_[0-9a-f]{32}$/) });
    expect(second.ok).toBe(true);
    expect(second).not.toEqual(first);
  });

  it("always declines tok_declined as card_declined, not retryable", async () => {
    const processor = createCardProcessor();
    const charge = request(TEST_TOKENS.declined);
    for (let i = 0; i < 3; i++) {
      expect(await processor.charge(charge)).toEqual({ ok: false, retryable: false, reason: "card_declined" });
    }
  });

  it("fails tok_flaky once per payment with a retryable processor_unavailable, then captures", async () => {
    const processor = createCardProcessor();
    const charge = request(TEST_TOKENS.flaky);
    expect(await processor.charge(charge)).toEqual({ ok: false, retryable: true, reason: "processor_unavailable" });
    expect(await processor.charge(charge)).toMatchObject({ ok: true });

    // The state is per payment...
    expect(await processor.charge(request(TEST_TOKENS.flaky))).toMatchObject({ ok: false, retryable: true });
    // ...and per processor instance.
    expect(await createCardProcessor().charge(charge)).toMatchObject({ ok: false, retryable: true });
  });

  it("declines any other token as unknown_token, not retryable", async () => {
    const processor = createCardProcessor();
    for (const token of ["tok_mastercard", "", "TOK_VISA", "tok_visa "]) {
      expect(await processor.charge(request(token))).toEqual({ ok: false, retryable: false, reason: "unknown_token" });
    }
  });

  it("treats the payment id as an idempotency key", async () => {
    const processor = createCardProcessor();
    const charge = request(TEST_TOKENS.visa);
    const first = await processor.charge(charge);
    expect(await processor.charge(charge)).toEqual(first);
    // Even a token that would now decline cannot undo or repeat a capture.
    expect(await processor.charge({ ...charge, token: TEST_TOKENS.declined })).toEqual(first);
    expect(await processor.charge({ ...charge, amountCents: 9999 })).toEqual({ ok: false, retryable: false, reason: "idempotency_mismatch" });
    expect(await processor.charge({ ...charge, currency: "EUR" })).toEqual({ ok: false, retryable: false, reason: "idempotency_mismatch" });
  });

  describe("latency (CARD_PROCESSOR_LATENCY_MS)", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Whether the promise has settled, without waiting for it. */
    const tracked = <T>(promise: Promise<T>) => {
      const state = { settled: false };
      void promise.then(() => (state.settled = true));
      return state;
    };

    it("answers each charge only after the configured latency", async () => {
      vi.useFakeTimers();
      const processor = createCardProcessor({ latencyMs: 100 });
      const charge = request(TEST_TOKENS.visa);
      const first = processor.charge(charge);
      const state = tracked(first);
      await vi.advanceTimersByTimeAsync(99);
      expect(state.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(state.settled).toBe(true);
      expect(await first).toMatchObject({ ok: true });

      // A repeat (the idempotent answer) takes as long: every call is a round trip.
      const repeat = tracked(processor.charge(charge));
      await vi.advanceTimersByTimeAsync(99);
      expect(repeat.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(repeat.settled).toBe(true);
    });

    it("waits through the given sleep, and charges in flight overlap", async () => {
      const waits: { ms: number; wake: () => void }[] = [];
      const sleep = (ms: number) => new Promise<void>((wake) => waits.push({ ms, wake }));
      const processor = createCardProcessor({ latencyMs: 250, sleep });
      const charge = request(TEST_TOKENS.visa);
      const calls = [processor.charge(charge), processor.charge(request(TEST_TOKENS.declined))];
      // Both are waiting at once: the latency holds up a call, never the processor.
      expect(waits.map((w) => w.ms)).toEqual([250, 250]);
      for (const w of waits) w.wake();
      expect(await Promise.all(calls)).toEqual([expect.objectContaining({ ok: true }), { ok: false, retryable: false, reason: "card_declined" }]);
    });

    it("answers at once by default", async () => {
      vi.useFakeTimers();
      const state = tracked(createCardProcessor().charge(request(TEST_TOKENS.visa)));
      await vi.advanceTimersByTimeAsync(0);
      expect(state.settled).toBe(true);
    });

    it("reads CARD_PROCESSOR_LATENCY_MS as whole milliseconds from 0 to 10000, default 0", () => {
      expect(loadConfig(cardProcessorEnv, {}).CARD_PROCESSOR_LATENCY_MS).toBe(0);
      expect(loadConfig(cardProcessorEnv, { CARD_PROCESSOR_LATENCY_MS: "100" }).CARD_PROCESSOR_LATENCY_MS).toBe(100);
      expect(loadConfig(cardProcessorEnv, { CARD_PROCESSOR_LATENCY_MS: "10000" }).CARD_PROCESSOR_LATENCY_MS).toBe(10_000);
      for (const bad of ["-1", "10001", "1.5", "fast"]) {
        expect(() => loadConfig(cardProcessorEnv, { CARD_PROCESSOR_LATENCY_MS: bad })).toThrow(ConfigError);
        expect(() => loadConfig(cardProcessorEnv, { CARD_PROCESSOR_LATENCY_MS: bad })).toThrow(/CARD_PROCESSOR_LATENCY_MS/);
      }
    });
  });
});
