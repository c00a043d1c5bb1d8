/**
 * What an operation would cost the router and its subgraphs, measured on the
 * document alone, before anything is planned or fetched.
 *
 * Why this walk is our own: graphql-armor's rules (max-depth, max-aliases,
 * max-directives, cost-limit) each walk the document separately, report the
 * measured value only inside an English message, count directives per
 * document rather than per location, and have no measure for root fields or
 * selections after fragment expansion; its cost model weighs depth and does
 * not multiply list fields by their `first`/`last` argument (demand control).
 * Token counting is the parser's own (`parse(…, { maxTokens })`). One walk
 * here computes every measure at once, in time linear in the document's size:
 * each fragment is measured once (per size hint) and its figures reused at
 * every spread, so a document of nested spreads (`F1 { ...F0 ...F0 }` up to
 * F21) is measured in microseconds while its expansion would hold 2^21 fields.
 */
import {
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isLeafType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "../graphql.ts";

export interface OperationMeasures {
  /** Deepest field nesting (the root's fields are at depth 1), fragments expanded. */
  depth: number;
  /** Aliased fields after fragment expansion (`__typename` aliases included). */
  aliases: number;
  /** Fields selected on the root type, fragments at the root expanded. */
  rootFields: number;
  /** Most directives on any one location (field, fragment spread, inline fragment, operation). */
  directives: number;
  /** Fields after fragment expansion: what a naive executor would visit per response object. */
  selections: number;
  /** Demand-control cost (see CostOptions); introspection fields cost nothing. */
  cost: number;
  /** Whether the cost read a variable (then it is measured again for other variables). */
  costUsesVariables: boolean;
}

export interface CostOptions {
  /**
   * Size assumed for a list field without a `first`/`last` argument (and
   * without one on its connection field).
   * @default 10
   */
  defaultListSize: number;
  /**
   * Weights per field, as `Type.field`, replacing the defaults: 1 for a field
   * of object, interface or union type, 0 for a leaf, 10 for a mutation's
   * root field.
   */
  weights: Readonly<Record<string, number>>;
}

interface Figures {
  depth: number;
  aliases: number;
  directives: number;
  selections: number;
  cost: number;
}

const SIZE_ARGUMENTS = new Set(["first", "last"]);
const INTROSPECTION_FIELDS = new Set(["__schema", "__type"]);

/**
 * Measures one operation of `document` against `schema`. Unknown fields and
 * fragments are skipped (validation reports them); fragment cycles count once.
 * `variables` are the request's raw values: a `first: $n` multiplies by `n`.
 */
export function measureOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>, options: CostOptions): OperationMeasures {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  let usesVariables = false;
  const sizeOf = (value: ValueNode): number | undefined => {
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) {
      usesVariables = true;
      const given = variables[value.name.value];
      if (typeof given === "number" && Number.isFinite(given)) return given;
      const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === value.name.value);
      return definition?.defaultValue?.kind === Kind.INT ? Number(definition.defaultValue.value) : undefined;
    }
    return undefined;
  };

  const isMutation = operation.operation === "mutation";
  const rootType = schema.getRootType(operation.operation);
  // Per fragment, per type it is measured on, per size hint; `null` while in progress (a cycle).
  const memo = new Map<string, Figures | null>();

  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType | undefined, sizeHint: number | undefined, root: boolean): Figures => {
    const total: Figures = { depth: 0, aliases: 0, directives: 0, selections: 0, cost: 0 };
    const add = (figures: Figures, fieldDepth: number) => {
      total.depth = Math.max(total.depth, fieldDepth);
      total.aliases += figures.aliases;
      total.directives = Math.max(total.directives, figures.directives);
      total.selections += figures.selections;
      total.cost += figures.cost;
    };
    for (const selection of selectionSet.selections) {
      const directives = selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const field = parentType && (isObjectType(parentType) || isInterfaceType(parentType)) ? (parentType.getFields()[name] as GraphQLField<unknown, unknown> | undefined) : undefined;
        const introspection = INTROSPECTION_FIELDS.has(name);
        let size: number | undefined;
        for (const argument of selection.arguments ?? []) if (SIZE_ARGUMENTS.has(argument.name.value)) size = sizeOf(argument.value) ?? size;
        const list = field ? isList(field.type) : false;
        const named = field ? getNamedType(field.type) : undefined;
        const below = selection.selectionSet
          ? walk(selection.selectionSet, named && !isLeafType(named) ? (named as GraphQLCompositeType) : undefined, list ? undefined : size, false)
          : { depth: 0, aliases: 0, directives: 0, selections: 0, cost: 0 };
        const weight = introspection || !field ? 0 : (options.weights[`${parentType?.name}.${name}`] ?? (root && isMutation ? 10 : named && !isLeafType(named) ? 1 : 0));
        const multiplier = list ? Math.max(0, size ?? sizeHint ?? options.defaultListSize) : 1;
        add(
          {
            depth: 0,
            aliases: below.aliases + (selection.alias ? 1 : 0),
            directives: Math.max(directives, below.directives),
            selections: below.selections + 1,
            cost: introspection ? 0 : multiplier * (weight + below.cost),
          },
          below.depth + 1,
        );
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
        const type = condition && !isLeafType(condition) ? (condition as GraphQLCompositeType) : undefined;
        let figures: Figures | null | undefined;
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const key = `${selection.name.value}\n${sizeHint ?? ""}`;
          figures = memo.get(key);
          if (figures === undefined) {
            memo.set(key, null);
            figures = walk(fragment.selectionSet, type, sizeHint, root);
            memo.set(key, figures);
          }
          if (figures === null) continue; // a cycle: validation refuses it
        } else {
          figures = walk(fragment.selectionSet, type, sizeHint, root);
        }
        add({ ...figures, directives: Math.max(directives, figures.directives) }, figures.depth);
      }
    }
    return total;
  };

  const figures = walk(operation.selectionSet, rootType ?? undefined, undefined, true);
  return {
    depth: figures.depth,
    aliases: figures.aliases,
    rootFields: rootFieldCount(operation.selectionSet, fragments, new Set()),
    directives: Math.max(operation.directives?.length ?? 0, figures.directives),
    selections: figures.selections,
    cost: figures.cost,
    costUsesVariables: usesVariables,
  };
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function rootFieldCount(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFieldCount(selection.selectionSet, fragments, seen);
    else {
      // Counted once per fragment: a root fragment spread twice selects the same fields.
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(selection.name.value)) continue;
      seen.add(selection.name.value);
      count += rootFieldCount(fragment.selectionSet, fragments, seen);
    }
  }
  return count;
}
