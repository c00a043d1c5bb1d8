import {
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
import { applySelections, type ShapeState } from "./applySelections.ts";

type JsonObject = Record<string, unknown>;
export type Variables = Readonly<Record<string, unknown>>;

/** `@skip` / `@include` on a selection, decided per request from the variables. */
export type Condition = (variables: Variables) => boolean;

/** A field's type, unwrapped once at compile time: no graphql-js type checks run per request. */
export type Shape =
  | { kind: "nonNull"; of: Shape; type: GraphQLOutputType }
  | { kind: "list"; of: Shape; type: GraphQLOutputType }
  | { kind: "composite"; type: GraphQLCompositeType; selections: Selection[] }
  | { kind: "leaf"; type: GraphQLOutputType; valid: (value: unknown) => boolean };

export type Selection =
  | {
      kind: "field";
      /** The client's response name: where the value goes. */
      key: string;
      /** Where the value is read from the merged data: `key`, unless the router aliased the field for planning. */
      from: string;
      inherited: boolean;
      shape: Shape;
      skip: Condition | undefined;
      /** Why no subgraph resolves this field (the plan fetches it nowhere): answered null with this error. */
      unresolvable: GraphQLError | undefined;
    }
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
  /** Field errors the client must see in `errors`: fields the plan cannot resolve, once per place. */
  fieldErrors: GraphQLError[];
}

/** What planning found out about an operation that shaping must honour. */
export interface ShaperOptions {
  /** Fields the router aliased for planning: alias -> the client's response name. */
  renamed?: ReadonlyMap<string, string>;
  /** Fields (nodes of `document`) that no fetch of the plan resolves, with the error each place of them gets. */
  unresolvable?: ReadonlyMap<FieldNode, GraphQLError>;
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
export function compileShaper(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, options: ShaperOptions = {}): ResponseShaper {
  const { renamed, unresolvable } = options;
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
        const from = node.alias?.value ?? node.name.value;
        const key = renamed?.get(from) ?? from;
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
          out.push({ kind: "field", key, from, inherited: key in Object.prototype || from in Object.prototype, skip, shape: shapeOf(field.type, selections), unresolvable: unresolvable?.get(node) });
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
      const state: ShapeState = { schema, types, variables: hasDefaults ? { ...defaults, ...clientVariables } : clientVariables, errors: [], fieldErrors: [], applied: undefined };
      const data: JsonObject = {};
      const bubbled = applySelections(input, selections, data, state, [], rootType);
      return { data: bubbled ? null : data, errors: state.errors, fieldErrors: state.fieldErrors };
    },
  };
}

/** What the shaper needs to know of a type named by a `__typename`, looked up without graphql-js's type checks. */
export interface TypeFacts {
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
