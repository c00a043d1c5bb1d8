import { randomBytes, randomUUID } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";
import { silentLogger, type StoredSpan } from "@store/kit";
import { expect } from "vitest";
import { createEvent, createInProcessBus, createNatsBus, eventSubject, streamNames, subjectOf, type EventBus, type EventEnvelope, type EventType } from "../src/index.ts";

/** The machine's NATS with JetStream (CI has one); each harness gets its own namespace, deleted after. */
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

export const customerId = "0b3c9d2e-7a41-4d0f-8f7e-112233445566";
export const productId = "5a0c2f9e-1b2d-4e3f-8a9b-0c1d2e3f4a5b";
/** In every OrderPlaced: no span may ever record it. */
export const PAYMENT_TOKEN = "tok_never_in_a_span_5d41402abc";

export function orderPlaced(orderId: string = randomUUID()) {
  return createEvent(
    "OrderPlaced",
    { orderId, customerId, cartId: null, lines: [{ productId, quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: "EUR", paymentToken: PAYMENT_TOKEN },
    { aggregateId: orderId },
  );
}

export function stockReserved(cause: EventEnvelope<"OrderPlaced">) {
  const lines = cause.payload.lines.map(({ productId, quantity }) => ({ productId, quantity }));
  return createEvent("StockReserved", { orderId: cause.payload.orderId, lines }, { aggregateId: cause.aggregateId, causedBy: cause });
}

/** A bus, and what a test needs to look at beside it. */
export interface BusHarness {
  bus: EventBus;
  deadLetters(): Promise<number>;
  /** Publishes an envelope as it is (any field, malformed or not), with a raw `traceparent` header where the transport has headers. */
  sendRaw(envelope: EventEnvelope, traceparentHeader?: string): Promise<void>;
  /** NATS only: the trace headers of the last message of this type as the stream stores it. */
  storedHeaders?(type: EventType): Promise<{ traceparent: string; tracestate: string }>;
  dispose(): Promise<void>;
}

export async function natsHarness(): Promise<BusHarness> {
  const namespace = `t${randomBytes(4).toString("hex")}.`;
  const bus = await createNatsBus({ url: NATS_URL, name: "tracing-test", logger: silentLogger, namespace, delay: () => 50 });
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const streams = streamNames(namespace);
  return {
    bus,
    deadLetters: async () => (await jsm.streams.info(streams.deadLetter)).state.messages,
    async sendRaw(envelope, traceparentHeader) {
      const h = headers();
      if (traceparentHeader !== undefined) h.set("traceparent", traceparentHeader);
      await js.publish(`${namespace}${eventSubject(envelope.type, envelope.aggregateId)}`, JSON.stringify(envelope), { msgID: envelope.id, headers: h });
    },
    async storedHeaders(type) {
      // The newest message of this type, whatever its partition: the test streams hold a handful.
      const prefix = `${namespace}${subjectOf(type)}.`;
      for (let seq = (await jsm.streams.info(streams.events)).state.last_seq; seq > 0; seq--) {
        const msg = await jsm.streams.getMessage(streams.events, { seq }).catch(() => null);
        if (msg?.subject.startsWith(prefix)) return { traceparent: msg.header?.get("traceparent") ?? "", tracestate: msg.header?.get("tracestate") ?? "" };
      }
      throw new Error(`no ${type} message in ${streams.events}`);
    },
    async dispose() {
      await bus.deleteStreams();
      await bus.close();
      await nc.close();
    },
  };
}

export async function inProcessHarness(): Promise<BusHarness> {
  const bus = createInProcessBus({ logger: silentLogger, delay: () => 10 });
  return {
    bus,
    deadLetters: async () => bus.deadLetters.length,
    // Nothing beside the envelope to carry a header: the in-process bus's transport context is the publisher's span.
    sendRaw: (envelope) => bus.publish(envelope),
    dispose: () => bus.close(),
  };
}

/** `00-<trace>-<span>-01`: the traceparent naming a sampled span. */
export const traceparentOf = (span: { traceId: string; spanId: string }) => `00-${span.traceId}-${span.spanId}-01`;

/** The one span named `name` among `spans` (fails when there are none or several). */
export function only(spans: readonly StoredSpan[], name: string, where: (span: StoredSpan) => boolean = () => true): StoredSpan {
  const found = spans.filter((span) => span.name === name && where(span));
  expect(found.map((span) => span.name), `spans named ${name}`).toEqual([name]);
  return found[0]!;
}
