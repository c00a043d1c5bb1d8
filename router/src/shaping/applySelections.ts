import { ERRORS } from "@store/kit";
import { execute, GraphQLError, type DocumentNode, type GraphQLNamedType, type GraphQLOutputType, type GraphQLSchema } from "../graphql.ts";
import type { Selection, Shape, TypeFacts, Variables } from "./compileShaper.ts";

type JsonObject = Record<string, unknown>;

/** One response being shaped: what the compiled selections are applied with. */
export interface ShapeState {
  readonly schema: GraphQLSchema;
  readonly types: ReadonlyMap<string, TypeFacts>;
  readonly variables: Variables;
  readonly errors: GraphQLError[];
  /** Errors of fields the plan cannot resolve: for `errors`, not value completion. */
  readonly fieldErrors: GraphQLError[];
  /** Shared fragment selections already applied, per output object (made on first use). */
  applied: WeakMap<JsonObject, Set<Selection[]>> | undefined;
}

function runIntrospection(state: ShapeState, selection: Extract<Selection, { kind: "introspection" }>): unknown {
  const result = execute({ schema: state.schema, document: selection.document, variableValues: state.variables }) as { data?: JsonObject | null };
  return result.data?.[selection.key] ?? null;
}

function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

// Output objects are plain `{}` (fast properties, fast JSON.stringify), not
// Object.create(null): a response key that Object.prototype also has
// ("constructor", "__proto__") is read and written as an own property, the
// others directly. Which keys those are is known when the shaper is compiled.
function read(object: JsonObject, key: string, inherited: boolean): unknown {
  return inherited ? own(object, key) : object[key];
}

function write(object: JsonObject, key: string, inherited: boolean, value: unknown): void {
  if (inherited) Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

/** Returns true when the object must become null (a non-null field below it is null). */
export function applySelections(input: JsonObject, selections: readonly Selection[], output: JsonObject, state: ShapeState, path: (string | number)[], parentType: GraphQLNamedType): boolean {
  for (const selection of selections) {
    if (selection.skip?.(state.variables)) continue;
    switch (selection.kind) {
      case "typename": {
        const { key, inherited } = selection;
        if (read(output, key, inherited) !== undefined) continue;
        let value = read(input, key, inherited) ?? null;
        if (value === null && key !== "__typename") value = input.__typename ?? null;
        const facts = typeof value === "string" ? state.types.get(value) : undefined;
        const type = facts?.type ?? parentType;
        if (!(facts ? facts.object : state.types.get(parentType.name)?.object)) return true;
        write(output, key, inherited, type.name);
        continue;
      }
      case "introspection":
        if (read(output, selection.key, selection.inherited) === undefined) write(output, selection.key, selection.inherited, runIntrospection(state, selection));
        continue;
      case "field": {
        const { key, inherited } = selection;
        if (selection.unresolvable) {
          if (unresolvedField(selection, output, state, path)) return true;
          continue;
        }
        path.push(key);
        const result = updateOutputValue(read(output, key, inherited), selection.shape, read(input, selection.from, inherited) ?? null, path, state, parentType);
        write(output, key, inherited, result.updated);
        path.pop();
        if (result.invalid) return true;
        continue;
      }
      case "fragment": {
        const typename = input.__typename;
        if (typename !== undefined && typeof typename !== "string") throw new GraphQLError(`Got unexpected value for __typename: ${String(typename)}`);
        if (!typeConditionApplies(state, selection, typename, parentType)) continue;
        if (selection.once) {
          state.applied ??= new WeakMap();
          let applied = state.applied.get(output);
          if (!applied) state.applied.set(output, (applied = new Set()));
          if (applied.has(selection.selections)) continue;
          applied.add(selection.selections);
        }
        if (applySelections(input, selection.selections, output, state, path, selection.typeCondition ?? parentType)) return true;
        continue;
      }
    }
  }
  return false;
}

/**
 * A field no fetch of the plan resolves: null, with its error once per place
 * (a field selected twice is one place); true when it is non-null, so that
 * the null propagates to the nearest nullable parent, as the spec says.
 */
function unresolvedField(selection: Extract<Selection, { kind: "field" }>, output: JsonObject, state: ShapeState, path: (string | number)[]): boolean {
  const { key, inherited } = selection;
  if (read(output, key, inherited) === undefined) {
    const error = selection.unresolvable!;
    state.fieldErrors.push(new GraphQLError(error.message, { path: [...path, key], extensions: error.extensions }));
    write(output, key, inherited, null);
  }
  return selection.shape.kind === "nonNull";
}

function typeConditionApplies(state: ShapeState, fragment: Extract<Selection, { kind: "fragment" }>, typename: string | undefined, parentType: GraphQLNamedType): boolean {
  const condition = fragment.typeCondition;
  if (!condition) return true;
  const facts = state.types.get(typename ?? parentType.name);
  if (!facts) return false;
  if (facts.type === condition) return true;
  return fragment.abstract && facts.implementor && state.schema.isSubType(condition as Parameters<GraphQLSchema["isSubType"]>[0], facts.type as Parameters<GraphQLSchema["isSubType"]>[1]);
}

function describeLast(path: readonly (string | number)[], type: GraphQLOutputType, parentType: GraphQLNamedType): string {
  const last = path[path.length - 1];
  return typeof last === "string" ? `field ${parentType.name}.${last}` : `array element of type ${String(type)} at index ${String(last)}`;
}

function invalidGraphQL(message: string, path: readonly (string | number)[]): GraphQLError {
  return ERRORS.INVALID_GRAPHQL.err(message, { path: [...path] });
}

interface Updated {
  updated: unknown;
  invalid?: boolean;
  hasErrors?: boolean;
}

function updateOutputValue(outputValue: unknown, shape: Shape, inputValue: unknown, path: (string | number)[], state: ShapeState, parentType: GraphQLNamedType): Updated {
  // A field selected twice: its value is already there (a leaf), or its second selection merges into it.
  if (outputValue === null || (outputValue !== undefined && leafBelow(shape))) return { updated: outputValue };

  switch (shape.kind) {
    case "nonNull": {
      const inner = updateOutputValue(outputValue, shape.of, inputValue, path, state, parentType);
      if (inner.updated === null) {
        if (!inner.hasErrors) state.errors.push(invalidGraphQL(`Cannot return null for non-nullable ${describeLast(path, shape.of.type, parentType)}.`, path));
        return { updated: null, invalid: true, hasErrors: true };
      }
      return { updated: inner.updated };
    }
    case "list": {
      if (inputValue === null) return { updated: null };
      if (!Array.isArray(inputValue)) throw new GraphQLError(`Invalid non-list value ${String(inputValue)} returned by subgraph for list type ${String(shape.type)}`);
      if (outputValue !== undefined && (!Array.isArray(outputValue) || outputValue.length !== inputValue.length)) throw new GraphQLError(`Invalid value returned by subgraph for list type ${String(shape.type)}`);
      const existing = outputValue as unknown[] | undefined;
      const updated = new Array<unknown>(inputValue.length);
      let nullify = false;
      let hasErrors = false;
      for (let i = 0; i < inputValue.length; i++) {
        path.push(i);
        const element = updateOutputValue(existing?.[i], shape.of, inputValue[i] ?? null, path, state, parentType);
        path.pop();
        if (element.invalid) nullify = true;
        if (element.hasErrors) hasErrors = true;
        updated[i] = element.updated;
      }
      return { updated: nullify ? null : updated, hasErrors };
    }
    case "composite": {
      if (inputValue === null) return { updated: null };
      if (typeof inputValue !== "object" || Array.isArray(inputValue)) throw new GraphQLError(`Invalid non-object value ${String(inputValue)} returned by subgraph for composite type ${shape.type.name}`);
      const input = inputValue as JsonObject;
      const typename = input.__typename;
      if (typename !== undefined && typeof typename !== "string") throw new GraphQLError(`Invalid non-string value ${String(typename)} for __typename at ${path.join(".")}`);
      let objectType: GraphQLNamedType = shape.type;
      if (typename) {
        const facts = state.types.get(typename);
        if (!facts?.composite) {
          state.errors.push(invalidGraphQL(`Invalid __typename found for object at ${describeLast(path, shape.type, parentType)}.`, path));
          return { updated: null, hasErrors: true };
        }
        objectType = facts.type;
      }
      const output = outputValue === undefined ? {} : (outputValue as JsonObject);
      const bubbled = applySelections(input, shape.selections, output, state, path, objectType);
      return { updated: bubbled ? null : output, hasErrors: bubbled };
    }
    case "leaf": {
      if (inputValue === null) return { updated: null };
      const valid = shape.valid(inputValue);
      if (!valid) state.errors.push(invalidGraphQL(`Invalid value found for ${describeLast(path, shape.type, parentType)}.`, path));
      return { updated: valid ? inputValue : null, hasErrors: !valid };
    }
  }
}

/** True when the shape holds only leaves (a list of scalars): an existing output value is kept as is. */
function leafBelow(shape: Shape): boolean {
  return shape.kind === "leaf" || ((shape.kind === "nonNull" || shape.kind === "list") && leafBelow(shape.of));
}

