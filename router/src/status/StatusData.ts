/**
 * What `GET /status/data` answers (JSON): the router's view of the platform,
 * recomputed at most once a second however many pages poll it. Nothing in it
 * is secret: no token, no variable value, no identity; span attributes only
 * from a short list of names (see waterfallDetail in slowOperations.ts).
 */
export interface StatusData {
  /** When this answer was computed (ISO 8601). */
  generatedAt: string;
  router: {
    /** `service.name` of the router's spans. */
    service: string;
    uptimeSeconds: number;
    /** False until the first supergraph is loaded: no subgraph is known yet. */
    supergraphLoaded: boolean;
  };
  /** Every subgraph of the supergraph the router runs, in supergraph order. */
  subgraphs: SubgraphStatus[];
  /** Router RED figures per operation (rate, errors, duration). */
  operations: OperationFigures;
  /** Consumer lag, outbox and dead letters per service, from each subgraph's own report. */
  events: ServiceEvents[];
  /** Slow operations, when this process keeps spans in memory. */
  traces: TraceFigures;
}

export type Health = "up" | "degraded" | "down";

/** One subgraph as its `GET /status` answered the router (or failed to). */
export interface SubgraphStatus {
  name: string;
  /** "down" too when it did not answer, answered an error, or answered something that is not a report. */
  status: Health;
  /** The router's round trip for the status request (the subgraph's own checks included), in ms; null when no answer came back. */
  latencyMs: number | null;
  /** When the router asked (ISO 8601). */
  checkedAt: string;
  /** Why it is down, when the router could not get a report (refused, timeout, HTTP 401 ...). */
  error?: string;
  /** The subgraph process's uptime, as it reports it. */
  uptimeSeconds?: number;
  /** The subgraph's dependencies (database, events) as it checked them; empty without a report. */
  dependencies: DependencyStatus[];
}

export interface DependencyStatus {
  /** "database" or "events" today. */
  name: string;
  status: Health;
  /** The subgraph's own check of it, in ms. */
  latencyMs: number | null;
  error?: string;
  /** What it is (e.g. "postgresql", "nats", "in-process"). */
  kind?: string;
}

export interface ServiceEvents {
  service: string;
  /** Outbox rows not yet published; null when the subgraph could not count them in time. */
  outboxPending: number | null;
  /** Events its consumers dead-lettered (failed past their retries) since it started. */
  deadLetters: number;
  /** Each durable consumer and the events it has not processed yet (null: not read in time). */
  consumers: { name: string; lag: number | null }[];
}

export interface OperationFigures {
  /**
   * How many seconds the figures cover: about the last minute once the
   * router has been watched that long (rates need two snapshots of its
   * counters), less right after start; null before a second snapshot exists.
   */
  windowSeconds: number | null;
  /** One row per operation type and name with requests in the window, busiest first. */
  rows: OperationRow[];
}

export interface OperationRow {
  /** query, mutation, subscription, or "unknown" (refused before it was parsed). */
  operationType: string;
  /** The operation's name; null when anonymous or when the metrics carry no name; "(other)" for names past the metrics' cap. */
  operationName: string | null;
  /** Requests in the window. */
  requests: number;
  /** Requests per second over the window. */
  ratePerSecond: number;
  /** Share of those requests that answered errors, 0..1. */
  errorRate: number;
  /** Mean duration in ms; null when the duration histogram has no data for this operation. */
  meanMs: number | null;
  /** 95th percentile in ms, interpolated within the histogram's buckets (as Prometheus's histogram_quantile). */
  p95Ms: number | null;
}

export type TraceFigures =
  | {
      kept: true;
      /** How far back the slow operations are taken from. */
      windowMinutes: number;
      /** The slowest root router operations of the window, slowest first. */
      slowest: SlowOperation[];
    }
  | { kept: false; message: string };

/** One client operation as the router's root SERVER span recorded it, with its whole trace. */
export interface SlowOperation {
  traceId: string;
  operationType: string | null;
  operationName: string | null;
  /** ISO 8601. */
  startedAt: string;
  durationMs: number;
  status: "unset" | "ok" | "error";
  waterfall: Waterfall;
}

/** Every kept span of one trace, in tree order (each span after its parent, siblings by start). */
export interface Waterfall {
  /** From the trace's first start to its last end, in ms: what bars are scaled to. Event handlers can end long after the request. */
  totalMs: number;
  /** Spans left out past the limit per waterfall. */
  omitted: number;
  spans: WaterfallSpan[];
}

export interface WaterfallSpan {
  spanId: string;
  service: string;
  name: string;
  kind: string;
  /** From the trace's first start, in ms. */
  offsetMs: number;
  durationMs: number;
  /** 0 for a span whose parent is not in the trace as kept. */
  depth: number;
  status: "unset" | "ok" | "error";
  /** A few attributes that say what the span did (subgraph, HTTP status, event type...). */
  detail?: string;
}

/** What `GET /status/data?order=<orderId>` answers: the order's saga from the event spans kept. */
export type SagaAnswer = { kept: false; orderId: string; message: string } | ({ kept: true } & SagaTimeline);

export interface SagaTimeline {
  orderId: string;
  /** Statuses the order reached, as its events tell: PENDING, AWAITING_PAYMENT, PAID... */
  statuses: { status: string; at: string; event: string }[];
  /** Each event of the order, oldest first. */
  events: SagaEvent[];
}

export interface SagaEvent {
  /** OrderPlaced, StockReserved... */
  type: string;
  /** The event's id when the spans carry it (messaging.message.id). */
  eventId: string | null;
  /** The service whose outbox relay published it; null when its publish span is not kept. */
  publishedBy: string | null;
  /** When it was published, else when it was first processed (ISO 8601). */
  at: string;
  traceId: string;
  /** Each delivery to a consumer, in the order they started (a redelivery is a row of its own). */
  handlers: SagaHandler[];
}

export interface SagaHandler {
  /** The durable consumer (messaging.consumer.group.name), or the service when the span does not say. */
  consumer: string;
  service: string;
  /** ISO 8601. */
  startedAt: string;
  /** The whole delivery (process span): steps before the handler's transaction (a card charge) included. */
  durationMs: number;
  /** The handler's transaction alone (handle span); null when it is not kept or did not run. */
  handlerMs: number | null;
  /** What the handler recorded ("handled", "duplicate"), "error", "dead-lettered", or "ok" when it says nothing. */
  outcome: string;
  /** The error message, for a failed handler. */
  error?: string;
}
