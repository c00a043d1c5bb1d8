import { z } from "zod";

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

/** Payments' own variables (parsed once at start-up by the kit). */
export const cardProcessorEnv = z.object({
  /** How long the simulated processor takes to answer each charge, in ms (0..10000). @default 0 */
  CARD_PROCESSOR_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(0),
});
// Typed where it is read: a `resources` that destructures without a type leaves the kit unable to infer the service's resources.
export type CardProcessorEnv = z.output<typeof cardProcessorEnv>;

export interface CardProcessorOptions {
  /**
   * How long each charge call takes before it answers, as a real processor's
   * round trip would: benchmarks use it to see how many charges the saga keeps
   * in flight at once.
   * @default 0 (answers at once)
   */
  latencyMs?: number;
  /** Waits `ms`; tests give their own clock. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A stand-in for a real card processor, deterministic so that tests and demos
 * can choose an outcome by token. Like a real processor it treats paymentId as
 * an idempotency key: once a payment is captured, charging it again returns the
 * original reference, so retrying after a lost response cannot charge twice.
 * All state lives in the instance; two processors share nothing.
 */
export function createCardProcessor({ latencyMs = 0, sleep = sleepFor }: CardProcessorOptions = {}): CardProcessor {
  const processor = createInstantProcessor();
  if (latencyMs <= 0) return processor;
  return {
    async charge(request) {
      // Decided after the wait: concurrent charges of one payment still meet one idempotency memory.
      await sleep(latencyMs);
      return processor.charge(request);
    },
  };
}

function createInstantProcessor(): CardProcessor {
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
