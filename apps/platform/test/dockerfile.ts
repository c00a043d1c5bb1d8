/**
 * Reads a Dockerfile into stages of instructions, for tests that check
 * docker/Dockerfile without Docker: the compose test compares commands with
 * the image's, the image test replays the runtime stage (replayStage.ts).
 * Only the syntax our Dockerfile uses: line continuations, comments, global
 * ARGs with defaults (substituted in FROM), `--flag=value` options, exec
 * (JSON) and shell forms. Anything else is refused, not guessed.
 */
import { readFileSync } from "node:fs";

export interface Instruction {
  /** Upper-cased: `COPY`, `RUN`, ... */
  keyword: string;
  /** Leading `--name=value` options, e.g. `{ from: "build" }` for `COPY --from=build`. */
  flags: Record<string, string>;
  /** The rest of the instruction, after the options. */
  args: string;
  /** 1-based line of the instruction's first line, for messages. */
  line: number;
}

export interface Stage {
  /** The `AS` name, if any. */
  name: string | undefined;
  /** The base image, build arguments substituted. */
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  /** The last stage: what `docker build` produces without `--target`. */
  final: Stage;
  /** The stage named `name`; throws when there is none. */
  stage(name: string): Stage;
}

const FLAG = /^--([a-z-]+)=(\S+)\s*/;

/** Reads `path`; `buildArgs` override the global ARGs' defaults, as `--build-arg` does. */
export function readDockerfile(path: string, buildArgs: Record<string, string> = {}): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text, line } of logicalLines(readFileSync(path, "utf8"))) {
    const [, word = "", rest = ""] = /^(\S+)\s*([\s\S]*)$/.exec(text) ?? [];
    const keyword = word.toUpperCase();
    let body = rest;
    const flags: Record<string, string> = {};
    for (let match = FLAG.exec(body); match; match = FLAG.exec(body)) {
      flags[match[1]!] = match[2]!;
      body = body.slice(match[0].length);
    }
    if (keyword === "ARG" && stages.length === 0) {
      const [, name = "", value] = /^(\w+)(?:=(.*))?$/.exec(body) ?? [];
      if (!name) throw new Error(`${path}:${line}: ARG wants NAME[=default]`);
      args[name] = buildArgs[name] ?? value ?? "";
    } else if (keyword === "FROM") {
      const [, image = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(body) ?? [];
      if (!image) throw new Error(`${path}:${line}: FROM wants an image`);
      stages.push({ name, image: image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => args[(a ?? b)!] ?? ""), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${path}:${line}: ${keyword} before any FROM`);
      stage.instructions.push({ keyword, flags, args: body, line });
    }
  }
  const final = stages.at(-1);
  if (!final) throw new Error(`${path}: no FROM`);
  return {
    stages,
    final,
    stage(name) {
      const found = stages.find((s) => s.name === name);
      if (!found) throw new Error(`${path}: no stage named ${name}`);
      return found;
    },
  };
}

/** An exec-form argument list (`["node", "-e", "..."]`), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** `ENV A=1 B="two words"` as `{ A: "1", B: "two words" }`; the legacy `ENV A 1` too. */
export function envPairs(args: string): Record<string, string> {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy) return { [legacy[1]!]: legacy[2]!.trim() };
  const pairs: Record<string, string> = {};
  for (const [, name, quoted, plain] of args.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)) pairs[name!] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : plain!;
  return pairs;
}

/** A HEALTHCHECK's options and command (`NONE` gives no command). */
export function healthcheckOf(instruction: Instruction): { options: Record<string, string>; command: string[] | undefined } {
  if (/^NONE$/i.test(instruction.args)) return { options: instruction.flags, command: undefined };
  const [, rest] = /^CMD\s+([\s\S]+)$/i.exec(instruction.args) ?? [];
  if (!rest) throw new Error(`HEALTHCHECK on line ${instruction.line} wants CMD or NONE`);
  return { options: instruction.flags, command: execForm(rest) ?? ["/bin/sh", "-c", rest] };
}

/** Instructions joined across `\` continuations, comments and blank lines dropped. */
function* logicalLines(text: string): Generator<{ text: string; line: number }> {
  let pending = "";
  let start = 0;
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    // A comment line inside a continued instruction is dropped, as Docker does.
    if (trimmed.startsWith("#") || (trimmed === "" && pending === "")) continue;
    if (pending === "") start = index + 1;
    if (trimmed.endsWith("\\")) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const full = (pending + trimmed).trim();
    pending = "";
    if (full) yield { text: full, line: start };
  }
  if (pending.trim()) yield { text: pending.trim(), line: start };
}
