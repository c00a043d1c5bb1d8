import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { visit, type DocumentNode, type ValueNode } from "graphql";
import { ERRORS } from "./errors.ts";

/**
 * Refuses, before any resolver runs, every request whose input strings hold a
 * NUL character or an unpaired UTF-16 surrogate. PostgreSQL cannot store a NUL
 * in text (the driver fails with "invalid byte sequence", which used to come
 * back as INTERNAL_SERVER_ERROR), and a lone surrogate has no UTF-8 form: it
 * would be stored as U+FFFD, a silent change of what the client sent.
 *
 * Checked: string literals in arguments (nested in input objects and lists,
 * on fields and directives) and in variable defaults, and every string in the
 * variables (values and object keys), whatever the declared type: a custom
 * scalar such as `_Any` reaches SQL too. The walks are iterative, so deeply
 * nested input cannot overflow the stack.
 */

/** Why a string may not be used as input, or undefined when it may. */
export function unsafeCharacterIn(value: string): string | undefined {
  if (value.includes("\u0000")) return "must not contain a NUL character";
  // Without the `u` flag a regex sees UTF-16 code units: a high surrogate not
  // followed by a low one, or a low one not preceded by a high one.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) return "must not contain an unpaired UTF-16 surrogate";
  return undefined;
}

export interface UnsafeStringIssue {
  /** Where the string is: `$variable.path.0` for variables, `argument.path` for literals. */
  field: string;
  message: string;
}

/** At most this many issues are reported: enough to fix a request, too few to amplify one. */
const MAX_ISSUES = 20;

/** Every unsafe string (or object key) in a JSON value, named by its path under `root`. */
export function findUnsafeStrings(value: unknown, root: string, issues: UnsafeStringIssue[] = []): UnsafeStringIssue[] {
  // [value, its path, the path of the object holding it when it sits under a key]
  const stack: [unknown, string, string?][] = [[value, root]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [current, path, parent] = stack.pop()!;
    if (parent !== undefined) {
      const problem = unsafeCharacterIn(path.slice(parent.length + 1));
      // The key itself is not echoed: it is what is broken.
      if (problem) {
        issues.push({ field: `${parent}.(key)`, message: problem });
        continue;
      }
    }
    if (typeof current === "string") {
      const problem = unsafeCharacterIn(current);
      if (problem) issues.push({ field: path, message: problem });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}.${i}`]);
    } else if (current !== null && typeof current === "object") {
      for (const [key, child] of Object.entries(current).reverse()) stack.push([child, `${path}.${key}`, path]);
    }
  }
  return issues;
}

function findUnsafeLiterals(value: ValueNode, root: string, issues: UnsafeStringIssue[]): void {
  const stack: [ValueNode, string][] = [[value, root]];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const [node, path] = stack.pop()!;
    if (node.kind === "StringValue") {
      const problem = unsafeCharacterIn(node.value);
      if (problem) issues.push({ field: path, message: problem });
    } else if (node.kind === "ListValue") {
      node.values.forEach((item, i) => stack.push([item, `${path}.${i}`]));
    } else if (node.kind === "ObjectValue") {
      for (const field of node.fields) stack.push([field.value, `${path}.${field.name.value}`]);
    }
  }
}

/** Unsafe strings in a document's argument literals and variable defaults. */
export function findUnsafeDocumentStrings(document: DocumentNode, issues: UnsafeStringIssue[] = []): UnsafeStringIssue[] {
  visit(document, {
    Argument(node) {
      findUnsafeLiterals(node.value, node.name.value, issues);
    },
    VariableDefinition(node) {
      if (node.defaultValue) findUnsafeLiterals(node.defaultValue, `$${node.variable.name.value}`, issues);
    },
  });
  return issues;
}

/** One BAD_USER_INPUT naming every unsafe string, with HTTP 400 when it refuses a whole request. */
export function unsafeStringsError(issues: readonly UnsafeStringIssue[]) {
  const summary = issues.map((issue) => `${issue.field}: ${issue.message}`).join("; ");
  return ERRORS.BAD_USER_INPUT.err(`Invalid input: ${summary}`, { extensions: { issues, http: { status: ERRORS.BAD_USER_INPUT.httpStatus } } });
}

/** The Apollo Server plugin: runs once the operation is parsed and validated, before execution. */
export function useSafeStrings<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const issues = findUnsafeDocumentStrings(document);
          if (request.variables) findUnsafeStrings(request.variables, "$", issues);
          if (issues.length > 0) {
            // "$.input.email" reads worse than "$input.email".
            throw unsafeStringsError(issues.map((issue) => ({ ...issue, field: issue.field.replace(/^\$\./, "$") })));
          }
        },
      };
    },
  };
}
