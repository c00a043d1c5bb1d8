import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { Supergraph } from "@apollo/federation-internals";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import type { GraphQLSchema } from "graphql";
import { composeSupergraph, type CompositionProblem } from "./compose.ts";
import { readSupergraphConfig, type FileReader } from "./config.ts";
import { loadOperations, operationCoordinates, touches, validateOperation } from "./operations.ts";

export type ChangeLevel = "breaking" | "dangerous" | "safe";

export interface SchemaChange {
  level: ChangeLevel;
  type: string;
  message: string;
  path: string | null;
  /** Registered operations this change can break (for breaking changes). */
  affectedOperations: string[];
}

export interface SchemaCheckOptions {
  /** Repository root. @default process.cwd() */
  root?: string;
  /** @default "supergraph.yaml" */
  config?: string;
  /** The committed supergraph. @default "supergraph.graphql" */
  supergraph?: string;
  /** @default "operations" */
  operations?: string;
  /** Compare against the supergraph composed at this git ref instead of the committed file. */
  baseRef?: string;
  /** A subgraph team's proposal: this subgraph's SDL replaced by the file's. */
  proposal?: { subgraph: string; schemaFile: string };
  /** Let breaking changes pass when no registered operation uses them. @default false */
  allowUnusedBreaking?: boolean;
}

export interface SchemaCheckReport {
  ok: boolean;
  base: string;
  composition: { ok: boolean; problems: CompositionProblem[] };
  /** null when not checked (a proposal is compared, not the committed file). */
  supergraphUpToDate: boolean | null;
  changes: SchemaChange[];
  invalidOperations: { name: string; file: string; errors: string[] }[];
  operationsChecked: number;
  /** Why the check failed, one line each. */
  failures: string[];
}

const LEVEL: Record<CriticalityLevel, ChangeLevel> = {
  [CriticalityLevel.Breaking]: "breaking",
  [CriticalityLevel.Dangerous]: "dangerous",
  [CriticalityLevel.NonBreaking]: "safe",
};

const apiSchemaOf = (supergraphSdl: string): GraphQLSchema => Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

function gitReader(root: string, ref: string): FileReader {
  return (path) => execFileSync("git", ["show", `${ref}:${relative(root, path)}`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The schema check CI runs: composition, a current supergraph.graphql, the
 * change classification against a base, and every registered operation
 * validated against the new schema, with each breaking change mapped to the
 * operations it breaks.
 */
export async function runSchemaCheck(options: SchemaCheckOptions = {}): Promise<SchemaCheckReport> {
  const root = resolve(options.root ?? process.cwd());
  const at = (p: string) => resolve(root, p);
  const configPath = at(options.config ?? "supergraph.yaml");
  const supergraphPath = at(options.supergraph ?? "supergraph.graphql");
  const failures: string[] = [];

  const subgraphs = readSupergraphConfig(configPath);
  if (options.proposal) {
    const target = subgraphs.find((s) => s.name === options.proposal!.subgraph);
    if (!target) throw new Error(`no subgraph named ${options.proposal.subgraph} in ${relative(root, configPath)}`);
    target.file = resolve(options.proposal.schemaFile);
    target.sdl = readFileSync(target.file, "utf8");
  }
  const composed = composeSupergraph(subgraphs, root);
  const base = options.baseRef ? `git ref ${options.baseRef}` : relative(root, supergraphPath);
  const report: SchemaCheckReport = {
    ok: false,
    base,
    composition: { ok: composed.ok, problems: composed.ok ? [] : composed.problems },
    supergraphUpToDate: null,
    changes: [],
    invalidOperations: [],
    operationsChecked: 0,
    failures,
  };
  if (!composed.ok) {
    failures.push(`composition failed with ${composed.problems.length} error(s)`);
    return report;
  }
  const fresh = composed.supergraphSdl.endsWith("\n") ? composed.supergraphSdl : `${composed.supergraphSdl}\n`;
  const committed = readFileSync(supergraphPath, "utf8");
  if (!options.proposal) {
    report.supergraphUpToDate = committed === fresh;
    if (!report.supergraphUpToDate) failures.push(`${relative(root, supergraphPath)} is stale: run \`npm run compose\` and commit it`);
  }

  let baseSdl = committed;
  if (options.baseRef) {
    const atRef = composeSupergraph(readSupergraphConfig(configPath, gitReader(root, options.baseRef)), root);
    if (!atRef.ok) throw new Error(`the subgraphs at ${options.baseRef} do not compose: ${atRef.problems[0]?.message}`);
    baseSdl = atRef.supergraphSdl;
  }
  const baseSchema = apiSchemaOf(baseSdl);
  const newSchema = apiSchemaOf(fresh);

  const operations = loadOperations(at(options.operations ?? "operations"));
  report.operationsChecked = operations.length;
  for (const operation of operations) {
    const errors = validateOperation(newSchema, operation);
    if (errors.length) report.invalidOperations.push({ name: operation.name, file: operation.file, errors });
  }
  if (report.invalidOperations.length) failures.push(`${report.invalidOperations.length} registered operation(s) are invalid against the new schema`);

  // Usage is measured on the base schema: that is what the clients run today.
  const usage = operations.map((operation) => ({ name: operation.name, coordinates: operationCoordinates(baseSchema, operation.document) }));
  for (const change of await diff(baseSchema, newSchema)) {
    const level = LEVEL[change.criticality.level];
    report.changes.push({
      level,
      type: change.type,
      message: change.message,
      path: change.path ?? null,
      affectedOperations: level === "breaking" ? usage.filter((u) => touches({ type: change.type, path: change.path }, u.coordinates)).map((u) => u.name) : [],
    });
  }
  const breaking = report.changes.filter((c) => c.level === "breaking");
  const blocking = options.allowUnusedBreaking ? breaking.filter((c) => c.affectedOperations.length > 0) : breaking;
  if (blocking.length) failures.push(`${blocking.length} breaking change(s)${options.allowUnusedBreaking ? " used by registered operations" : ""}`);
  report.ok = failures.length === 0;
  return report;
}

/** A report a person can act on. */
export function formatReport(report: SchemaCheckReport): string {
  const lines: string[] = [];
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  lines.push(`Schema check against ${report.base}`);
  lines.push(`${mark(report.composition.ok)} composition${report.composition.ok ? "" : " failed"}`);
  for (const p of report.composition.problems) {
    lines.push(`    ${p.code} [${p.subgraphs.join(", ") || "supergraph"}] ${p.message}`);
    for (const location of p.locations) lines.push(`      at ${location}`);
  }
  if (report.supergraphUpToDate !== null) lines.push(`${mark(report.supergraphUpToDate)} supergraph.graphql ${report.supergraphUpToDate ? "is up to date" : "is stale (run npm run compose)"}`);
  if (report.composition.ok) {
    lines.push(`${mark(report.invalidOperations.length === 0)} ${report.operationsChecked} registered operations ${report.invalidOperations.length ? `(${report.invalidOperations.length} invalid)` : "are valid"}`);
    for (const op of report.invalidOperations) lines.push(`    ${op.name} (${op.file}): ${op.errors.join("; ")}`);
    const by = (level: ChangeLevel) => report.changes.filter((c) => c.level === level);
    lines.push(`  changes: ${by("breaking").length} breaking, ${by("dangerous").length} dangerous, ${by("safe").length} safe`);
    for (const level of ["breaking", "dangerous", "safe"] as const) {
      for (const change of by(level)) {
        const affected = change.affectedOperations.length ? ` — breaks ${change.affectedOperations.join(", ")}` : level === "breaking" ? " — used by no registered operation" : "";
        lines.push(`    ${level.toUpperCase().padEnd(9)} ${change.message}${affected}`);
      }
    }
  }
  lines.push(report.ok ? "✓ schema check passed" : `✗ schema check failed: ${report.failures.join("; ")}`);
  return lines.join("\n");
}
