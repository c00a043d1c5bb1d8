export interface ChargeRequest {
  /** Also the idempotency key: a repeat for the same payment is never a second charge. */
  paymentId: string;
  token: string;
  amountCents: number;
  currency: string;
}

export type ChargeResult = { ok: true; reference: string } | { ok: false; retryable: boolean; reason: string };

export interface CardProcessor {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

/** Card tokens the simulated processor understands; anything else is declined as unknown_token. */
export const TEST_TOKENS = {
  /** Always succeeds. */
  visa: "tok_visa",
  /** Always declined (card_declined, not retryable). */
  declined: "tok_declined",
  /** First attempt per payment fails (processor_unavailable, retryable); the next succeeds. */
  flaky: "tok_flaky",
} as const;

/**
 * A stand-in for a real card processor, deterministic so that tests and demos
 * can choose an outcome by token. Like a real processor it treats paymentId as
 * an idempotency key: once a payment is captured, charging it again returns the
 * original reference, so retrying after a lost response cannot charge twice.
 * All state lives in the instance; two processors share nothing.
 */
export function createCardProcessor(): CardProcessor {
  const captured = new Map<string, { reference: string; amountCents: number; currency: string }>();
  const flakyFailed = new Set<string>();

  const capture = (request: ChargeRequest): ChargeResult => {
    const reference = `ch_${request.paymentId.replaceAll("-", "")}`;
    captured.set(request.paymentId, { reference, amountCents: request.amountCents, currency: request.currency });
    return { ok: true, reference };
  };

  return {
    async charge(request) {
      const previous = captured.get(request.paymentId);
      if (previous) {
        // Reusing an idempotency key for a different charge is a caller bug, never a success.
        if (previous.amountCents !== request.amountCents || previous.currency !== request.currency) {
          return { ok: false, retryable: false, reason: "idempotency_mismatch" };
        }
        return { ok: true, reference: previous.reference };
      }
      switch (request.token) {
        case TEST_TOKENS.visa:
          return capture(request);
        case TEST_TOKENS.declined:
          return { ok: false, retryable: false, reason: "card_declined" };
        case TEST_TOKENS.flaky:
          if (!flakyFailed.has(request.paymentId)) {
            flakyFailed.add(request.paymentId);
            return { ok: false, retryable: true, reason: "processor_unavailable" };
          }
          return capture(request);
        default:
          return { ok: false, retryable: false, reason: "unknown_token" };
      }
    },
  };
}
