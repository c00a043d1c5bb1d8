import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCardProcessor, TEST_TOKENS } from "../src/processor.ts";

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
});
