/**
 * The one way tests wait: poll a condition until it yields a value, with a
 * deadline generous enough for a machine whose cores another test run shares.
 * Never wait a fixed time for something to happen; wait for it.
 */

export interface EventuallyOptions {
  /** What is awaited, for the failure message. @default "condition" */
  what?: string;
  /** Give up after this long. @default 60_000 */
  timeoutMs?: number;
  /** Pause between checks. @default 20 */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns something other than `undefined` or `false`
 * (a thrown error counts as "not yet"), and returns that value. On timeout it
 * fails with `what` and the last error `check` threw.
 */
export async function eventually<T>(check: () => T | Promise<T>, { what = "condition", timeoutMs = 60_000, intervalMs = 20 }: EventuallyOptions = {}): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? "" : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Asserts that nothing more arrives: checks `count` at every interval for
 * `quietMs` and fails as soon as it grows past `expected`. Used where a test
 * must show an absence (no duplicate delivery); it bounds how long it looks,
 * it is not a wait for something to happen.
 */
export async function staysAt(count: () => number, expected: number, { what = "count", quietMs = 1_000, intervalMs = 20 }: { what?: string; quietMs?: number; intervalMs?: number } = {}): Promise<void> {
  const end = Date.now() + quietMs;
  for (;;) {
    const seen = count();
    if (seen !== expected) throw new Error(`${what} is ${seen}, expected it to stay at ${expected}`);
    if (Date.now() >= end) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
