import type { PlanNode, SubscriptionNode } from "@apollo/query-planner";
import { ERRORS } from "@store/kit";
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "../graphql.ts";

/**
 * The client's fields that no fetch of `node` selects, each with the error
 * its places get.
 *
 * Why: where no subgraph can resolve a field (an `@interfaceObject`'s field
 * whose interface has no implementation a subgraph can return, behind a key
 * declared `resolvable: false`), `@apollo/query-planner` leaves the field
 * out of every fetch, or plans nothing at all, and reports nothing: the
 * client would get null without an error. The check is by type and field
 * name (`Book.title` fetched anywhere covers every `title` of a Book, of an
 * interface Book implements, or of an abstract type Book belongs to), so it
 * only flags fields the plan cannot possibly deliver. Selections under
 * `@skip` / `@include` are left alone: the planner may drop them on purpose.
 */
export function findUnresolvableFields(supergraphSchema: GraphQLSchema, apiSchema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, node: PlanNode | SubscriptionNode | undefined): Map<FieldNode, GraphQLError> {
  const fetched = fetchedFields(supergraphSchema, node);
  const unresolvable = new Map<FieldNode, GraphQLError>();
  const fragments = new Map<string, SelectionSetNode & { typeCondition: string }>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, { ...definition.selectionSet, typeCondition: definition.typeCondition.name.value });
  }
  const visitedFragments = new Set<string>();

  const covered = (parent: GraphQLCompositeType, field: string): boolean => {
    if (fetched.has(`${parent.name}.${field}`)) return true;
    const related = isAbstractType(parent) ? supergraphSchema.getPossibleTypes(supergraphSchema.getType(parent.name) as never) : [];
    const type = supergraphSchema.getType(parent.name);
    const interfaces = type && (isObjectType(type) || isInterfaceType(type)) ? type.getInterfaces() : [];
    return [...related, ...interfaces].some((other) => fetched.has(`${other.name}.${field}`));
  };

  const visit = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): void => {
    for (const selection of selectionSet.selections) {
      if (selection.directives?.some((d) => d.name.value === "skip" || d.name.value === "include")) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || visitedFragments.has(selection.name.value)) continue;
        visitedFragments.add(selection.name.value);
        const type = apiSchema.getType(fragment.typeCondition);
        if (type && isCompositeType(type)) visit(fragment, type);
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? apiSchema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) visit(selection.selectionSet, type);
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith("__")) continue;
      if (!covered(parent, name)) {
        unresolvable.set(selection, ERRORS.QUERY_PLANNING_FAILED.err(`No subgraph resolves field ${parent.name}.${name} as selected: the query plan fetches it from none`));
        continue;
      }
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      const named = definition ? getNamedType(definition.type) : undefined;
      if (selection.selectionSet && named && isCompositeType(named)) visit(selection.selectionSet, named);
    }
  };
  const root = apiSchema.getRootType(operation.operation);
  if (root) visit(operation.selectionSet, root);
  return unresolvable;
}

/** `Type.field` for every field some fetch of the plan selects (by field name, under its parent type in the supergraph). */
function fetchedFields(schema: GraphQLSchema, node: PlanNode | SubscriptionNode | undefined): Set<string> {
  const fetched = new Set<string>();
  // The planner may factor a fetch's repeated selections into named fragments of its operation.
  let fragments = new Map<string, FragmentDefinitionNode>();
  const record = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const type = fragment ? schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment && type && isCompositeType(type)) record(fragment.selectionSet, type);
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) record(selection.selectionSet, type);
        continue;
      }
      const name = selection.name.value;
      fetched.add(`${parent.name}.${name}`);
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      const named = definition ? getNamedType(definition.type) : undefined;
      // `_entities` is typed `_Entity`: its inline fragments name the types.
      if (selection.selectionSet && named && isCompositeType(named)) record(selection.selectionSet, named);
      else if (selection.selectionSet && name === "_entities") record(selection.selectionSet, parent);
    }
  };
  const walk = (plan: PlanNode | SubscriptionNode | undefined): void => {
    if (!plan) return;
    switch (plan.kind) {
      case "Sequence":
      case "Parallel":
        plan.nodes.forEach(walk);
        return;
      case "Flatten":
        walk(plan.node);
        return;
      case "Condition":
        walk(plan.ifClause);
        walk(plan.elseClause);
        return;
      case "Subscription":
        walk(plan.primary);
        walk(plan.rest);
        return;
      case "Defer":
        walk(plan.primary.node);
        for (const deferred of plan.deferred) walk(deferred.node);
        return;
      case "Fetch": {
        const definitions = parse(plan.operation).definitions;
        fragments = new Map();
        for (const definition of definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
        const operation = definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
        if (operation?.kind !== Kind.OPERATION_DEFINITION) return;
        const root = schema.getRootType(operation.operation);
        if (root) record(operation.selectionSet, root);
        return;
      }
    }
  };
  walk(node);
  return fetched;
}
