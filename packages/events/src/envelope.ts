import { randomUUID } from "node:crypto";
import { z } from "zod";
import { eventCatalogue, isEventType, type EventPayload, type EventType } from "./catalogue.ts";
import { activeTraceContext, traceContextOf } from "./tracing.ts";

/** The envelope every event travels in (ARCHITECTURE.md, Events). */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  occurredAt: string;
  source: string;
  aggregateId: string;
  /** Same for every event of one business flow (an order's saga). */
  correlationId: string;
  /** The event that caused this one; its own id for the first of a flow. */
  causationId: string;
  payload: EventPayload<T>;
  /**
   * W3C trace context of the span that wrote the event (its transaction),
   * when tracing was on: the relay's publish, each consumer's handling and
   * the events a handler emits join that trace. Absent with tracing off and
   * in envelopes written before it existed; a malformed one is dropped on
   * parse, never a reason to refuse the event.
   */
  traceparent?: string;
  tracestate?: string;
}

export type AnyEventEnvelope = { [T in EventType]: EventEnvelope<T> }[EventType];

export interface EventMeta {
  aggregateId: string;
  /** The event this one reacts to: carries its correlation id forward. */
  causedBy?: Pick<EventEnvelope, "id" | "correlationId">;
}

export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
  readonly code = "INVALID_EVENT";
}

/** Builds a validated envelope. Throws InvalidEventError for a payload that does not match the catalogue. */
export function createEvent<T extends EventType>(type: T, payload: EventPayload<T>, meta: EventMeta): EventEnvelope<T> {
  const definition = eventCatalogue[type];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) throw new InvalidEventError(`${type} payload is invalid: ${z.prettifyError(parsed.error)}`);
  const id = randomUUID();
  return {
    id,
    type,
    version: definition.version,
    occurredAt: new Date().toISOString(),
    source: definition.source,
    aggregateId: meta.aggregateId,
    correlationId: meta.causedBy?.correlationId ?? id,
    causationId: meta.causedBy?.id ?? id,
    payload: parsed.data as EventPayload<T>,
    ...activeTraceContext(),
  };
}

const envelopeShape = z.object({
  id: z.uuid(),
  type: z.string(),
  version: z.number().int().min(1),
  occurredAt: z.iso.datetime(),
  source: z.string().min(1),
  aggregateId: z.string().min(1),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  payload: z.unknown(),
  // Checked apart (traceContextOf): a bad trace context loses only itself.
  traceparent: z.unknown().optional(),
  tracestate: z.unknown().optional(),
});

export type ParsedEvent = { ok: true; event: AnyEventEnvelope } | { ok: false; reason: string; id?: string; type?: string };

/** Parses bytes from the wire into a validated envelope, or says exactly why not. */
export function parseEvent(data: Uint8Array | string): ParsedEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const envelope = envelopeShape.safeParse(raw);
  if (!envelope.success) return { ok: false, reason: `bad envelope: ${z.prettifyError(envelope.error)}` };
  const { traceparent, tracestate, ...fields } = envelope.data;
  const { type, version, id } = fields;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type ${type}`, id, type };
  const definition = eventCatalogue[type];
  if (version !== definition.version) return { ok: false, reason: `unsupported ${type} version ${version} (expected ${definition.version})`, id, type };
  const payload = definition.payload.safeParse(envelope.data.payload);
  if (!payload.success) return { ok: false, reason: `bad ${type} payload: ${z.prettifyError(payload.error)}`, id, type };
  return { ok: true, event: { ...fields, type, payload: payload.data, ...traceContextOf({ traceparent, tracestate }) } as AnyEventEnvelope };
}

export function serializeEvent(event: EventEnvelope): string {
  return JSON.stringify(event);
}
