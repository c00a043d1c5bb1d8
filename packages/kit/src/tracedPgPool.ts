/**
 * Database spans for a subgraph's Prisma client. Prisma runs on the query
 * compiler here (`engineType = "client"`): every statement goes through the
 * pg driver adapter in this process, so a span around pg's `Client.query`
 * sees the resolver that asked for it as the active span. A hand-made hook
 * rather than `@prisma/instrumentation`: that one registers on the global
 * tracer provider (one per process), while several services share a process
 * under `npm start`, each with its own provider; and it instruments Prisma's
 * operations, not the SQL the adapter sends.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import pg from "pg";
import { PatientPgPool } from "./patientPgPool.ts";
import { NameAsTextClient } from "./pgNameAsText.ts";

/** `db.query.text` is cut here: Prisma's statements with many columns run to kilobytes. */
export const MAX_QUERY_TEXT = 2_000;

type QueryCallback = (error: Error | null, result: unknown) => void;

/** A statement's text, from pg's query arguments: a string or a `{ text }` config. */
function textOf(first: unknown): string | undefined {
  if (typeof first === "string") return first;
  const text = (first as { text?: unknown } | null | undefined)?.text;
  return typeof text === "string" ? text : undefined;
}

// Tokens enough to find a statement's table: quoted identifiers and strings
// (which may hold anything), parentheses, words, any other character.
const TOKENS = /"(?:[^"]|"")*"|'(?:[^']|'')*'|[()]|[A-Za-z_][\w$]*|\S/g;
const TARGET_AFTER: Record<string, string> = { SELECT: "FROM", DELETE: "FROM", INSERT: "INTO", UPDATE: "UPDATE" };

const unquote = (token: string) => (token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token);
const isIdentifier = (token: string | undefined): token is string => token !== undefined && (token.startsWith('"') || /^[A-Za-z_]/.test(token));

/**
 * The statement's verb (`SELECT`, `BEGIN`, ...) and, for a single-table
 * SELECT / INSERT / UPDATE / DELETE, its table: the first `FROM` / `INTO` /
 * `UPDATE` outside parentheses, schema dropped. A `FROM` inside a column's
 * sub-select or `EXTRACT(... FROM ...)` is never taken for the table.
 */
export function describeStatement(sql: string): { operation: string | undefined; table: string | undefined } {
  const tokens = sql.match(TOKENS) ?? [];
  const operation = tokens[0] && /^[A-Za-z_]/.test(tokens[0]) ? tokens[0].toUpperCase() : undefined;
  const keyword = operation ? TARGET_AFTER[operation] : undefined;
  if (!keyword) return { operation, table: undefined };
  let depth = 0;
  for (let i = keyword === "UPDATE" ? 0 : 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "(") depth++;
    else if (token === ")") depth--;
    else if (depth === 0 && token.toUpperCase() === keyword) {
      let j = i + 1;
      if (tokens[j]?.toUpperCase() === "ONLY") j++;
      if (!isIdentifier(tokens[j])) return { operation, table: undefined };
      // schema.table: the table is the last part.
      while (tokens[j + 1] === "." && isIdentifier(tokens[j + 2])) j += 2;
      return { operation, table: unquote(tokens[j]!) };
    }
  }
  return { operation, table: undefined };
}

/**
 * Marks a failed statement by its SQLSTATE (or the error's name), never its
 * message: PostgreSQL's messages quote the values that failed
 * (`invalid input syntax for type uuid: "..."`).
 */
function failStatement(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  const type = typeof code === "string" ? code : error instanceof Error ? error.name : "Error";
  if (typeof code === "string") span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** pg's connection settings, as a traced client reads them for its spans. */
interface ConnectionTarget {
  database?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
}

function statementAttributes(sql: string, target: ConnectionTarget): { name: string; attributes: Attributes } {
  const { operation, table } = describeStatement(sql);
  const summary = operation && table ? `${operation} ${table}` : operation;
  const attributes: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: "postgresql",
    [ATTR_DB_QUERY_TEXT]: sql.length > MAX_QUERY_TEXT ? sql.slice(0, MAX_QUERY_TEXT) : sql,
  };
  if (target.database) attributes[ATTR_DB_NAMESPACE] = target.database;
  if (target.host) attributes[ATTR_SERVER_ADDRESS] = target.host;
  if (target.port) attributes[ATTR_SERVER_PORT] = target.port;
  if (operation) attributes[ATTR_DB_OPERATION_NAME] = operation;
  if (table) attributes[ATTR_DB_COLLECTION_NAME] = table;
  if (summary) attributes[ATTR_DB_QUERY_SUMMARY] = summary;
  return { name: summary ?? "postgresql", attributes };
}

/**
 * A pg Client class whose statements are CLIENT spans of `tracer`, children
 * of the active span, made only while a recording span is active: a
 * statement nobody traces (the outbox relay polling, a readiness check)
 * makes none, and costs one context lookup. The span holds the parameterised
 * SQL; the bound values are never read.
 */
export function tracedPgClient(tracer: Tracer, Base: typeof pg.Client = NameAsTextClient): typeof pg.Client {
  return class TracedPgClient extends Base {
    override query(...args: unknown[]): any {
      const query = super.query as (...a: unknown[]) => unknown;
      const parent = context.active();
      const sql = trace.getSpan(parent)?.isRecording() ? textOf(args[0]) : undefined;
      if (sql === undefined) return query.apply(this, args);
      const { name, attributes } = statementAttributes(sql, this);
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
      const end = (error: unknown) => {
        if (error) failStatement(span, error);
        span.end();
      };
      const ending = (callback: QueryCallback): QueryCallback => (error, result) => {
        end(error);
        callback(error, result);
      };
      // The same call shapes NameAsTextClient handles: a trailing callback, a
      // config's callback, or a promise.
      const last = args.length - 1;
      if (typeof args[last] === "function") args[last] = ending(args[last] as QueryCallback);
      else if (typeof (args[0] as { callback?: unknown }).callback === "function") {
        const config = args[0] as { callback: QueryCallback };
        config.callback = ending(config.callback);
      } else {
        let returned: unknown;
        try {
          returned = query.apply(this, args);
        } catch (error) {
          end(error);
          throw error;
        }
        if (!(returned instanceof Promise)) {
          end(undefined);
          return returned;
        }
        return returned.then(
          (result) => {
            end(undefined);
            return result;
          },
          (error: unknown) => {
            end(error);
            throw error;
          },
        );
      }
      try {
        return query.apply(this, args);
      } catch (error) {
        end(error);
        throw error;
      }
    }
  };
}

/**
 * A pg Pool whose clients are `tracedPgClient`s. `pool.query()` waits for a
 * free client and then calls the client's query from the callback it gave
 * `connect()`; when every client is busy, that callback runs inside whichever
 * request released one. Binding the callback to the caller's context keeps
 * each statement's span under the request that sent it.
 */
export function tracedPgPool(config: pg.PoolConfig, tracer: Tracer): pg.Pool {
  const Client = tracedPgClient(tracer, (config.Client as typeof pg.Client | undefined) ?? NameAsTextClient);
  class TracedPool extends PatientPgPool {
    override connect(...args: unknown[]): any {
      const connect = super.connect as (...a: unknown[]) => unknown;
      if (typeof args[0] === "function") args[0] = context.bind(context.active(), args[0] as (...a: unknown[]) => unknown);
      return connect.apply(this, args);
    }
  }
  return new TracedPool({ ...config, Client });
}
