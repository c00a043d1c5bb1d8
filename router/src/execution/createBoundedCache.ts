import { LRUCache } from "lru-cache";

export interface BoundedCacheOptions<V> {
  /** Entries kept at most. */
  max: number;
  /** Approximate bytes kept at most, as `sizeOf` counts them. */
  maxBytes: number;
  /** Approximate bytes one entry holds (its key included); entries larger than `maxBytes` are not kept. */
  sizeOf(key: string, value: V): number;
}

/**
 * A cache bounded by count and by bytes that forgets the least recently used
 * entry first (lru-cache). The router keeps parsed documents, validation
 * results and plans per document text; a client can send a megabyte of text
 * per request, so a count alone would not bound memory.
 */
export function createBoundedCache<V extends object>({ max, maxBytes, sizeOf }: BoundedCacheOptions<V>): LRUCache<string, V> {
  return new LRUCache<string, V>({ max, maxSize: maxBytes, maxEntrySize: maxBytes, sizeCalculation: (value, key) => Math.max(1, Math.ceil(sizeOf(key, value))) });
}

/** Rough bytes a parsed document (or a plan made from it) holds per character of its text: measured, not exact. */
export const BYTES_PER_DOCUMENT_CHAR = 24;
