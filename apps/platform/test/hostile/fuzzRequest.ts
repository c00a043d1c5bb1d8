/**
 * Random requests for the router, built with fast-check's `gen` over the real
 * API schema (read by introspection): selections of real fields with random
 * aliases, arguments (literal or variable, fitting or not), directives,
 * fragments and nesting, plus corrupted documents and token soup, with random
 * variables. Never signUp, and never a valid token: nothing a fuzzed request
 * does may write a row.
 */
import fc from "fast-check";
import { demoCategories, demoOrders, demoProducts, demoUsers } from "@store/demo-data";
import { JSON_HEADERS, type HostileRequest } from "./hostileRequest.ts";

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
interface InputValue {
  name: string;
  type: TypeRef;
}
interface FieldModel extends InputValue {
  args: InputValue[];
}
interface TypeModel {
  kind: string;
  name: string;
  fields: FieldModel[] | null;
  inputFields: InputValue[] | null;
  enumValues: { name: string }[] | null;
  possibleTypes: { name: string }[] | null;
}
export interface SchemaModel {
  queryType: string;
  mutationType: string | undefined;
  subscriptionType: string | undefined;
  types: Map<string, TypeModel>;
}

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
const INTROSPECTION = `{ __schema { queryType { name } mutationType { name } subscriptionType { name }
  types { kind name possibleTypes { name } enumValues { name }
    fields { name type { ${TYPE_REF} } args { name type { ${TYPE_REF} } } }
    inputFields { name type { ${TYPE_REF} } } } } }`;

/** The API schema as the router serves it (introspection is on outside production). */
export async function introspect(routerUrl: string): Promise<SchemaModel> {
  const response = await fetch(routerUrl, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ query: INTROSPECTION }) });
  const { data } = (await response.json()) as { data: { __schema: { queryType: { name: string }; mutationType: { name: string } | null; subscriptionType: { name: string } | null; types: TypeModel[] } } };
  const schema = data.__schema;
  return {
    queryType: schema.queryType.name,
    mutationType: schema.mutationType?.name,
    subscriptionType: schema.subscriptionType?.name,
    types: new Map(schema.types.filter((t) => !t.name.startsWith("__")).map((t) => [t.name, t])),
  };
}

/** The only mutation an anonymous caller can complete: the fuzz must not create accounts. */
const WRITES_ANONYMOUSLY = new Set(["signUp"]);

const REAL_IDS = [...demoProducts.slice(0, 3).map((p) => p.id), ...demoOrders.map((o) => o.id), ...demoUsers.map((u) => u.id), ...demoCategories.slice(0, 2).map((c) => c.id)];
const STRINGS = ["", "a", "coffee-tea", "ada@example.com", "tok_visa", "' OR 1=1 --", "%", "_", "\\", "a\u0000b", "\ud800", "🛒", "x".repeat(300), "2026-01-01T00:00:00Z", "eyJ2IjoiYSJ9", "null", "{}", "__proto__"];
const INTS = [0, 1, -1, 5, 20, 50, 51, 100, 101, 1000, 2_147_483_647, -2_147_483_648];
const NAMES = ["a", "b", "x1", "_", "__typename", "__proto__", "constructor", "id", "nope", "Q"];

const named = (ref: TypeRef): string => (ref.ofType ? named(ref.ofType) : ref.name!);
const printType = (ref: TypeRef): string => (ref.kind === "NON_NULL" ? `${printType(ref.ofType!)}!` : ref.kind === "LIST" ? `[${printType(ref.ofType!)}]` : ref.name!);

/** A JSON value and its GraphQL literal form (enums unquoted). */
interface InputSample {
  json: unknown;
  literal: string;
}

export interface FuzzRequest {
  request: HostileRequest;
  /** How the request was made, for a failure's message. */
  summary: string;
}

type Gen = fc.GeneratorValue;

/**
 * Builds one operation from `g`. A tidy document (most of them) fits the
 * schema: real fields, required arguments, values of the right types, unique
 * aliases, so it reaches the subgraphs, where hostile values meet resolvers.
 * A sloppy one mixes in unknown names, misfit values, directive floods and
 * wrong variable types, for the router's own checks.
 */
class DocumentBuilder {
  private readonly variableDefinitions: string[] = [];
  private readonly variables: Record<string, unknown> = {};
  private readonly fragments: string[] = [];
  private aliases = 0;
  private fragmentNames = 0;
  private readonly sloppy: boolean;

  constructor(
    private readonly g: Gen,
    private readonly schema: SchemaModel,
  ) {
    this.sloppy = this.chance(35);
  }

  private chance(percent: number): boolean {
    return this.g(fc.integer, { min: 0, max: 99 }) < percent;
  }

  /** A mistake, made only in a sloppy document. */
  private noise(percent: number): boolean {
    return this.sloppy && this.chance(percent);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.g(fc.nat, { max: items.length - 1 })]!;
  }

  /** A value for `ref`: fitting its type in a tidy document, often not in a sloppy one. */
  private sample(ref: TypeRef, depth: number): InputSample {
    if (ref.kind !== "NON_NULL" && this.chance(5)) return { json: null, literal: "null" };
    if (this.noise(5)) return { json: null, literal: "null" };
    if (ref.kind === "NON_NULL") return this.sample(ref.ofType!, depth);
    if (ref.kind === "LIST") {
      if (this.chance(30) || depth > 3) return this.sample(ref.ofType!, depth + 1);
      const items = Array.from({ length: this.g(fc.nat, { max: 3 }) }, () => this.sample(ref.ofType!, depth + 1));
      return { json: items.map((i) => i.json), literal: `[${items.map((i) => i.literal).join(", ")}]` };
    }
    const type = this.schema.types.get(ref.name!);
    if (this.noise(12)) return this.misfit();
    switch (type?.kind) {
      case "ENUM": {
        const value = this.noise(20) ? this.pick(["BOGUS", "name", "_"]) : this.pick(type.enumValues!.map((v) => v.name));
        return { json: value, literal: value };
      }
      case "INPUT_OBJECT": {
        const fields = type.inputFields!.filter((f) => f.type.kind === "NON_NULL" || this.chance(50));
        if (this.noise(15)) fields.push({ name: this.pick(NAMES), type: { kind: "SCALAR", name: "String", ofType: null } });
        const samples = fields.map((f) => [f.name, this.sample(f.type, depth + 1)] as const);
        return { json: Object.fromEntries(samples.map(([k, v]) => [k, v.json])), literal: `{ ${samples.map(([k, v]) => `${k}: ${v.literal}`).join(", ")} }` };
      }
      default:
        return this.scalar(ref.name!);
    }
  }

  private scalar(name: string): InputSample {
    let json: unknown;
    if (name === "Int") json = this.chance(70) ? this.pick(INTS) : this.g(fc.integer);
    else if (name === "Float") json = this.g(fc.double, { noNaN: true, noDefaultInfinity: true });
    else if (name === "Boolean") json = this.g(fc.boolean);
    else if (name === "ID") json = this.chance(60) ? this.pick(REAL_IDS) : this.chance(50) ? this.pick(STRINGS) : this.g(fc.uuid);
    else json = this.chance(60) ? this.pick(STRINGS) : this.g(fc.string, { maxLength: 40, unit: this.chance(50) ? "binary" : "grapheme" });
    return { json, literal: JSON.stringify(json) };
  }

  /** A value of some other type: an object for a scalar, a string for a number. */
  private misfit(): InputSample {
    return this.pick<InputSample>([
      { json: { a: 1 }, literal: "{ a: 1 }" },
      { json: [], literal: "[]" },
      { json: [[1]], literal: "[[1]]" },
      { json: "x", literal: '"x"' },
      { json: 1.5, literal: "1.5" },
      { json: true, literal: "true" },
      { json: 2 ** 40, literal: String(2 ** 40) },
    ]);
  }

  private argument(arg: InputValue): string {
    const sample = this.sample(arg.type, 0);
    if (this.chance(35)) {
      const variable = `v${this.variableDefinitions.length}`;
      const type = this.noise(20) ? this.pick(["Int", "String!", "[ID]", "Nope", "Boolean"]) : printType(arg.type);
      this.variableDefinitions.push(`$${variable}: ${type}`);
      if (!this.noise(15)) this.variables[variable] = this.noise(20) ? this.g(fc.jsonValue, { maxDepth: 3 }) : sample.json;
      return `${arg.name}: $${variable}`;
    }
    return `${arg.name}: ${sample.literal}`;
  }

  private directives(): string {
    if (this.noise(15)) {
      const count = this.g(fc.integer, { min: 1, max: 7 });
      return ` ${Array.from({ length: count }, () => `@${this.pick(["include", "skip", "nope"])}(if: ${this.pick(["true", "false", "1", '"x"'])})`).join(" ")}`;
    }
    return this.chance(8) ? ` @${this.pick(["include", "skip"])}(if: ${this.pick(["true", "false"])})` : "";
  }

  selection(typeName: string, depth: number, maxDepth: number, exclude: ReadonlySet<string> = new Set(), most = 4): string {
    const type = this.schema.types.get(typeName);
    if (!type) return "__typename";
    if (type.kind === "UNION" || type.kind === "INTERFACE") {
      return (type.possibleTypes ?? []).map((p) => `... on ${p.name} { ${this.selection(p.name, depth, maxDepth)} }`).join(" ") || "__typename";
    }
    const fields = (type.fields ?? []).filter((f) => !exclude.has(f.name));
    const count = this.g(fc.integer, { min: 1, max: most });
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      if (this.noise(8)) {
        parts.push(this.pick(NAMES));
        continue;
      }
      if (fields.length === 0) break;
      const field = this.pick(fields);
      // Each field once in a tidy document: the same field twice with other arguments does not merge.
      if (!this.sloppy) fields.splice(fields.indexOf(field), 1);
      // Unique aliases in a tidy document: two fields of one response name must agree, or validation refuses them.
      const alias = this.noise(25) ? `${this.pick(NAMES)}: ` : this.chance(20) ? `${this.pick(["a", "x", "_", "__proto__", "constructor"])}${this.aliases++}: ` : "";
      const args = field.args.filter((a) => (a.type.kind === "NON_NULL" ? !this.noise(10) : this.chance(40))).map((a) => this.argument(a));
      if (this.noise(8)) args.push(`${this.pick(NAMES)}: 1`);
      const target = this.schema.types.get(named(field.type));
      const composite = target && ["OBJECT", "INTERFACE", "UNION"].includes(target.kind);
      let below = "";
      if (composite) {
        if (depth >= maxDepth) below = " { __typename }";
        else if (this.chance(12)) {
          const name = `F${this.fragmentNames++}`;
          this.fragments.push(`fragment ${name} on ${target.name} { ${this.selection(target.name, depth + 1, maxDepth)} }`);
          below = ` { ${`...${name} `.repeat(this.g(fc.integer, { min: 1, max: 3 }))}}`;
        } else below = ` { ${this.selection(target.name, depth + 1, maxDepth)} }`;
      } else if (this.noise(6)) below = " { id }";
      parts.push(`${alias}${field.name}${args.length ? `(${args.join(", ")})` : ""}${this.directives()}${below}`);
    }
    return parts.join(" ") || "__typename";
  }

  document(): { query: string; variables: Record<string, unknown>; operationName: string | undefined; mutation: boolean } {
    const kind = this.pick(["query", "query", "query", "query", "query", "query", "mutation", "mutation", "subscription"] as const);
    const root = kind === "query" ? this.schema.queryType : kind === "mutation" ? this.schema.mutationType : this.schema.subscriptionType;
    const maxDepth = this.chance(10) ? this.g(fc.integer, { min: 6, max: 20 }) : this.g(fc.integer, { min: 1, max: 5 });
    // A subscription selects one root field (a sloppy one may select more).
    const body = this.selection(root ?? this.schema.queryType, 1, maxDepth, kind === "mutation" ? WRITES_ANONYMOUSLY : new Set(), kind === "subscription" && !this.sloppy ? 1 : 4);
    const name = this.chance(50) ? this.pick(["Q", "Hostile", "__proto__", "A"]) : undefined;
    const definitions = this.variableDefinitions.length ? `(${this.variableDefinitions.join(", ")})` : "";
    const head = name || definitions ? `${kind} ${name ?? ""}${definitions}` : kind === "query" ? "" : kind;
    const query = [`${head}${this.noise(20) ? this.directives() : ""} { ${body} }`, ...this.fragments].join("\n");
    const operationName = this.noise(30) ? this.pick(["Q", "Other", "F0", ""]) : this.chance(70) ? name : undefined;
    return { query, variables: this.variables, operationName, mutation: kind === "mutation" };
  }
}

const SOUP = ["{", "}", "(", ")", "[", "]", "query", "mutation", "fragment", "on", "...", "@include", "$v", ":", "!", "=", '"', '"""', "#", "products", "first", "1", "-", "&", "|", "\u0000", "\ud800"];

/** One random request for the router. */
export function fuzzRequest(g: Gen, schema: SchemaModel): FuzzRequest {
  const builder = new DocumentBuilder(g, schema);
  const shape = g(fc.constantFrom, "schema", "schema", "schema", "schema", "schema", "schema", "schema", "corrupted", "soup", "string");
  let { query, variables, operationName, mutation } = builder.document();
  if (shape === "corrupted") {
    const at = g(fc.nat, { max: query.length });
    query = g(fc.boolean) ? `${query.slice(0, at)}${query.slice(at + 1)}` : `${query.slice(0, at)}${g(fc.constantFrom, ...SOUP)}${query.slice(at)}`;
  } else if (shape === "soup") {
    query = g(fc.array, fc.constantFrom(...SOUP), { maxLength: 60 }).join(" ");
  } else if (shape === "string") {
    query = g(fc.string, { maxLength: 200, unit: "binary" });
  }
  let variablesOut: unknown = variables;
  if (g(fc.integer, { min: 0, max: 14 }) === 0) variablesOut = g(fc.jsonValue, { maxDepth: 4 });
  // A mutation over GET is a 405 before anything else: POSTed instead.
  const transport = g(fc.constantFrom, "fast path", "fast path", "fast path", "Apollo POST", ...(mutation ? [] : ["GET" as const]));
  const bearer: Record<string, string> = g(fc.integer, { min: 0, max: 19 }) === 0 ? { authorization: `Bearer ${g(fc.string, { maxLength: 30, unit: "grapheme-ascii" }).replace(/[^\x21-\x7e]/g, "x")}` } : {};
  let request: HostileRequest;
  if (transport === "GET") {
    const params = new URLSearchParams({ query });
    if (operationName !== undefined) params.set("operationName", operationName);
    params.set("variables", JSON.stringify(variablesOut));
    request = { method: "GET", search: `?${params}`, headers: { "apollo-require-preflight": "true", ...bearer } };
    // Node refuses request lines past 16 KiB itself (431): not the router's answer.
    if (request.search!.length > 8000) request = { headers: { ...JSON_HEADERS, ...bearer }, body: JSON.stringify({ query, variables: variablesOut, operationName }) };
  } else {
    request = {
      headers: { ...JSON_HEADERS, ...bearer },
      body: JSON.stringify({ query, variables: variablesOut, operationName, ...(transport === "Apollo POST" ? { extensions: { hostileSuite: { fuzz: true } } } : {}) }),
    };
  }
  return { request, summary: `${shape} via ${transport}${"authorization" in bearer ? " with a garbage token" : ""}` };
}
