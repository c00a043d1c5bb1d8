/**
 * Where each service's database is. One PostgreSQL server may hold all seven:
 * DATABASE_SERVER_URL names the server and DATABASE_NAME_PREFIX goes before
 * each service's name, so service `orders` uses `<server>/<prefix>orders`.
 * DATABASE_URL, when set, wins for a command about one service
 * (start:subgraph, migrate or seed of one service, admin:create).
 */
import { ConfigError } from "@store/kit";
import type { ServiceName } from "./services.ts";

export type Env = Record<string, string | undefined>;

type Problem = ConfigError["problems"][number];

const POSTGRES_URL = /^postgres(ql)?:\/\//;
const EXAMPLE_SERVER = "postgresql://postgres@127.0.0.1:5432";
/** PostgreSQL cuts names at 63 bytes; the longest service name ("inventory") has 9. */
const MAX_PREFIX = 63 - "inventory".length;

export interface DatabaseServer {
  /** `<prefix><service>`. */
  nameOf(service: ServiceName): string;
  urlOf(service: ServiceName): string;
  /** The server's `postgres` database, which databases are created from. */
  maintenanceUrl: string;
}

/** Empty counts as unset, as it does for the services' own configuration. */
const read = (env: Env, variable: string): string | undefined => env[variable] || undefined;

function serverUrl(raw: string | undefined, problems: Problem[]): URL | undefined {
  const variable = "DATABASE_SERVER_URL";
  if (!raw) {
    problems.push({ variable, message: `is required, e.g. ${EXAMPLE_SERVER}` });
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = POSTGRES_URL.test(raw) ? new URL(raw) : undefined;
  } catch {
    // Reported below, like any value that is not a postgresql:// URL.
  }
  if (!url) problems.push({ variable, message: `must be a postgresql:// URL of the server, e.g. ${EXAMPLE_SERVER}` });
  else if (url.pathname !== "" && url.pathname !== "/") problems.push({ variable, message: `must name the server only, without a database (${url.pathname}): each service's database on it is <DATABASE_NAME_PREFIX><name>` });
  return url;
}

/** DATABASE_SERVER_URL and DATABASE_NAME_PREFIX, checked: a bad one throws a ConfigError naming it. */
export function databaseServer(env: Env): DatabaseServer {
  const problems: Problem[] = [];
  const server = serverUrl(read(env, "DATABASE_SERVER_URL"), problems);
  const prefix = env.DATABASE_NAME_PREFIX ?? "";
  // A plain identifier: no quoting in psql, no escaping in URLs.
  if (!/^[a-z0-9_]*$/.test(prefix)) problems.push({ variable: "DATABASE_NAME_PREFIX", message: "must be lower-case letters, digits and '_' only, e.g. staging_" });
  if (prefix.length > MAX_PREFIX) problems.push({ variable: "DATABASE_NAME_PREFIX", message: `must be at most ${MAX_PREFIX} characters (database names have at most 63)` });
  if (problems.length > 0 || !server) throw new ConfigError(problems);
  const at = (database: string) => {
    const url = new URL(server);
    url.pathname = `/${database}`;
    return url.toString();
  };
  return { nameOf: (service) => `${prefix}${service}`, urlOf: (service) => at(`${prefix}${service}`), maintenanceUrl: at("postgres") };
}

/** The database of a command about one service: DATABASE_URL when set, else derived from DATABASE_SERVER_URL. */
export function databaseUrlOf(service: ServiceName, env: Env): string {
  const explicit = read(env, "DATABASE_URL");
  if (explicit) {
    if (!POSTGRES_URL.test(explicit)) throw new ConfigError([{ variable: "DATABASE_URL", message: "must be a postgresql:// connection URL" }]);
    return explicit;
  }
  if (!read(env, "DATABASE_SERVER_URL")) {
    throw new ConfigError([{ variable: "DATABASE_URL", message: `is required, or DATABASE_SERVER_URL to derive it from (<server>/<DATABASE_NAME_PREFIX>${service})` }]);
  }
  return databaseServer(env).urlOf(service);
}

/**
 * The databases of `services`: one service's as databaseUrlOf says; several
 * always on DATABASE_SERVER_URL (one DATABASE_URL cannot be seven databases,
 * so it is ignored, and `ignoredDatabaseUrl` says so).
 */
export function databaseUrlsOf(services: readonly ServiceName[], env: Env): { urls: Map<ServiceName, string>; ignoredDatabaseUrl: boolean } {
  if (services.length === 1) return { urls: new Map([[services[0]!, databaseUrlOf(services[0]!, env)]]), ignoredDatabaseUrl: false };
  const server = databaseServer(env);
  return { urls: new Map(services.map((service) => [service, server.urlOf(service)])), ignoredDatabaseUrl: read(env, "DATABASE_URL") !== undefined };
}

/** A connection URL fit to print: the password hidden. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(a URL that does not parse)";
  }
}
