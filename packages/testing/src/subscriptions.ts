import { createClient, type Client, type ExecutionResult } from "graphql-ws";
import { WebSocket } from "ws";
import { signConnectionParams, type Identity } from "@store/kit";
import { eventually } from "./eventually.ts";

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
  /**
   * Resolves once `count` results have arrived; rejects on timeout, or as soon
   * as the subscription ends with fewer. `timeoutMs` defaults to `eventually`'s.
   */
  take(count: number, timeoutMs?: number): Promise<ExecutionResult<TData>[]>;
  /** Resolves when the subscription ends, by completion or error. `timeoutMs` defaults to `eventually`'s. */
  ended(timeoutMs?: number): Promise<{ error: unknown }>;
  /** Client-side unsubscribe (sends `complete`). */
  unsubscribe(): void;
}

/** Subscribes and records every message, for assertions on order, errors and ends. */
export function recordSubscription<TData = Record<string, unknown>>(client: Client, query: string, variables?: Record<string, unknown>): RecordedSubscription<TData> {
  const results: ExecutionResult<TData>[] = [];
  let error: unknown;
  let completed = false;
  const unsubscribe = client.subscribe<TData>(
    { query, variables },
    {
      next: (result) => void results.push(result as ExecutionResult<TData>),
      error: (err) => (error = err),
      complete: () => (completed = true),
    },
  );
  const isOver = () => error !== undefined || completed;
  return {
    results,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    async take(count, timeoutMs) {
      // An early end is an answer, not a "not yet": the check returns it, and it fails here at once.
      const outcome = await eventually(
        () => {
          if (results.length >= count) return { taken: results.slice(0, count) };
          if (isOver()) return { endedAfter: results.length };
          throw new Error(`${results.length} of ${count} results arrived`);
        },
        { what: `${count} results of the subscription`, timeoutMs },
      );
      if ("endedAfter" in outcome) throw new Error(`the subscription ended after ${outcome.endedAfter} of ${count} results: ${JSON.stringify(error ?? "complete")}`);
      return outcome.taken;
    },
    async ended(timeoutMs) {
      await eventually(isOver, { what: "the subscription to end", timeoutMs });
      return { error };
    },
    unsubscribe,
  };
}
