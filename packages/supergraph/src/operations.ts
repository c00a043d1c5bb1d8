import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import {
  GraphQLError,
  Kind,
  Source,
  TypeInfo,
  getNamedType,
  isInputObjectType,
  parse,
  print,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from "graphql";

export interface RegisteredOperation {
  /** The operation's name (one named operation a file). */
  name: string;
  /** Path relative to the operations folder, e.g. storefront/PlaceOrder.graphql. */
  file: string;
  document: DocumentNode;
  body: string;
}

export class OperationRegistryError extends Error {
  override readonly name = "OperationRegistryError";
  readonly code = "INVALID_OPERATION_REGISTRY";
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? walk(path) : entry.endsWith(".graphql") ? [path] : [];
    });
}

/**
 * Reads every `.graphql` file under `dir`. Each must hold exactly one named
 * operation, and names are unique across the registry: clients, codegen and
 * the router's trusted-documents mode all refer to operations by name.
 */
export function loadOperations(dir: string): RegisteredOperation[] {
  const seen = new Map<string, string>();
  return walk(dir).map((path) => {
    const file = relative(dir, path);
    const body = readFileSync(path, "utf8");
    let document: DocumentNode;
    try {
      document = parse(new Source(body, file));
    } catch (error) {
      throw new OperationRegistryError(`${file}: ${(error as GraphQLError).message}`);
    }
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1 || !operations[0]!.name) throw new OperationRegistryError(`${file}: expected exactly one named operation`);
    const name = operations[0]!.name.value;
    const other = seen.get(name);
    if (other) throw new OperationRegistryError(`${file}: operation ${name} is already defined in ${other}`);
    seen.set(name, file);
    return { name, file, document, body };
  });
}

export function validateOperation(schema: GraphQLSchema, operation: RegisteredOperation): string[] {
  return validate(schema, operation.document).map((e) => e.message);
}

function inputCoordinates(type: GraphQLInputType, into: Set<string>): void {
  const named = getNamedType(type);
  if (!isInputObjectType(named) || into.has(named.name)) return;
  into.add(named.name);
  for (const field of Object.values(named.getFields())) {
    into.add(`${named.name}.${field.name}`);
    inputCoordinates(field.type, into);
  }
}

/**
 * The schema coordinates an operation depends on: every field it selects
 * (`Type.field`), every argument it passes (`Type.field.arg`), and every
 * input type (with its fields) that its variables or arguments carry. A
 * change at one of these coordinates, or below one, can break it.
 */
export function operationCoordinates(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field) coordinates.add(`${parent.name}.${field.name}`);
      },
      Argument() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        const arg = typeInfo.getArgument();
        if (!parent || !field || !arg) return;
        coordinates.add(`${parent.name}.${field.name}.${arg.name}`);
        inputCoordinates(arg.type, coordinates);
      },
      VariableDefinition() {
        const type = typeInfo.getInputType();
        if (type) inputCoordinates(type, coordinates);
      },
    }),
  );
  return coordinates;
}

/** Additions that break every use of their parent (a new required argument or input field). */
const ADDITIONS = new Set(["FIELD_ARGUMENT_ADDED", "INPUT_FIELD_ADDED"]);

/**
 * True when a change (graphql-inspector's type and path) touches what an
 * operation uses: the coordinate itself, something the change removed from
 * above it (a type or field it selected into), or, for a new required
 * argument or input field, the field or input type it was added to.
 */
export function touches(change: { type: string; path?: string }, coordinates: Set<string>): boolean {
  const path = change.path;
  if (!path) return false;
  if (coordinates.has(path)) return true;
  if (ADDITIONS.has(change.type)) return coordinates.has(path.slice(0, path.lastIndexOf(".")));
  for (const coordinate of coordinates) if (coordinate.startsWith(`${path}.`)) return true;
  return false;
}

/**
 * A registered operation's trusted-document id: sha256 (hex) of its printed
 * form, so formatting and comments in the file do not change it. Clients send
 * it as `documentId` (or Apollo's `extensions.persistedQuery.sha256Hash`).
 */
export function documentIdOf(document: DocumentNode): string {
  return createHash("sha256").update(print(document)).digest("hex");
}

/** documentId -> printed document, for every registered operation. */
export function trustedDocumentManifest(operations: readonly RegisteredOperation[]): Map<string, { name: string; query: string }> {
  return new Map(operations.map((op) => [documentIdOf(op.document), { name: op.name, query: print(op.document) }]));
}
