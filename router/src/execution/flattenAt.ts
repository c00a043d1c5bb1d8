import type { EntityAt, ResponsePath } from "./executePlanNode.ts";
import { isObject, type JsonObject } from "./jsonObject.ts";

/** One step of a walk through the response: the value reached and how (its path is built only if an error needs it). */
interface Step {
  readonly value: unknown;
  readonly parent: Step | EntityAt;
  readonly key: string | number;
}

/** An entity found by `flattenAt`; its response path is materialized on first read (only errors read it). */
class FoundEntity implements EntityAt {
  private resolved: ResponsePath | undefined;
  constructor(
    readonly value: JsonObject,
    private readonly step: Step,
  ) {}
  get path(): ResponsePath {
    if (!this.resolved) {
      const keys: (string | number)[] = [];
      let at: Step | EntityAt = this.step;
      while ("key" in at && "parent" in at) {
        keys.push(at.key);
        at = at.parent;
      }
      this.resolved = [...at.path, ...keys.reverse()];
    }
    return this.resolved;
  }
}

/** The objects at `path` below each entity, each with its own response path; null and missing values are skipped. */
export function flattenAt(entities: readonly EntityAt[], path: readonly (string | number)[]): EntityAt[] {
  if (path.length === 0) return [...entities];
  let current: (Step | EntityAt)[] = [...entities];
  for (const key of path) {
    const next: Step[] = [];
    const visit = (value: unknown, from: Step | EntityAt) => {
      if (value === null || value === undefined) return;
      if (key === "@") {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const item: unknown = value[i];
            if (item !== null && item !== undefined) next.push({ value: item, parent: from, key: i });
          }
        }
        return;
      }
      // The planner marks every list level with "@"; an array here is a
      // subgraph answering a list where the schema has an object, so walk it
      // rather than fail the whole request.
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) visit(value[i], { value: value[i], parent: from, key: i });
        return;
      }
      if (isObject(value) && Object.hasOwn(value, key)) next.push({ value: value[key], parent: from, key });
    };
    for (const entry of current) visit(entry.value, entry);
    current = next;
  }
  // An object shared by several places (one entity answer merged into each
  // of them) is visited once, at the first of its places.
  const seen = new Set<unknown>();
  const found: EntityAt[] = [];
  for (const step of current as Step[]) {
    if (!isObject(step.value) || seen.has(step.value)) continue;
    seen.add(step.value);
    found.push(new FoundEntity(step.value, step));
  }
  return found;
}
