import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "../graphql.ts";

/** Type name -> field name -> the arguments (printed) a `@requires` selects that field with. */
export type RequiredArguments = ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;

/** An operation as planned: its document, and the response names the router gave fields of it. */
export interface AliasedOperation {
  readonly document: DocumentNode;
  /** Alias given -> the client's response name. Empty when nothing was renamed. */
  readonly renamed: ReadonlyMap<string, string>;
}

const ALIAS_PREFIX = "_client_";

/**
 * Every field a `@requires` selects with arguments, read from the
 * supergraph's `join__field(requires:)`, by the type it sits on (nested
 * requirements walked through the supergraph schema).
 */
export function findRequiredArguments(supergraph: DocumentNode, schema: GraphQLSchema): RequiredArguments {
  const found = new Map<string, Map<string, Set<string>>>();
  const record = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (condition && isCompositeType(condition)) record(selection.selectionSet, condition);
        continue;
      }
      if (selection.kind !== Kind.FIELD) continue;
      const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
      if (!field) continue;
      if (selection.arguments?.length) {
        let byField = found.get(parent.name);
        if (!byField) found.set(parent.name, (byField = new Map()));
        let printed = byField.get(field.name);
        if (!printed) byField.set(field.name, (printed = new Set()));
        printed.add(printArguments(selection.arguments));
      }
      const named = getNamedType(field.type);
      if (selection.selectionSet && isCompositeType(named)) record(selection.selectionSet, named);
    }
  };
  for (const definition of supergraph.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const type = schema.getType(definition.name.value);
    if (!type || !isCompositeType(type)) continue;
    for (const field of definition.fields ?? []) {
      for (const directive of field.directives ?? []) {
        if (directive.name.value !== "join__field") continue;
        const requires = directive.arguments?.find((a) => a.name.value === "requires")?.value;
        if (requires?.kind !== Kind.STRING) continue;
        const operation = parse(`{${requires.value}}`).definitions[0];
        if (operation?.kind === Kind.OPERATION_DEFINITION) record(operation.selectionSet, type);
      }
    }
  }
  return found;
}

/**
 * Why: `@apollo/query-planner` merges a field the client selects with one
 * argument (`reviews(first: 1)`) and the same field a `@requires` selects
 * with another (`reviews(first: 5)`) into one selection with the required
 * arguments: the client gets five reviews. It does keep two selections
 * apart when their response names differ. So before planning, every client
 * selection whose response name is such a field on its parent type (or on a
 * possible type of it) gets an alias of its own, unless its arguments are
 * exactly the required ones; the shaper answers it under the client's name
 * again. The document is returned as it is when nothing needs an alias.
 */
export function aliasRequiredConflicts(document: DocumentNode, schema: GraphQLSchema, required: RequiredArguments): AliasedOperation {
  const renamed = new Map<string, string>();
  if (required.size === 0) return { document, renamed };
  const taken = responseNames(document);
  const aliasFor = (responseName: string): string => {
    for (const [alias, original] of renamed) if (original === responseName) return alias;
    let alias = `${ALIAS_PREFIX}${responseName}`;
    for (let n = 2; taken.has(alias); n++) alias = `${ALIAS_PREFIX}${responseName}${n}`;
    taken.add(alias);
    renamed.set(alias, responseName);
    return alias;
  };
  const conflicting = (parent: GraphQLCompositeType, responseName: string): ReadonlySet<string> | undefined => {
    const types = isAbstractType(parent) ? [parent, ...schema.getPossibleTypes(parent)] : [parent];
    for (const type of types) {
      const printed = required.get(type.name)?.get(responseName);
      if (printed) return printed;
    }
    return undefined;
  };
  const fragmentTypes = new Map<string, GraphQLCompositeType>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    const type = schema.getType(definition.typeCondition.name.value);
    if (type && isCompositeType(type)) fragmentTypes.set(definition.name.value, type);
  }

  const rewrite = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): SelectionSetNode => {
    let changed = false;
    const selections = selectionSet.selections.map((selection) => {
      if (selection.kind === Kind.FRAGMENT_SPREAD) return selection;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (!condition || !isCompositeType(condition)) return selection;
        const inner = rewrite(selection.selectionSet, condition);
        if (inner === selection.selectionSet) return selection;
        changed = true;
        return { ...selection, selectionSet: inner };
      }
      let field: FieldNode = selection;
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
      const named = definition ? getNamedType(definition.type) : undefined;
      if (selection.selectionSet && named && isCompositeType(named)) {
        const inner = rewrite(selection.selectionSet, named);
        if (inner !== selection.selectionSet) field = { ...field, selectionSet: inner };
      }
      const responseName = selection.alias?.value ?? selection.name.value;
      const printed = conflicting(parent, responseName);
      if (printed && !(selection.name.value === responseName && printed.size === 1 && printed.has(printArguments(selection.arguments ?? [])))) {
        field = { ...field, alias: { kind: Kind.NAME, value: aliasFor(responseName) } };
      }
      if (field !== selection) changed = true;
      return field;
    });
    return changed ? { ...selectionSet, selections } : selectionSet;
  };

  const definitions = document.definitions.map((definition) => {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      const root = schema.getRootType(definition.operation);
      if (!root) return definition;
      const selectionSet = rewrite(definition.selectionSet, root);
      return selectionSet === definition.selectionSet ? definition : { ...definition, selectionSet };
    }
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      const type = fragmentTypes.get(definition.name.value);
      if (!type) return definition;
      const selectionSet = rewrite(definition.selectionSet, type);
      return selectionSet === definition.selectionSet ? definition : { ...definition, selectionSet };
    }
    return definition;
  });
  return renamed.size === 0 ? { document, renamed } : { document: { ...document, definitions }, renamed };
}

function printArguments(args: readonly ArgumentNode[]): string {
  return [...args]
    .sort((a, b) => a.name.value.localeCompare(b.name.value))
    .map((a) => `${a.name.value}:${print(a.value)}`)
    .join(",");
}

/** Every field name and alias in the document: a new alias must be none of them. */
function responseNames(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        names.add(selection.name.value);
        if (selection.alias) names.add(selection.alias.value);
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) visit(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition.selectionSet);
  return names;
}
