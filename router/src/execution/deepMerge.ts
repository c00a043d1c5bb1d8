import { isObject, setOwn, type JsonObject } from "./jsonObject.ts";

/**
 * Merges `source` into `target` in place: objects field by field, lists of
 * the same length item by item (two fetches that resolved the same list),
 * anything else replaced.
 */
export function deepMerge(target: JsonObject, source: unknown): void {
  if (!isObject(source)) return;
  for (const key of Object.keys(source)) {
    const incoming = source[key];
    if (incoming === undefined) continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isObject(existing) && isObject(incoming)) deepMerge(existing, incoming);
    else if (Array.isArray(existing) && Array.isArray(incoming) && existing.length === incoming.length) mergeLists(existing, incoming);
    else setOwn(target, key, incoming);
  }
}

function mergeLists(target: unknown[], source: readonly unknown[]): void {
  source.forEach((incoming, i) => {
    const existing = target[i];
    if (isObject(existing) && isObject(incoming)) deepMerge(existing, incoming);
    else if (Array.isArray(existing) && Array.isArray(incoming) && existing.length === incoming.length) mergeLists(existing, incoming);
    else target[i] = incoming;
  });
}
