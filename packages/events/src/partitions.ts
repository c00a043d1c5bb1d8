/**
 * Events are published to one of N partitions by their aggregate id, so that
 * a consumer can work on N events at once and still see each aggregate's
 * events (an order's, a product's) one at a time, in the order they were
 * published. Publishers and consumers must agree on N: the NATS bus records
 * it on the stream and refuses to start with another.
 */

import { subjectOf, type EventType } from "./catalogue.ts";

/** Partitions per event stream unless EVENTS_PARTITIONS says otherwise. */
export const DEFAULT_PARTITIONS = 16;
export const MAX_PARTITIONS = 256;

/**
 * The partition of an aggregate: FNV-1a (32 bits) of its id's UTF-8 bytes,
 * modulo the count. A fixed, documented hash (not the runtime's), so any
 * publisher, in any language, puts an aggregate where consumers expect it.
 */
export function partitionOf(aggregateId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(aggregateId, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** Throws unless `count` is a whole number of partitions the bus supports. */
export function checkPartitionCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) throw new RangeError(`partitions must be a whole number from 1 to ${MAX_PARTITIONS}, not ${count}`);
  return count;
}

/** The subject an event of `type` about `aggregateId` is published on (before any namespace): `events.<source>.<Type>.<partition>`. */
export function eventSubject(type: EventType, aggregateId: string, partitions = DEFAULT_PARTITIONS): string {
  return `${subjectOf(type)}.${partitionOf(aggregateId, partitions)}`;
}
