import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventBus } from "@store/events";
import type { Registry } from "prom-client";
import { ERRORS } from "./errors.ts";
import { replayGuardUnavailable, routerSignatureRequired, sendError, sendJson, type HttpError, type RouteHandler } from "./http.ts";
import type { Logger } from "./logger.ts";
import { acceptRouterRequest, type ReplayGuard } from "./replayGuard.ts";

/** One dependency as `/status` reports it. */
export interface DependencyStatus {
  /** "database" or "events". */
  name: string;
  /** The bus's kind, for "events". */
  kind?: "nats" | "in-process";
  status: "up" | "down";
  /** How long the check took, in milliseconds (the timeout when it did not answer in time). */
  latencyMs: number;
  /** Why it is down, in one line (the error's code and message, cut to 200 characters). */
  error?: string;
}

/** One durable consumer as `/status` reports it. */
export interface ConsumerStatus {
  /** `<service>-<name>`, e.g. "orders-saga". */
  name: string;
  /** Events published for it and not yet acknowledged; null when it could not be read in time (or it is not subscribed). */
  lag: number | null;
}

/**
 * What a subgraph answers at `GET /status`, for the router's status page
 * (router/src/status/). Served only to the router: the request must carry a
 * valid router signature for method `GET`, this subgraph and an empty body
 * (signRouterRequest), each signature once; anything else gets 401
 * INVALID_ROUTER_SIGNATURE (503 SERVICE_OVERLOADED when the replay guard
 * cannot answer). The answer is 200 with this JSON whatever the status; a
 * subgraph that cannot answer at all is down by the router's own reckoning.
 *
 * ```json
 * { "service": "orders", "status": "up", "checkedAt": "2026-12-01T10:00:00.000Z", "uptimeSeconds": 42.5,
 *   "dependencies": [ { "name": "database", "status": "up", "latencyMs": 1.2 },
 *                     { "name": "events", "kind": "nats", "status": "up", "latencyMs": 0.8 } ],
 *   "events": { "outboxPending": 0, "consumers": [ { "name": "orders-saga", "lag": 0 } ], "deadLetters": 0 } }
 * ```
 *
 * Every check runs at once, each bounded by a timeout (1 s by default): a
 * database that does not answer is reported down after that long rather
 * than holding the request.
 */
export interface SubgraphStatus {
  /** The subgraph's name. */
  service: string;
  /**
   * - `up`: every check answered.
   * - `degraded`: the database answers, but the bus, the outbox count or a
   *   consumer's lag does not: queries work, events may be late.
   * - `down`: the database does not answer: nearly every operation fails.
   */
  status: "up" | "degraded" | "down";
  /** When the checks ran (ISO 8601, UTC). */
  checkedAt: string;
  /** Seconds since the service was built. */
  uptimeSeconds: number;
  /** "database" (`SELECT 1`), then "events" (the bus's ping) when the service has a bus. */
  dependencies: DependencyStatus[];
  events: {
    /** Outbox rows not yet published; null when they could not be counted in time. */
    outboxPending: number | null;
    /** The service's durable consumers, in declaration order. */
    consumers: ConsumerStatus[];
    /** Events this service's consumers dead-lettered since the process started. */
    deadLetters: number;
  };
}

export interface StatusCheckOptions {
  service: string;
  /** When the service started, epoch ms. @default when createStatusCheck was called */
  startedAt?: number;
  /** How long each check may take before it counts as failed. @default 1000 */
  timeoutMs?: number;
  /** Resolves when the database answers (`SELECT 1`). */
  database: () => Promise<unknown>;
  /** The event bus: its kind and its ping. */
  bus?: Pick<EventBus, "kind" | "ping">;
  /** Outbox rows not yet published. */
  outboxPending?: () => Promise<number>;
  /** The consumers to report, by name; `lag` is absent for one not subscribed (yet). */
  consumers?: () => readonly { name: string; lag?: (() => Promise<number>) | undefined }[];
  /** Events this service's consumers dead-lettered (countDeadLetters). */
  deadLetters?: () => number | Promise<number>;
}

export const STATUS_CHECK_TIMEOUT_MS = 1_000;

type Outcome<T> = { ok: true; value: T; latencyMs: number } | { ok: false; error: string; latencyMs: number };

const rounded = (ms: number) => Math.round(ms * 10) / 10;

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const line = (typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message).replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Runs one check, bounded by `timeoutMs`; never rejects. */
async function timed<T>(check: () => Promise<T>, timeoutMs: number): Promise<Outcome<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    const value = await Promise.race([Promise.resolve().then(check), timeout]);
    return { ok: true, value, latencyMs: rounded(performance.now() - started) };
  } catch (error) {
    return { ok: false, error: describe(error), latencyMs: rounded(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

const dependency = (name: string, outcome: Outcome<unknown>, kind?: DependencyStatus["kind"]): DependencyStatus => ({
  name,
  ...(kind ? { kind } : {}),
  status: outcome.ok ? "up" : "down",
  latencyMs: outcome.latencyMs,
  ...(outcome.ok ? {} : { error: outcome.error }),
});

/** The check behind `/status`: see SubgraphStatus for what it answers. */
export function createStatusCheck(options: StatusCheckOptions): () => Promise<SubgraphStatus> {
  const { service, startedAt = Date.now(), timeoutMs = STATUS_CHECK_TIMEOUT_MS } = options;
  return async () => {
    const checkedAt = new Date();
    const consumers = options.consumers?.() ?? [];
    const [database, events, pending, lags, deadLetters] = await Promise.all([
      timed(options.database, timeoutMs),
      options.bus ? timed(() => options.bus!.ping(), timeoutMs) : undefined,
      options.outboxPending ? timed(options.outboxPending, timeoutMs) : undefined,
      Promise.all(consumers.map((consumer) => (consumer.lag ? timed(consumer.lag, timeoutMs) : undefined))),
      options.deadLetters ? timed(async () => options.deadLetters!(), timeoutMs) : undefined,
    ]);
    const dependencies = [dependency("database", database)];
    if (events) dependencies.push(dependency("events", events, options.bus!.kind));
    const outboxPending = pending?.ok ? pending.value : null;
    const consumerStatus = consumers.map((consumer, i) => {
      const lag = lags[i];
      return { name: consumer.name, lag: lag?.ok ? lag.value : null };
    });
    const unanswered = (events && !events.ok) || (pending && !pending.ok) || consumerStatus.some((consumer) => consumer.lag === null);
    return {
      service,
      status: !database.ok ? "down" : unanswered ? "degraded" : "up",
      checkedAt: checkedAt.toISOString(),
      uptimeSeconds: rounded((checkedAt.getTime() - startedAt) / 1000),
      dependencies,
      events: { outboxPending, consumers: consumerStatus, deadLetters: deadLetters?.ok ? deadLetters.value : 0 },
    };
  };
}

/**
 * Events the service's consumers (`<service>-*`) dead-lettered since the
 * process started: the `events_dead_lettered_total` counter in its registry
 * (the NATS bus counts there), plus the in-process bus's own list of dead
 * letters (it counts in no registry).
 */
export async function countDeadLetters({ service, registry, bus }: { service: string; registry?: Registry | undefined; bus?: unknown }): Promise<number> {
  const ours = (consumer: unknown) => typeof consumer === "string" && consumer.startsWith(`${service}-`);
  let count = 0;
  const counter = registry?.getSingleMetric("events_dead_lettered_total");
  if (counter) for (const { labels, value } of (await counter.get()).values) if (ours(labels.consumer)) count += value;
  const kept = (bus as { kind?: unknown; deadLetters?: unknown } | undefined)?.kind === "in-process" ? (bus as { deadLetters?: unknown }).deadLetters : undefined;
  if (Array.isArray(kept)) for (const letter of kept) if (ours((letter as { consumer?: unknown }).consumer)) count++;
  return count;
}

export interface StatusRouteOptions {
  subgraph: string;
  routerSigningSecret: string;
  replayGuard: ReplayGuard;
  signatureWindowMs?: number | undefined;
  status: () => Promise<SubgraphStatus>;
  logger: Pick<Logger, "debug" | "error">;
}

const refuse = (res: ServerResponse, error: HttpError) => sendError(res, error.status, error.code, error.message);

/** `GET /status`, for the router only: see SubgraphStatus. */
export function statusRoute({ subgraph, routerSigningSecret, replayGuard, signatureWindowMs, status, logger }: StatusRouteOptions): RouteHandler {
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      return sendError(res, 405, ERRORS.BAD_REQUEST.code, "The status endpoint answers GET only");
    }
    const accepted = await acceptRouterRequest(routerSigningSecret, replayGuard, {
      method: "GET",
      subgraph,
      body: "",
      headers: req.headers,
      ...(signatureWindowMs === undefined ? {} : { windowMs: signatureWindowMs }),
    });
    if (!accepted.ok) {
      logger.debug({ reason: accepted.reason, remote: req.socket.remoteAddress }, "status request refused: router signature");
      return refuse(res, accepted.unavailable ? replayGuardUnavailable() : routerSignatureRequired(accepted.reason));
    }
    sendJson(res, 200, await status(), { "cache-control": "no-store" });
  };
  return (req, res) => {
    answer(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "status check failed");
      if (!res.headersSent) sendError(res, 500, ERRORS.INTERNAL_SERVER_ERROR.code, "Internal server error");
    });
  };
}
