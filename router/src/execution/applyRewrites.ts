import type { FetchDataRewrite } from "@apollo/query-planner";
import type { GraphQLSchema } from "../graphql.ts";
import { isObject, setOwn, type JsonObject } from "./jsonObject.ts";
import { isObjectOfType } from "./selectRequired.ts";

const FRAGMENT_PREFIX = "... on ";

/**
 * The planner's data rewrites: ValueSetter (e.g. the __typename an
 * @interfaceObject subgraph expects) and KeyRenamer (a field it aliased to
 * avoid a conflict). Paths are field names and `... on Type` conditions.
 */
export function applyRewrites(schema: GraphQLSchema, rewrites: readonly FetchDataRewrite[] | undefined, value: unknown): void {
  for (const rewrite of rewrites ?? []) {
    const field = rewrite.path.at(-1);
    if (field === undefined) continue;
    applyAtPath(schema, rewrite.path.slice(0, -1), value, (object) => {
      if (rewrite.kind === "ValueSetter") {
        setOwn(object, field, rewrite.setValueTo);
      } else if (Object.hasOwn(object, field) && object[field] !== undefined) {
        setOwn(object, rewrite.renameKeyTo, object[field]);
        delete object[field];
      }
    });
  }
}

function applyAtPath(schema: GraphQLSchema, path: readonly string[], value: unknown, apply: (object: JsonObject) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) applyAtPath(schema, path, item, apply);
    return;
  }
  if (!isObject(value)) return;
  const [first, ...rest] = path;
  if (first === undefined) return apply(value);
  if (first.startsWith(FRAGMENT_PREFIX)) {
    if (isObjectOfType(schema, value, first.slice(FRAGMENT_PREFIX.length), true)) applyAtPath(schema, rest, value, apply);
  } else if (Object.hasOwn(value, first)) {
    applyAtPath(schema, rest, value[first], apply);
  }
}
