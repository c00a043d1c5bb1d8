import { createClient, type Client, type ExecutionResult } from "graphql-ws";
import { WebSocket } from "ws";
import { signConnectionParams, type Identity } from "@store/kit";

/** The secret test subgraphs listen with. */
export const TEST_SIGNING_SECRET = "test-router-signing-secret";

export interface SubgraphClientOptions {
  /** Signs connectionParams as the router would; `null` signs an anonymous caller. Omit `identity` and pass `connectionParams` to send anything else. */
  identity?: Identity | null;
  /** @default TEST_SIGNING_SECRET */
  secret?: string;
  /**
   * The subgraph's name, which the signature binds.
   * @default the name the subgraph reports at /health
   */
  subgraph?: string;
  /** Sent as they are instead of signed ones (for refusal tests). */
  connectionParams?: Record<string, unknown>;
}

export interface SubgraphClient {
  client: Client;
  /** Resolves with the code of the first close the client saw. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A real graphql-ws client against a subgraph, connected the way the router connects: no retries, so a refusal surfaces. */
export function connectSubgraph(url: string, options: SubgraphClientOptions = {}): SubgraphClient {
  let onClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  // Signed when the socket opens (a fresh nonce each time), as the router signs.
  const connectionParams =
    options.connectionParams ??
    (async () =>
      signConnectionParams(options.secret ?? TEST_SIGNING_SECRET, { subgraph: options.subgraph ?? (await subgraphName(url)), identity: options.identity ?? null, requestId: "test-request" }));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // A refused connection must not be retried: the test asserts the refusal.
    shouldRetry: () => false,
    on: { closed: (event) => onClosed({ code: (event as { code: number }).code, reason: String((event as { reason?: unknown }).reason ?? "") }) },
    onNonLazyError: () => {},
  });
  return {
    client,
    closed,
    async dispose() {
      await client.dispose();
    },
  };
}

/** What a kit subgraph answers at /health: its name, for tests that do not say it. */
async function subgraphName(url: string): Promise<string> {
  const health = new URL(url.replace(/^ws/, "http"));
  health.pathname = "/health";
  health.search = "";
  const response = await fetch(health);
  const body = (await response.json()) as { subgraph?: unknown };
  if (typeof body.subgraph !== "string") throw new Error(`${health.href} does not name its subgraph; pass \`subgraph\``);
  return body.subgraph;
}

export interface RecordedSubscription<TData> {
  readonly results: ExecutionResult<TData>[];
  /** Set when the server ended the subscription with an error message (or the socket closed under it). */
  readonly error: unknown;
  readonly completed: boolean;
  /** Resolves once `count` results have arrived; rejects on timeout or when the subscription ends first. */
  take(count: number, timeoutMs?: number): Promise<ExecutionResult<TData>[]>;
  /** Resolves when the subscription ends, by completion or error. */
  ended(timeoutMs?: number): Promise<{ error: unknown }>;
  /** Client-side unsubscribe (sends `complete`). */
  unsubscribe(): void;
}

/** Subscribes and records every message, for assertions on order, errors and ends. */
export function recordSubscription<TData = Record<string, unknown>>(client: Client, query: string, variables?: Record<string, unknown>): RecordedSubscription<TData> {
  const results: ExecutionResult<TData>[] = [];
  let error: unknown;
  let completed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const unsubscribe = client.subscribe<TData>(
    { query, variables },
    {
      next: (result) => {
        results.push(result as ExecutionResult<TData>);
        wake();
      },
      error: (err) => {
        error = err;
        wake();
      },
      complete: () => {
        completed = true;
        wake();
      },
    },
  );
  const until = <T>(ready: () => T | undefined, describe: () => string, timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined;
        try {
          value = ready();
        } catch (failure) {
          waiters.delete(check);
          clearTimeout(timer);
          return reject(failure);
        }
        if (value === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out: ${describe()}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    results,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    take: (count, timeoutMs = 10_000) =>
      until(
        () => {
          if (results.length >= count) return results.slice(0, count);
          if (error !== undefined || completed) throw new Error(`the subscription ended after ${results.length} of ${count} results: ${JSON.stringify(error ?? "complete")}`);
          return undefined;
        },
        () => `${results.length} of ${count} results arrived`,
        timeoutMs,
      ),
    ended: (timeoutMs = 10_000) =>
      until(
        () => (error !== undefined || completed ? { error } : undefined),
        () => "the subscription did not end",
        timeoutMs,
      ),
    unsubscribe,
  };
}

/** Polls until `predicate` holds: for state the test cannot be told about (a server-side listener opening or closing). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, { timeoutMs = 5_000, what = "condition" }: { timeoutMs?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
