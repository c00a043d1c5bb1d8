import { getResponseName, type QueryPlanSelectionNode } from "@apollo/query-planner";
import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from "../graphql.ts";
import { deepMerge } from "./deepMerge.ts";
import { isObject, setOwn, type JsonObject } from "./jsonObject.ts";

/**
 * The fields a fetch `requires` (keys, @requires fields, __typename), picked
 * from an entity. Any required field missing means the entity cannot be
 * represented (an earlier fetch failed): it is skipped, not sent half-built.
 */
export function selectRequired(schema: GraphQLSchema, source: unknown, selections: readonly QueryPlanSelectionNode[]): JsonObject | null {
  if (!isObject(source)) return null;
  const result: JsonObject = {};
  for (const selection of selections) {
    if (selection.kind === "Field") {
      const name = getResponseName(selection);
      if (!Object.hasOwn(source, name) || source[name] === undefined) return null;
      const value = source[name];
      setOwn(result, name, selection.selections ? selectValue(schema, value, selection.selections) : value);
    } else if (selection.typeCondition && isObjectOfType(schema, source, selection.typeCondition)) {
      const fragment = selectRequired(schema, source, selection.selections);
      if (fragment) deepMerge(result, fragment);
    }
  }
  return result;
}

function selectValue(schema: GraphQLSchema, value: unknown, selections: readonly QueryPlanSelectionNode[]): unknown {
  if (Array.isArray(value)) return value.map((item) => selectValue(schema, item, selections));
  return value === null ? null : selectRequired(schema, value, selections);
}

/** True when `value.__typename` is `typeCondition` or one of its possible types. */
export function isObjectOfType(schema: GraphQLSchema, value: JsonObject, typeCondition: string, whenUnknown = false): boolean {
  const typename = value.__typename;
  if (typeof typename !== "string") return whenUnknown;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}
