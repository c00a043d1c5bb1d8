import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, type JsMsg } from "@nats-io/jetstream";
import { connect, headers, nanos, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Logger } from "pino";
import { redeliveryDelay, type ConsumeOptions, type Consumer, type EventBus, type LiveEventHandler, type LiveListener, type LiveListenOptions } from "./bus.ts";
import { isEventType, subjectOf, type EventType } from "./catalogue.ts";
import { parseEvent, serializeEvent, type EventEnvelope } from "./envelope.ts";
import type { EventMetrics } from "./metrics.ts";
import { checkPartitionCount, DEFAULT_PARTITIONS, eventSubject } from "./partitions.ts";
import { activeTraceContext, traceContextOf, type TraceContext } from "./tracing.ts";

export const EVENTS_STREAM = "EVENTS";
export const DEAD_LETTER_STREAM = "DEADLETTER";

/** The JetStream streams a bus in `namespace` uses (test runs and benchmarks each keep to their own). */
export function streamNames(namespace = ""): { events: string; deadLetter: string } {
  const prefix = namespace.toUpperCase().replace(/\W/g, "_");
  return { events: `${prefix}${EVENTS_STREAM}`, deadLetter: `${prefix}${DEAD_LETTER_STREAM}` };
}

/**
 * The JetStream name of durable consumer `name` on a bus in `namespace`, so two
 * deployments sharing a server never share a consumer's position. Names allow
 * no dots, so the namespace's separators become underscores (`staging.` →
 * `staging_orders-saga`).
 */
export function consumerName(namespace: string, name: string): string {
  return `${namespace.replace(/\W/g, "_")}${name}`;
}

/**
 * The durable consumers behind consumer `name` on a bus in `namespace`: one
 * per partition, `<name>-p0` to `<name>-p<N-1>`.
 */
export function partitionDurables(namespace: string, name: string, partitions = DEFAULT_PARTITIONS): string[] {
  return Array.from({ length: partitions }, (_, p) => `${consumerName(namespace, name)}-p${p}`);
}

/** How the events stream records its partition count (in its description, shown by `nats stream info`). */
const PARTITIONS_NOTE = /\bpartitions=(\d+)\b/;

export class PartitionCountMismatchError extends Error {
  override readonly name = "PartitionCountMismatchError";
  readonly code = "EVENTS_PARTITIONS_MISMATCH";
}

export interface NatsBusOptions {
  /** e.g. nats://127.0.0.1:4222 */
  url: string;
  /** Connection name, shown by `nats server report connections`. */
  name: string;
  logger: Logger;
  metrics?: EventMetrics;
  /** How long JetStream drops a second publish of the same event id. @default 120000 */
  duplicateWindowMs?: number;
  /** Back-off between redeliveries. @default redeliveryDelay */
  delay?: (attempt: number) => number;
  /**
   * Prefixes stream names, durable consumer names and subjects (dead letters
   * included), so that several isolated buses share one server: deployments,
   * or test runs. Ends with a dot, e.g. `staging.`. @default ""
   */
  namespace?: string;
  /** How long ping() waits for the server's answer. @default 2000 */
  pingTimeoutMs?: number;
  /**
   * Partitions of the event stream (EVENTS_PARTITIONS): each event goes to
   * `events.<source>.<Type>.<partition of its aggregate id>`, and each
   * consumer works on one event per partition at a time. Every process on a
   * stream must use the same count; the stream records it, and a bus with
   * another count refuses to start. @default 16
   */
  partitions?: number;
  /**
   * How long an event may be in a consumer's hands before JetStream gives it
   * to another instance: the longest a partition waits after an instance died
   * holding one of its events. A handler that runs longer keeps its claim
   * (the bus says it is still working every third of this). @default 10000
   */
  ackWaitMs?: number;
}

interface LiveSubscriber {
  types: readonly EventType[];
  handler: LiveEventHandler;
  onError?: (error: Error) => void;
  /** First stream sequence this listener may see: what the stream held when it called listen() is the past. */
  fromSeq: number;
}

const RECOVERY_NOTICES: ReadonlySet<string> = new Set(["heartbeats_missed", "consumer_not_found", "stream_not_found", "consumer_deleted", "reset", "ordered_consumer_recreated"]);

/** One ordered consumer per filter subject, shared by every listener on it in this process. */
interface LiveFeed {
  subscribers: Set<LiveSubscriber>;
  /** Settles once the consumer exists; a listener joining returns only then. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The W3C trace context headers of a message: a message carries them when its publisher was in a span. */
function traceHeaders(trace: TraceContext | undefined, into?: MsgHdrs): MsgHdrs | undefined {
  if (!trace?.traceparent) return into;
  const h = into ?? headers();
  h.set("traceparent", trace.traceparent);
  if (trace.tracestate) h.set("tracestate", trace.tracestate);
  return h;
}

const traceOf = (h: MsgHdrs | undefined): TraceContext | undefined => (h ? traceContextOf({ traceparent: h.get("traceparent"), tracestate: h.get("tracestate") }) : undefined);

// `status` is the HTTP-like status; `code` is JetStream's own error code (10059...).
const isNotFound = (error: unknown) => error instanceof JetStreamApiError && error.status === 404;

/**
 * The event bus on NATS JetStream. One stream holds every domain event, on
 * subjects `events.<source>.<Type>.<partition>` (the partition of the event's
 * aggregate id); each service's consumer is a durable per partition, so it
 * handles up to one event per partition at once, each aggregate's in order.
 * Publishing uses the event id as the message id, so a relay that publishes a
 * row twice (crash between publish and mark) is de-duplicated by the broker.
 */
export async function createNatsBus({
  url,
  name,
  logger,
  metrics,
  duplicateWindowMs = 120_000,
  delay = redeliveryDelay,
  namespace = "",
  pingTimeoutMs = 2_000,
  partitions = DEFAULT_PARTITIONS,
  ackWaitMs = 10_000,
}: NatsBusOptions): Promise<
  EventBus & {
    deleteStreams(): Promise<void>;
    /** Live listeners open in this process right now: lets tests prove a subscription is live, or released. */
    listenerCount(): number;
  }
> {
  const { events: streamName, deadLetter: deadLetterStream } = streamNames(namespace);
  checkPartitionCount(partitions);
  const subject = (type: Parameters<typeof subjectOf>[0]) => `${namespace}${subjectOf(type)}`;
  const deadLetterSubject = (consumer: string) => `${namespace}deadletter.${consumer}`;
  const log = logger.child({ component: "nats-bus" });
  // Reconnect forever: while NATS is away, publishes fail and the outbox
  // keeps the events; consumers resume from their durable position.
  const nc: NatsConnection = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 5_000 });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" || status.type === "reconnect") log.warn({ status: status.type }, "nats connection status");
    }
  })();
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);

  /** Creates the stream unless it exists (adding subjects it lacks); returns its description. */
  const ensureStream = async (stream: string, subjects: string[], description?: string): Promise<string | undefined> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const info = await jsm.streams.info(stream);
        const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
        if (missing.length) await jsm.streams.update(stream, { subjects: [...(info.config.subjects ?? []), ...missing] });
        return info.config.description;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      try {
        await jsm.streams.add({
          name: stream,
          subjects,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          duplicate_window: nanos(duplicateWindowMs),
          max_age: nanos(7 * 24 * 3_600_000),
          ...(description ? { description } : {}),
        });
        return description;
      } catch (error) {
        // Another process created it between our look and our add (with its own settings): read what it made.
        if (attempt > 1) throw error;
      }
    }
  };
  const description = await ensureStream(streamName, [`${namespace}events.>`], `Store domain events, partitions=${partitions}`);
  const recorded = PARTITIONS_NOTE.exec(description ?? "")?.[1];
  if (recorded === undefined) {
    // A stream made before events were partitioned: from now on it records the count.
    await jsm.streams.update(streamName, { description: `Store domain events, partitions=${partitions}` });
  } else if (Number(recorded) !== partitions) {
    await nc.close();
    throw new PartitionCountMismatchError(
      `the event stream ${streamName} is partitioned ${recorded} ways and this process was told ${partitions} (EVENTS_PARTITIONS): every process on a stream must use the same count, or events of some partitions reach no consumer`,
    );
  }
  await ensureStream(deadLetterStream, [`${namespace}deadletter.>`]);

  const consumers = new Set<Consumer>();
  const feeds = new Map<string, LiveFeed>();

  /**
   * An ordered consumer (ephemeral, in memory, AckPolicy.None, re-created by
   * the client from its last stream sequence after a gap or a reconnect) fanning
   * one filter subject out to this process's listeners. It starts at an explicit
   * sequence rather than DeliverPolicy.New: the client re-creates an ordered
   * consumer from "last sequence seen + 1", which is 1 when none was seen yet,
   * so a New consumer reset before its first event would replay the stream.
   */
  const openFeed = (filter: string, fromSeq: number): LiveFeed => {
    const subscribers = new Set<LiveSubscriber>();
    let stopped = false;
    let close: () => Promise<void> = async () => {};
    const ready = (async () => {
      const consumer = await js.consumers.get(streamName, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
      const messages = await consumer.consume({ max_messages: 256 });
      void (async () => {
        // The client recovers on its own (re-creates the consumer after a server
        // restart or missed heartbeats); these say it had to, for operators.
        for await (const status of messages.status()) {
          if (RECOVERY_NOTICES.has(status.type)) log.warn({ filter, status: status.type }, "live feed recovering");
        }
      })().catch(() => {});
      const loop = (async () => {
        for await (const msg of messages) {
          const parsed = parseEvent(msg.data);
          if (!parsed.ok) {
            // Durable consumers dead-letter it; a live view just skips it.
            log.warn({ subject: msg.subject, reason: parsed.reason }, "live event skipped");
            continue;
          }
          const seq = msg.info.streamSequence;
          for (const subscriber of [...subscribers]) {
            if (!subscribers.has(subscriber) || seq < subscriber.fromSeq || !subscriber.types.includes(parsed.event.type)) continue;
            try {
              subscriber.handler(parsed.event);
            } catch (error) {
              log.error({ eventId: parsed.event.id, err: error }, "live listener failed");
            }
          }
        }
        if (!stopped) throw new Error("the live event feed ended");
      })().catch((error: unknown) => {
        // The client re-creates an ordered consumer across reconnects and server
        // restarts; getting here means it gave up (the connection closed, or the
        // stream stayed missing): tell every listener, so their subscriptions
        // end with an error instead of going quiet.
        if (stopped) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        log.error({ err: failure, filter }, "live feed failed");
        if (feeds.get(filter) === feed) feeds.delete(filter);
        for (const subscriber of subscribers) subscriber.onError?.(failure);
        subscribers.clear();
      });
      let closing: Promise<void> | undefined;
      close = () =>
        (closing ??= (async () => {
          await messages.close();
          await loop;
          // Ephemeral consumers expire on their own (inactive_threshold); deleting now frees the server sooner.
          await consumer.delete().catch(() => {});
        })());
      // stop() came while the consumer was being created.
      if (stopped) await close();
    })();
    const feed: LiveFeed = {
      subscribers,
      ready,
      async stop() {
        stopped = true;
        await ready.catch(() => {});
        await close();
      },
    };
    return feed;
  };

  const deadLetter = async (consumer: string, msg: JsMsg, reason: string, eventId?: string) => {
    const h = headers();
    // Header values are one line; zod's reasons span several.
    h.set("Store-Dead-Letter-Reason", reason.replace(/\s*[\r\n]+\s*/g, "; ").slice(0, 1000));
    h.set("Store-Consumer", consumer);
    h.set("Store-Original-Subject", msg.subject);
    if (eventId) h.set("Store-Event-Id", eventId);
    // The failed delivery's trace, so an operator can find it from the dead letter.
    traceHeaders(traceOf(msg.headers), h);
    await js.publish(deadLetterSubject(consumer), msg.data, { headers: h });
    metrics?.deadLettered.inc({ consumer, reason: reason.split(":")[0]!.slice(0, 60) });
    log.error({ consumer, eventId, reason }, "event dead-lettered");
  };

  return {
    kind: "nats",
    async publish(event: EventEnvelope) {
      // The active span (the relay's publish span) travels as headers; none outside a span, so tracing off costs nothing here.
      // The aggregate's partition ends the subject: consumers see one aggregate's events in publish order.
      await js.publish(`${namespace}${eventSubject(event.type, event.aggregateId, partitions)}`, serializeEvent(event), {
        msgID: event.id,
        timeout: 5_000,
        headers: traceHeaders(activeTraceContext()),
      });
    },

    async consume(options: ConsumeOptions) {
      const max = options.maxDeliveries ?? 8;
      // One durable per partition, each with one event in flight across every
      // instance sharing it: a partition's events (so each aggregate's) reach
      // handlers one at a time, in publish order, while the partitions run side
      // by side. Instances compete for each partition's next event, so work
      // spreads over them, and an instance that dies holds up only the
      // partitions whose event it had, until ack_wait hands it on.
      const durables = partitionDurables(namespace, options.name, partitions);
      const ackWait = nanos(ackWaitMs);
      const filterOf = (partition: number) =>
        // NATS 2.9 (Debian's, this machine kind's) has no multi-subject
        // filter_subjects; a consumer of several types reads the whole
        // partition and acks what it does not handle, which also keeps one
        // order across types for an aggregate.
        options.types.length === 1 ? `${subject(options.types[0]!)}.${partition}` : `${namespace}events.*.*.${partition}`;
      const open = async (durable: string, partition: number) => {
        const filter_subject = filterOf(partition);
        try {
          await jsm.consumers.info(streamName, durable);
          await jsm.consumers.update(streamName, durable, { filter_subject, max_ack_pending: 1, ack_wait: ackWait });
        } catch (error) {
          if (!isNotFound(error)) throw error;
          await jsm.consumers.add(streamName, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject, max_ack_pending: 1, ack_wait: ackWait });
        }
        const consumer = await js.consumers.get(streamName, durable);
        // A partition has one event in flight, so this is not a buffer: a bigger batch means fewer pull requests for the server to handle.
        return consumer.consume({ max_messages: 16 });
      };
      const feeds = await Promise.all(durables.map(open));

      // At most `concurrency` handlers at once; a partition waiting for a turn keeps its event claimed (working() below).
      const slots = { free: Math.max(1, options.concurrency ?? partitions), waiting: [] as (() => void)[] };
      const turn = async () => {
        if (slots.free > 0) slots.free--;
        else await new Promise<void>((resolve) => slots.waiting.push(resolve));
      };
      const release = () => {
        const next = slots.waiting.shift();
        if (next) next();
        else slots.free++;
      };

      const handle = async (msg: JsMsg) => {
        // A consumer of several types reads its whole partition: an event its
        // subject says is of another type is acknowledged unread (most of what
        // such a consumer sees), without the cost of parsing and validating it.
        const type = msg.subject.split(".").at(-2);
        if (type !== undefined && isEventType(type) && !options.types.includes(type)) {
          msg.ack();
          return;
        }
        const parsed = parseEvent(msg.data);
        // term() without a reason: NATS 2.9 does not parse "+TERM <reason>" and
        // would leave the message pending until ack_wait ran out.
        if (!parsed.ok) {
          await deadLetter(options.name, msg, parsed.reason, parsed.id).catch((error: unknown) => log.error({ err: error }, "dead-letter publish failed"));
          msg.term();
          return;
        }
        if (!options.types.includes(parsed.event.type)) {
          msg.ack();
          return;
        }
        const attempt = msg.info.deliveryCount;
        // A handler still at work (or waiting for its turn) keeps its claim: JetStream would otherwise give the event to another instance after ack_wait.
        const working = setInterval(() => msg.working(), Math.max(100, ackWaitMs / 3));
        await turn();
        try {
          await options.handler(parsed.event, { attempt, lastAttempt: attempt >= max, trace: traceOf(msg.headers) });
          msg.ack();
        } catch (error) {
          if (attempt >= max) {
            await deadLetter(options.name, msg, `handler failed ${attempt} times: ${(error as Error).message}`, parsed.event.id).catch(() => {});
            msg.term();
          } else {
            log.warn({ consumer: options.name, eventId: parsed.event.id, attempt, err: error }, "event handler failed; redelivering");
            // The partition waits for this event (it stays the one in flight), so the aggregate's order holds.
            msg.nak(delay(attempt));
          }
        } finally {
          clearInterval(working);
          release();
        }
      };
      // Handlers run outside the async context of whoever called consume(): what a delivery belongs to comes with it (EventDelivery.trace).
      const loops = feeds.map((messages) =>
        context.with(ROOT_CONTEXT, async () => {
          for await (const msg of messages) await handle(msg);
        }),
      );
      const consumer: Consumer = {
        name: options.name,
        async lag() {
          const infos = await Promise.all(durables.map((durable) => jsm.consumers.info(streamName, durable)));
          return infos.reduce((sum, info) => sum + info.num_pending + info.num_ack_pending, 0);
        },
        async stop() {
          consumers.delete(consumer);
          await Promise.all(feeds.map((messages) => messages.close()));
          await Promise.all(loops);
        },
      };
      consumers.add(consumer);
      return consumer;
    },

    async listen(types: readonly EventType[], handler: LiveEventHandler, options: LiveListenOptions = {}): Promise<LiveListener> {
      if (types.length === 0) throw new Error("listen() needs at least one event type");
      // NATS 2.9 has one filter_subject per consumer: several types share the whole stream's feed and are filtered here.
      const filter = types.length === 1 ? `${subject(types[0]!)}.*` : `${namespace}events.>`;
      const { state } = await jsm.streams.info(streamName);
      const subscriber: LiveSubscriber = { types: [...types], handler, onError: options.onError, fromSeq: state.last_seq + 1 };
      let feed = feeds.get(filter);
      if (!feed) {
        feed = openFeed(filter, subscriber.fromSeq);
        feeds.set(filter, feed);
      }
      const joined = feed;
      joined.subscribers.add(subscriber);
      const leave = async () => {
        if (!joined.subscribers.delete(subscriber) || joined.subscribers.size > 0) return;
        // The last one out stops the feed; a listen() after this opens a new one.
        if (feeds.get(filter) === joined) feeds.delete(filter);
        await joined.stop();
      };
      try {
        await joined.ready;
      } catch (error) {
        await leave();
        throw error;
      }
      return { close: leave };
    },

    async close() {
      await Promise.all([...feeds.values()].map((feed) => feed.stop()));
      feeds.clear();
      await Promise.all([...consumers].map((c) => c.stop()));
      await nc.drain();
    },
    async ping() {
      // rtt() refuses at once when closed or disconnected; a server that stopped answering is caught by the timer.
      const start = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          nc.rtt(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`NATS did not answer a ping within ${pingTimeoutMs} ms`)), pingTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      return { latencyMs: performance.now() - start };
    },
    listenerCount: () => [...feeds.values()].reduce((count, feed) => count + feed.subscribers.size, 0),
    /** Removes this bus's streams (tests, with a namespace). */
    async deleteStreams() {
      await jsm.streams.delete(streamName).catch(() => {});
      await jsm.streams.delete(deadLetterStream).catch(() => {});
    },
  };
}
