import { Kind, parse, type DirectiveNode, type DocumentNode, type SelectionSetNode } from "../graphql.ts";
import { isObject, type JsonObject } from "../execution/jsonObject.ts";

/** One `@key` a subgraph resolves a type by: its field set as written and parsed. */
interface Key {
  readonly fields: string;
  readonly selections: SelectionSetNode;
}

/**
 * The keys each subgraph resolves each entity type by, read from the
 * supergraph's `join__type(graph:, key:)` (keys with `resolvable: false`
 * left out: the subgraph said it cannot resolve by them).
 *
 * Why the router checks representations against them: with several keys
 * across subgraphs (a simple key in one, a composite or nested one in
 * another), a representation can reach a subgraph without the fields of any
 * key it resolves by (a nested key field that is null, a planner that picked
 * another subgraph's key). The subgraph's reference resolver then answers
 * null and a non-null parent nulls out without an error; the router reports
 * ENTITY_KEY_MISSING instead of sending it.
 */
export class EntityKeys {
  private constructor(
    /** Subgraph name -> type name -> the keys it resolves the type by: its own and its entity interfaces'. */
    private readonly keys: ReadonlyMap<string, ReadonlyMap<string, readonly Key[]>>,
  ) {}

  static fromSupergraph(document: DocumentNode): EntityKeys {
    const graphNames = new Map<string, string>();
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== "join__Graph") continue;
      for (const value of definition.values ?? []) {
        const name = stringArgument(value.directives?.find((d) => d.name.value === "join__graph"), "name");
        if (name) graphNames.set(value.name.value, name);
      }
    }
    const keys = new Map<string, Map<string, Key[]>>();
    const interfaces = new Map<string, string[]>();
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
      const typeName = definition.name.value;
      interfaces.set(typeName, (definition.interfaces ?? []).map((i) => i.name.value));
      for (const directive of definition.directives ?? []) {
        if (directive.name.value !== "join__type") continue;
        const graph = directive.arguments?.find((a) => a.name.value === "graph")?.value;
        const subgraph = graph?.kind === Kind.ENUM ? graphNames.get(graph.value) : undefined;
        const fields = stringArgument(directive, "key");
        const resolvable = directive.arguments?.find((a) => a.name.value === "resolvable")?.value;
        if (!subgraph || fields === undefined || (resolvable?.kind === Kind.BOOLEAN && !resolvable.value)) continue;
        let byType = keys.get(subgraph);
        if (!byType) keys.set(subgraph, (byType = new Map()));
        let list = byType.get(typeName);
        if (!list) byType.set(typeName, (list = []));
        list.push({ fields, selections: parseFieldSet(fields) });
      }
    }
    // An entity interface's key resolves its implementations too: worked out
    // once here, since a check runs for every representation sent.
    const resolved = new Map<string, Map<string, readonly Key[]>>();
    for (const [subgraph, own] of keys) {
      const byType = new Map<string, readonly Key[]>();
      for (const [typeName, implemented] of interfaces) {
        const all = [...(own.get(typeName) ?? []), ...implemented.flatMap((name) => own.get(name) ?? [])];
        // A key the type shares with its interface is checked (and named) once.
        const unique = all.filter((key, i) => all.findIndex((other) => other.fields === key.fields) === i);
        if (unique.length > 0) byType.set(typeName, unique);
      }
      resolved.set(subgraph, byType);
    }
    return new EntityKeys(resolved);
  }

  /**
   * Undefined when `representation` (as it is sent, input rewrites applied)
   * carries every field of one key that `subgraph` resolves its `__typename`
   * by, directly or through an entity interface it implements; otherwise
   * why it does not, for the client's error.
   */
  missingKey(subgraph: string, representation: JsonObject): string | undefined {
    const typename = representation.__typename;
    if (typeof typename !== "string") return `The representation sent to subgraph ${subgraph} has no __typename`;
    const keys = this.keysOf(subgraph, typename);
    if (keys.length === 0) return `Subgraph ${subgraph} resolves ${typename} by no key, yet the query plan sends it ${typename} representations`;
    if (keys.some((key) => covers(representation, key.selections))) return undefined;
    return `A ${typename} cannot be resolved by subgraph ${subgraph}: it lacks the fields of every key ${subgraph} resolves ${typename} by (${keys.map((key) => `"${key.fields}"`).join(", ")})`;
  }

  private keysOf(subgraph: string, typename: string): readonly Key[] {
    return this.keys.get(subgraph)?.get(typename) ?? [];
  }
}

function stringArgument(directive: DirectiveNode | undefined, name: string): string | undefined {
  const value = directive?.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function parseFieldSet(fields: string): SelectionSetNode {
  const operation = parse(`{${fields}}`).definitions[0];
  return operation?.kind === Kind.OPERATION_DEFINITION ? operation.selectionSet : { kind: Kind.SELECTION_SET, selections: [] };
}

/**
 * Whether `value` has every field of the key, none of them null: a key field
 * that is null identifies nothing (a nested key below a null object cannot
 * be read at all). Lists must hold covering items only.
 */
function covers(value: unknown, selectionSet: SelectionSetNode): boolean {
  if (Array.isArray(value)) return value.every((item) => covers(item, selectionSet));
  if (!isObject(value)) return false;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      // A type condition inside a key (`... on Book { isbn }`): it applies only to that type.
      const condition = selection.typeCondition?.name.value;
      if (!condition || condition === value.__typename) {
        if (!covers(value, selection.selectionSet)) return false;
      }
      continue;
    }
    if (selection.kind !== Kind.FIELD) continue;
    const field = value[selection.name.value];
    if (field === undefined || field === null) return false;
    if (selection.selectionSet && !covers(field, selection.selectionSet)) return false;
  }
  return true;
}
