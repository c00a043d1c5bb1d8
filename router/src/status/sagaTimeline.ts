import type { SpanStore, StoredSpan } from "@store/kit";
import type { SagaEvent, SagaHandler, SagaTimeline } from "./StatusData.ts";
import { round, stringAttribute } from "./slowOperations.ts";

/**
 * The status an order reaches with each event (ARCHITECTURE.md, the order
 * saga). OrderStatusChanged says it too, but its spans carry ids only, never
 * the payload: the event types are what the timeline reads.
 */
const STATUS_AFTER: Readonly<Record<string, string>> = {
  OrderPlaced: "PENDING",
  StockReserved: "AWAITING_PAYMENT",
  PaymentRequested: "AWAITING_PAYMENT",
  PaymentCaptured: "PAID",
  ShipmentDispatched: "SHIPPED",
  ShipmentDelivered: "DELIVERED",
  OrderCancelled: "CANCELLED",
};

const EVENT_SPAN = /^(publish|process|handle) (\w+)$/;

interface Delivery {
  process?: StoredSpan;
  handle?: StoredSpan;
}

interface Gathered {
  type: string;
  eventId: string | null;
  publish?: StoredSpan;
  deliveries: Map<string, Delivery>;
}

/**
 * An order's saga from the event spans kept (packages/events: `publish X`
 * by the relay, `process X` per delivery to a consumer, `handle X` for the
 * handler's transaction inside it), across every trace in the store: each
 * event with who published it and when, and each consumer's delivery with
 * its duration and outcome; oldest first.
 */
export function sagaTimeline(store: SpanStore, orderId: string): SagaTimeline {
  const spans = store.spans().filter((span) => EVENT_SPAN.test(span.name) && (span.attributes["store.order_id"] === orderId || span.attributes["store.event.aggregate_id"] === orderId));
  const processes = new Map(spans.filter((span) => span.name.startsWith("process ")).map((span) => [span.spanId, span]));
  const publishes = new Map(spans.filter((span) => span.name.startsWith("publish ")).map((span) => [span.spanId, span]));
  const events = new Map<string, Gathered>();

  // The event a span is about: its id when the span carries it; else the publish span it descends from.
  const keyOf = (span: StoredSpan, type: string): string => {
    const id = stringAttribute(span, "store.event.id") ?? stringAttribute(span, "messaging.message.id");
    if (id) return id;
    if (span.name.startsWith("publish ")) return `span:${span.spanId}`;
    const parent = span.parentSpanId ? (processes.get(span.parentSpanId) ?? publishes.get(span.parentSpanId)) : undefined;
    if (parent && parent !== span) return keyOf(parent, type);
    return `trace:${span.traceId}:${type}`;
  };

  for (const span of spans) {
    const [, step, type] = EVENT_SPAN.exec(span.name)!;
    const key = keyOf(span, type!);
    let event = events.get(key);
    if (!event) events.set(key, (event = { type: type!, eventId: key.includes(":") ? null : key, deliveries: new Map() }));
    if (step === "publish") {
      // A relay that published twice (a crash before marking the row) leaves two: the first counts.
      if (!event.publish || span.startMs < event.publish.startMs) event.publish = span;
    } else if (step === "process") {
      const delivery = event.deliveries.get(span.spanId);
      if (delivery) delivery.process = span;
      else event.deliveries.set(span.spanId, { process: span });
    } else {
      // The handle span is the process span's child; without it kept, a delivery of its own.
      const deliveryKey = span.parentSpanId && processes.has(span.parentSpanId) ? span.parentSpanId : `handle:${span.spanId}`;
      const delivery = event.deliveries.get(deliveryKey);
      if (delivery) delivery.handle = span;
      else event.deliveries.set(deliveryKey, { handle: span });
    }
  }

  const timeline: SagaEvent[] = [...events.values()].map((event) => {
    const handlers = [...event.deliveries.values()].map(handlerOf).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const first = event.publish ?? [...event.deliveries.values()].map((d) => (d.process ?? d.handle)!).sort((a, b) => a.startMs - b.startMs)[0]!;
    return {
      type: event.type,
      eventId: event.eventId,
      publishedBy: event.publish?.service ?? null,
      at: new Date(first.startMs).toISOString(),
      traceId: first.traceId,
      handlers,
    };
  });
  timeline.sort((a, b) => a.at.localeCompare(b.at));

  const statuses: SagaTimeline["statuses"] = [];
  for (const event of timeline) {
    const status = STATUS_AFTER[event.type];
    if (status && !statuses.some((s) => s.status === status)) statuses.push({ status, at: event.at, event: event.type });
  }
  return { orderId, statuses, events: timeline };
}

function handlerOf({ process, handle }: Delivery): SagaHandler {
  const outer = (process ?? handle)!;
  const failed = [process, handle].find((span) => span?.status === "error");
  const deadLettered = process?.events.some((event) => event.name === "store.event.dead_lettered");
  const recorded = handle ? stringAttribute(handle, "store.event.outcome") : null;
  return {
    consumer: stringAttribute(outer, "messaging.consumer.group.name") ?? outer.service,
    service: outer.service,
    startedAt: new Date(outer.startMs).toISOString(),
    durationMs: round(outer.durationMs),
    handlerMs: handle ? round(handle.durationMs) : null,
    outcome: deadLettered ? "dead-lettered" : failed ? "error" : (recorded ?? "ok"),
    ...(failed?.statusMessage ? { error: failed.statusMessage.slice(0, 300) } : {}),
  };
}
