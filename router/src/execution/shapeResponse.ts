import { ERRORS } from "@store/kit";
import {
  execute,
  getNamedType,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  valueFromAST,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "../graphql.ts";

type JsonObject = Record<string, unknown>;
type Variables = Readonly<Record<string, unknown>>;

/** `@skip` / `@include` on a selection, decided per request from the variables. */
type Condition = (variables: Variables) => boolean;

/** A field's type, unwrapped once at compile time: no graphql-js type checks run per request. */
type Shape =
  | { kind: "nonNull"; of: Shape; type: GraphQLOutputType }
  | { kind: "list"; of: Shape; type: GraphQLOutputType }
  | { kind: "composite"; type: GraphQLCompositeType; selections: Selection[] }
  | { kind: "leaf"; type: GraphQLOutputType; valid: (value: unknown) => boolean };

type Selection =
  | { kind: "field"; key: string; inherited: boolean; shape: Shape; skip: Condition | undefined }
  | { kind: "typename"; key: string; inherited: boolean; skip: Condition | undefined }
  | { kind: "introspection"; key: string; inherited: boolean; document: DocumentNode; skip: Condition | undefined }
  | {
      kind: "fragment";
      typeCondition: GraphQLCompositeType | undefined;
      abstract: boolean;
      selections: Selection[];
      skip: Condition | undefined;
      /**
       * A named fragment spread more than once in the document: its
       * selections (compiled once, shared by every spread) are applied to an
       * object at most once per response. Applying them again would change
       * nothing, and nested spreads (`F1 { ...F0 ...F0 }` up to F21) would
       * otherwise cost 2^21 passes over one object.
       */
      once: boolean;
    };

export interface ShapedResponse {
  data: JsonObject | null;
  /** Value-completion errors (a missing non-null field, an invalid leaf value). */
  errors: GraphQLError[];
}

/** Turns the data merged from every fetch into the client's response, for one operation. */
export interface ResponseShaper {
  shape(input: JsonObject, variables: Variables): ShapedResponse;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Compiles the response shaping of one operation, with the semantics of
 * `@apollo/gateway`'s post-processing (`computeResponse`): only the fields the
 * client selected, under its aliases, in its order; `__typename` answered from
 * the data or the parent type; type conditions decided by the entity's
 * `__typename`; a missing or null non-null field nulls its nearest nullable
 * parent with an error; a leaf value of the wrong type becomes null with an
 * error; introspection fields answered from the API schema. Everything that
 * depends only on the document (field types, fragments, directives) is
 * resolved once here, not per request.
 */
export function compileShaper(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): ResponseShaper {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    else if (definition.kind === Kind.OPERATION_DEFINITION && (operationName === undefined ? !operation : definition.name?.value === operationName)) operation = definition;
  }
  if (!operation) throw new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : "No operation found in the document.");
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new GraphQLError(`The schema has no ${operation.operation} type.`);

  const defaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (!definition.defaultValue) continue;
    const typeName = definition.type.kind === Kind.NON_NULL_TYPE ? definition.type.type : definition.type;
    const type = typeName.kind === Kind.NAMED_TYPE ? schema.getType(typeName.name.value) : undefined;
    defaults[definition.variable.name.value] = type && (isScalarType(type) || isEnumType(type)) ? valueFromAST(definition.defaultValue, type) : undefined;
  }
  const hasDefaults = Object.keys(defaults).length > 0;
  const variableDefinitions = operation.variableDefinitions ?? [];

  const condition = (directives: readonly DirectiveNode[] | undefined): Condition | undefined => {
    const checks: Condition[] = [];
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== "skip" && name !== "include") continue;
      const argument = directive.arguments?.find((a) => a.name.value === "if")?.value;
      if (!argument) continue;
      const wanted = name === "include";
      if (argument.kind === Kind.BOOLEAN) {
        if (argument.value !== wanted) checks.push(() => true);
      } else if (argument.kind === Kind.VARIABLE) {
        const variable = argument.name.value;
        checks.push((variables) => variables[variable] !== wanted);
      }
    }
    if (checks.length === 0) return undefined;
    return (variables) => checks.some((check) => check(variables));
  };

  // How often each named fragment is spread in the document; each is compiled once.
  const spreads = new Map<string, number>();
  const countSpreads = (selectionSet: SelectionSetNode): void => {
    for (const node of selectionSet.selections) {
      if (node.kind === Kind.FRAGMENT_SPREAD) spreads.set(node.name.value, (spreads.get(node.name.value) ?? 0) + 1);
      else if (node.selectionSet) countSpreads(node.selectionSet);
    }
  };
  countSpreads(operation.selectionSet);
  for (const fragment of fragments.values()) countSpreads(fragment.selectionSet);
  const compiledFragments = new Map<string, Selection[]>();

  const compile = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): Selection[] => {
    const out: Selection[] = [];
    for (const node of selectionSet.selections) {
      if (node.kind === Kind.FIELD) {
        const key = node.alias?.value ?? node.name.value;
        const skip = condition(node.directives);
        const name = node.name.value;
        if (name === "__typename") {
          out.push({ kind: "typename", key, inherited: key in Object.prototype, skip });
        } else if (name === "__schema" || name === "__type") {
          out.push({ kind: "introspection", key, inherited: key in Object.prototype, skip, document: introspectionDocument(node, variableDefinitions, fragments) });
        } else {
          const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
          if (!field) throw new GraphQLError(`Cannot query field "${name}" on type "${parentType.name}".`);
          const named = getNamedType(field.type);
          const selections = node.selectionSet && isCompositeType(named) ? compile(node.selectionSet, named) : undefined;
          out.push({ kind: "field", key, inherited: key in Object.prototype, skip, shape: shapeOf(field.type, selections) });
        }
      } else {
        const fragment = node.kind === Kind.INLINE_FRAGMENT ? node : fragments.get(node.name.value);
        if (!fragment) throw new GraphQLError(`Unknown fragment "${node.kind === Kind.FRAGMENT_SPREAD ? node.name.value : ""}".`);
        const typeCondition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (typeCondition !== undefined && !isCompositeType(typeCondition)) throw new GraphQLError(`Fragment cannot condition on non composite type "${typeCondition.name}".`);
        const abstract = typeCondition !== undefined && isAbstractType(typeCondition);
        const skip = condition(node.directives);
        if (node.kind === Kind.INLINE_FRAGMENT) {
          out.push({ kind: "fragment", typeCondition, abstract, skip, selections: compile(fragment.selectionSet, typeCondition ?? parentType), once: false });
          continue;
        }
        // A named fragment always has a type condition: its compiled selections do not depend on where it is spread.
        const name = node.name.value;
        let selections = compiledFragments.get(name);
        if (!selections) {
          selections = compile(fragment.selectionSet, typeCondition ?? parentType);
          compiledFragments.set(name, selections);
        }
        out.push({ kind: "fragment", typeCondition, abstract, skip, selections, once: (spreads.get(name) ?? 0) > 1 });
      }
    }
    return out;
  };

  const selections = compile(operation.selectionSet, rootType);
  const types = typeTable(schema);

  return {
    shape(input, clientVariables) {
      const state: ShapeState = { schema, types, variables: hasDefaults ? { ...defaults, ...clientVariables } : clientVariables, errors: [], applied: undefined };
      const data: JsonObject = {};
      const bubbled = applySelections(input, selections, data, state, [], rootType);
      return { data: bubbled ? null : data, errors: state.errors };
    },
  };
}

/** What the shaper needs to know of a type named by a `__typename`, looked up without graphql-js's type checks. */
interface TypeFacts {
  readonly type: GraphQLNamedType;
  readonly object: boolean;
  readonly composite: boolean;
  /** Object or interface: a type an abstract type condition can contain. */
  readonly implementor: boolean;
}

const typeTables = new WeakMap<GraphQLSchema, ReadonlyMap<string, TypeFacts>>();

function typeTable(schema: GraphQLSchema): ReadonlyMap<string, TypeFacts> {
  let table = typeTables.get(schema);
  if (!table) {
    const facts = new Map<string, TypeFacts>();
    for (const type of Object.values(schema.getTypeMap())) {
      const object = isObjectType(type);
      facts.set(type.name, { type, object, composite: isCompositeType(type), implementor: object || isInterfaceType(type) });
    }
    table = facts;
    typeTables.set(schema, table);
  }
  return table;
}

function shapeOf(type: GraphQLOutputType, selections: Selection[] | undefined): Shape {
  if (isNonNullType(type)) return { kind: "nonNull", of: shapeOf(type.ofType, selections), type };
  if (isListType(type)) return { kind: "list", of: shapeOf(type.ofType, selections), type };
  if (isCompositeType(type)) {
    if (!selections) throw new GraphQLError(`Field of type "${type.name}" must have a selection of subfields.`);
    return { kind: "composite", type, selections };
  }
  return { kind: "leaf", type, valid: leafCheck(type) };
}

interface ShapeState {
  readonly schema: GraphQLSchema;
  readonly types: ReadonlyMap<string, TypeFacts>;
  readonly variables: Variables;
  readonly errors: GraphQLError[];
  /** Shared fragment selections already applied, per output object (made on first use). */
  applied: WeakMap<JsonObject, Set<Selection[]>> | undefined;
}

/** A one-field query for an introspection field, run against the API schema when a response needs it. */
function introspectionDocument(field: FieldNode, variableDefinitions: OperationDefinitionNode["variableDefinitions"], fragments: ReadonlyMap<string, FragmentDefinitionNode>): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      { kind: Kind.OPERATION_DEFINITION, operation: "query" as OperationDefinitionNode["operation"], variableDefinitions, selectionSet: { kind: Kind.SELECTION_SET, selections: [field] } },
      ...fragments.values(),
    ],
  };
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
function applySelections(input: JsonObject, selections: readonly Selection[], output: JsonObject, state: ShapeState, path: (string | number)[], parentType: GraphQLNamedType): boolean {
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
        path.push(key);
        const result = updateOutputValue(read(output, key, inherited), selection.shape, read(input, key, inherited) ?? null, path, state, parentType);
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

/** Federation's leaf check, per type: custom scalars accept anything; built-ins and enums must fit their type. */
function leafCheck(type: GraphQLOutputType): (value: unknown) => boolean {
  if (isEnumType(type)) return (value) => typeof value === "string" && type.getValue(value) !== undefined;
  const name = isScalarType(type) ? type.name : "";
  switch (name) {
    case "Boolean":
      return (value) => typeof value === "boolean";
    case "Int":
    case "ID":
      return (value) => (typeof value === "number" && Number.isFinite(value) ? INTEGER.test(String(value)) : name === "ID" && typeof value === "string");
    case "Float":
      return (value) => typeof value === "number" && Number.isFinite(value);
    case "String":
      return (value) => typeof value === "string";
    default:
      return () => true;
  }
}
