// bench/README.md is written by hand except for generated sections between
// `<!-- name:start -->` and `<!-- name:end -->`, which each benchmark script
// replaces with its latest results (appended at the end when missing).
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const README = join(dirname(dirname(fileURLToPath(import.meta.url))), "README.md");

export function writeReadmeSection(name, markdown) {
  let text = "";
  try {
    text = readFileSync(README, "utf8");
  } catch {}
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(README, text);
}
