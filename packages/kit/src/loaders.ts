import DataLoader from "dataloader";
import { throwIfRequestAborted } from "./requestSignal.ts";

/**
 * A per-request loader that batches every key asked for in one tick into one
 * call, and hands results back in the order of the keys (null for a miss).
 * This is what keeps `_entities` at one SQL query per type however many
 * representations arrive. A batch whose request the router has given up on
 * (deadline, disconnect) is not run.
 */
export function createBatchLoader<K extends string, V>(
  load: (keys: readonly K[]) => Promise<readonly V[]>,
  keyOf: (value: V) => K,
): DataLoader<K, V | null> {
  return new DataLoader<K, V | null>(async (keys) => {
    throwIfRequestAborted();
    const rows = await load(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row] as const));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Like createBatchLoader, for one-to-many: every key gets the (possibly empty) list of its rows. */
export function createGroupLoader<K extends string, V>(
  load: (keys: readonly K[]) => Promise<readonly V[]>,
  keyOf: (value: V) => K,
): DataLoader<K, V[]> {
  return new DataLoader<K, V[]>(async (keys) => {
    throwIfRequestAborted();
    const rows = await load(keys);
    const groups = new Map<K, V[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}
