/**
 * Renders a kustomization the way `kubectl kustomize` (kustomize v5) does,
 * for the few features deploy/kubernetes uses, so the manifests can be
 * checked where kubectl is not installed (CI). Anything else in a
 * kustomization is refused with an error rather than rendered differently:
 * the test compares this output with kubectl's wherever kubectl exists.
 *
 * Supported: `resources` (files and folders holding a kustomization),
 * `namespace`, `images`, `generatorOptions.labels`, `configMapGenerator` and
 * `secretGenerator` from `envs` files (with kustomize's name-suffix hash and
 * the references to the generated names rewritten), and `patches` given
 * inline as JSON 6902 operations with a target (kind, name, labelSelector).
 * Transformers run in kustomize's order: patches, namespace, images.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, parseAllDocuments } from "yaml";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  generatorOptions?: { labels?: Record<string, string> };
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: { target: Target; patch: string }[];
}
interface Generator {
  name: string;
  envs: string[];
}
interface Target {
  kind?: string;
  name?: string;
  labelSelector?: string;
}
type PatchOperation = { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

const supportedFields: Record<string, readonly string[]> = {
  kustomization: ["apiVersion", "kind", "resources", "namespace", "images", "generatorOptions", "configMapGenerator", "secretGenerator", "patches"],
  generatorOptions: ["labels"],
  generator: ["name", "envs"],
  image: ["name", "newName", "newTag"],
  patch: ["target", "patch"],
  target: ["kind", "name", "labelSelector"],
};

function refuseUnsupported(where: string, kind: keyof typeof supportedFields, value: object): void {
  for (const key of Object.keys(value)) {
    if (!supportedFields[kind]!.includes(key)) throw new Error(`${where}: "${key}" is not supported by this renderer (supported: ${supportedFields[kind]!.join(", ")})`);
  }
}

/** Renders the kustomization in `dir` (a folder holding kustomization.yaml). */
export function renderKustomization(dir: string): KubeObject[] {
  const file = join(dir, "kustomization.yaml");
  const k = parse(readFileSync(file, "utf8")) as Kustomization;
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization") throw new Error(`${file}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
  refuseUnsupported(file, "kustomization", k);

  const objects: KubeObject[] = [];
  for (const resource of k.resources ?? []) {
    const path = resolve(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readManifests(path)));
  }
  refuseUnsupported(file, "generatorOptions", k.generatorOptions ?? {});
  const generated = [
    ...(k.configMapGenerator ?? []).map((g) => generate(file, dir, "ConfigMap", g, k.generatorOptions?.labels)),
    ...(k.secretGenerator ?? []).map((g) => generate(file, dir, "Secret", g, k.generatorOptions?.labels)),
  ];
  objects.push(...generated);

  for (const { target, patch, ...rest } of k.patches ?? []) {
    refuseUnsupported(file, "patch", { target, patch, ...rest });
    refuseUnsupported(file, "target", target);
    const operations = parse(patch) as PatchOperation[];
    if (!Array.isArray(operations)) throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported`);
    const matched = objects.filter((o) => matchesTarget(o, target));
    if (matched.length === 0) throw new Error(`${file}: patch target ${JSON.stringify(target)} matches no resource`);
    for (const object of matched) for (const operation of operations) applyOperation(object, operation);
  }
  // Every kind deploy/kubernetes renders is namespaced.
  if (k.namespace) for (const object of objects) object.metadata.namespace = k.namespace;
  for (const image of k.images ?? []) {
    refuseUnsupported(file, "image", image);
    for (const container of containersOf(objects)) container.image = retag(container.image, image);
  }

  // The hash suffix comes last, over the transformed data, as kustomize adds it.
  const renamed = new Map<string, string>();
  for (const object of generated) {
    const name = `${object.metadata.name}-${contentHash(object)}`;
    renamed.set(`${object.kind}/${object.metadata.name}`, name);
    object.metadata.name = name;
  }
  for (const object of objects) rewriteReferences(object, renamed);

  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

function readManifests(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]!.message}`);
    return document.toJS() as KubeObject;
  });
}

/** A ConfigMap or Secret from env files, as kustomize's generators make them. */
function generate(file: string, dir: string, kind: "ConfigMap" | "Secret", generator: Generator, labels: Record<string, string> | undefined): KubeObject {
  refuseUnsupported(file, "generator", generator);
  const values: Record<string, string> = {};
  for (const env of generator.envs) {
    for (const [key, value] of parseEnvFile(resolve(dir, env))) {
      if (key in values) throw new Error(`${env}: ${key} is defined twice`);
      values[key] = value;
    }
  }
  const metadata = { name: generator.name, ...(labels ? { labels: { ...labels } } : {}) };
  if (kind === "ConfigMap") return { apiVersion: "v1", kind, metadata, data: values };
  const data = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, wrappedBase64(value)]));
  return { apiVersion: "v1", kind, metadata, type: "Opaque", data };
}

/**
 * kustomize's env-file format: `KEY=VALUE` lines, the value taken verbatim
 * (no quotes, no trimming at its end), blank lines and `#` lines skipped. A
 * line without `=` would take the value from the environment kustomize runs
 * in: refused, so a rendering never depends on the shell.
 */
export function parseEnvFile(path: string): [string, string][] {
  const entries: [string, string][] = [];
  const lines = readFileSync(path, "utf8").replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) return;
    const equals = line.indexOf("=");
    if (equals < 0) throw new Error(`${path}:${index + 1}: "${line}" has no "=" (kustomize would read the value from its own environment)`);
    const key = line.slice(0, equals);
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) throw new Error(`${path}:${index + 1}: "${key}" is not a valid variable name`);
    entries.push([key, line.slice(equals + 1)]);
  });
  return entries;
}

/** Base64 cut into lines of 70 characters, each ending in a newline, once it is longer than one line: kustomize's encoding of Secret data. */
function wrappedBase64(value: string): string {
  const encoded = Buffer.from(value, "utf8").toString("base64");
  if (encoded.length < 70) return encoded;
  return encoded.match(/.{1,70}/g)!.map((line) => `${line}\n`).join("");
}

/**
 * kustomize's name suffix: the first 10 hex digits of the sha256 of a JSON
 * document (keys sorted and HTML characters escaped, as Go's encoding/json
 * writes it) holding the kind, the data and, for a Secret, the type, with
 * vowel-like digits swapped for consonants. The name is hashed as "":
 * kustomize v5 looks it up under the literal field "metadata/name", which
 * does not exist.
 */
function contentHash(object: KubeObject): string {
  const encoded = object.kind === "Secret" ? { kind: "Secret", type: object.type, name: "", data: object.data } : { kind: "ConfigMap", name: "", data: object.data };
  const hex = createHash("sha256").update(goJson(encoded)).digest("hex");
  const swaps: Record<string, string> = { "0": "g", "1": "h", "3": "k", a: "m", e: "t" };
  return [...hex.slice(0, 10)].map((c) => swaps[c] ?? c).join("");
}

function goJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((key) => [key, sorted((v as Record<string, unknown>)[key])])) : v;
  const escapes: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029" };
  return JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => escapes[c]!);
}

function matchesTarget(object: KubeObject, target: Target): boolean {
  if (target.kind !== undefined && object.kind !== target.kind) return false;
  // kustomize matches a target's name as an anchored regular expression.
  if (target.name !== undefined && !new RegExp(`^(?:${target.name})$`).test(object.metadata.name)) return false;
  if (target.labelSelector !== undefined && !matchesSelector(object.metadata.labels ?? {}, target.labelSelector)) return false;
  return true;
}

/**
 * Whether `labels` satisfy a label selector string: `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, comma-separated and all required,
 * as kubectl's `-l` reads it (a missing label satisfies `!=` and `notin`).
 */
export function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  const requirements = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return requirements.every((raw) => {
    const requirement = raw.trim();
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(requirement);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      const has = set[1]! in labels && values.includes(labels[set[1]!]!);
      return set[2] === "in" ? has : !has;
    }
    const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(requirement);
    if (equality) return equality[2] === "!=" ? labels[equality[1]!] !== equality[3] : labels[equality[1]!] === equality[3];
    if (requirement.startsWith("!")) return !(requirement.slice(1) in labels);
    if (/^[^\s!=()]+$/.test(requirement)) return requirement in labels;
    throw new Error(`unsupported label selector requirement "${requirement}"`);
  });
}

function applyOperation(object: KubeObject, operation: PatchOperation): void {
  const tokens = operation.path.split("/").slice(1).map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  const last = tokens.pop();
  if (last === undefined) throw new Error(`patch path "${operation.path}" names the whole object`);
  let parent: any = object;
  for (const token of tokens) {
    parent = parent?.[Array.isArray(parent) ? Number(token) : token];
    if (parent === undefined || parent === null || typeof parent !== "object") throw new Error(`patch path "${operation.path}" does not exist in ${object.kind}/${object.metadata.name}`);
  }
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (operation.op === "add") parent.splice(index, 0, operation.value);
    else if (index >= parent.length) throw new Error(`patch path "${operation.path}" does not exist in ${object.kind}/${object.metadata.name}`);
    else if (operation.op === "replace") parent[index] = operation.value;
    else parent.splice(index, 1);
    return;
  }
  // RFC 6902: replace and remove need the member to exist; add creates or overwrites it.
  if (operation.op !== "add" && !(last in parent)) throw new Error(`patch path "${operation.path}" does not exist in ${object.kind}/${object.metadata.name}`);
  if (operation.op === "remove") delete parent[last];
  else parent[last] = operation.value;
}

interface Container {
  image: string;
  [key: string]: unknown;
}

/** Every container and init container anywhere in the objects (pod templates included). */
function containersOf(objects: unknown[]): Container[] {
  const found: Container[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === "containers" || key === "initContainers") && Array.isArray(value)) found.push(...(value as Container[]).filter((c) => typeof c.image === "string"));
      visit(value);
    }
  };
  visit(objects);
  return found;
}

/** kustomize's image transformer: the name (without tag) must match; newName and newTag replace their parts. */
function retag(image: string, rule: { name: string; newName?: string; newTag?: string }): string {
  if (image.includes("@")) throw new Error(`image "${image}": digests are not supported by this renderer`);
  const colon = image.lastIndexOf(":");
  const hasTag = colon > image.lastIndexOf("/");
  const name = hasTag ? image.slice(0, colon) : image;
  if (name !== rule.name) return image;
  const tag = rule.newTag !== undefined ? `:${rule.newTag}` : hasTag ? image.slice(colon) : "";
  return `${rule.newName ?? name}${tag}`;
}

/** Points references to generated ConfigMaps and Secrets (env, envFrom, volumes) at their hashed names. */
function rewriteReferences(node: unknown, renamed: Map<string, string>): void {
  if (Array.isArray(node)) return node.forEach((n) => rewriteReferences(n, renamed));
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, any>;
  const rename = (holder: Record<string, any> | undefined, kind: string, field: string) => {
    const to = holder && renamed.get(`${kind}/${holder[field]}`);
    if (holder && to) holder[field] = to;
  };
  rename(record.configMapKeyRef, "ConfigMap", "name");
  rename(record.configMapRef, "ConfigMap", "name");
  rename(record.secretKeyRef, "Secret", "name");
  rename(record.secretRef, "Secret", "name");
  rename(record.configMap, "ConfigMap", "name");
  rename(record.secret, "Secret", "secretName");
  for (const value of Object.values(record)) rewriteReferences(value, renamed);
}
