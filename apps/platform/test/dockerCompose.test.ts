import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig, subgraphConfigSchema } from "@store/kit";
import { loadRouterConfig } from "@store/router";
import { readSupergraphConfig } from "@store/supergraph";
import { databaseServer } from "../../../scripts/lib/databases.ts";
import type { ServiceName } from "../../../scripts/lib/services.ts";
import { allServices } from "../src/index.ts";
import { execForm, healthcheckOf, readDockerfile } from "./dockerfile.ts";

/**
 * Docker cannot run on this machine kind, so docker-compose.yml is checked by
 * reading it: every service, port and variable against the code's own config
 * schemas, so the file cannot drift from what the processes accept.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
// merge: compose files use YAML merge keys (<<: *anchor), as Docker Compose does.
const compose = parse(readFileSync(`${root}docker-compose.yml`, "utf8"), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string };
      profiles?: string[];
      restart?: string;
      command?: string[];
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test?: string[]; disable?: boolean };
    }
  >;
};
const dockerfile = readDockerfile(`${root}docker/Dockerfile`);
/** The image's default command, the router: `node --import tsx router/src/main.ts`. */
const imageCmd = execForm(dockerfile.final.instructions.findLast((i) => i.keyword === "CMD")!.args)!;
/** How the image runs a source file: the CMD without its file. */
const imageEntry = imageCmd.slice(0, -1);

/** The observability services compose adds next to the platform. */
const observability = ["jaeger", "prometheus", "grafana"];
/** Every process of the platform: the router and the seven subgraphs. */
const appServices = ["router", ...allServices.map((s) => s.name)];
/**
 * Read by the OpenTelemetry SDK from the environment (the standard
 * variables), not by the subgraphs' config schema.
 */
const otelVariables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"];

/** Compose's `${VAR:-default}` interpolation, with an empty environment. */
function interpolate(env: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback)]));
}

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, NATS with JetStream, every subgraph and the router", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["nats", "postgres", "redis", ...appServices, "seed", ...observability].sort());
    expect(compose.services.nats?.command).toContain("-js");
    const init = readFileSync(`${root}docker/postgres-init.sql`, "utf8");
    for (const service of allServices) expect(init).toContain(`CREATE DATABASE ${service.name};`);
  });

  for (const service of allServices) {
    it(`configures ${service.name} as its config schema expects`, () => {
      const definition = compose.services[service.name]!;
      const env = interpolate(definition.environment);
      const config = loadConfig(subgraphConfigSchema(service.defaultPort, {}), env);
      expect(config.PORT).toBe(service.defaultPort);
      expect(config.HOST).toBe("0.0.0.0");
      expect(new URL(config.DATABASE_URL).pathname).toBe(`/${service.name}`);
      expect(env.NATS_URL).toBe("nats://nats:4222");
      expect(env.REDIS_URL).toBe("redis://redis:6379");
      expect(definition.command).toEqual([...imageEntry, "scripts/start-subgraph.ts", service.name, "--migrate"]);
      expect(definition.depends_on).toMatchObject({ postgres: { condition: "service_healthy" }, nats: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
      expect(definition.healthcheck?.test?.join(" ")).toContain(`127.0.0.1:${service.defaultPort}/ready`);
      // Every variable set must be one the process reads.
      const known = new Set([...Object.keys(subgraphConfigSchema(service.defaultPort, {}).shape), "JWT_SECRET", ...otelVariables]);
      for (const key of Object.keys(env)) expect(known, `${service.name}: ${key}`).toContain(key);
      if (service.name === "accounts") expect(env.JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
    });
  }

  it("points the router at every subgraph of supergraph.yaml, on the port that subgraph listens on", () => {
    const router = compose.services.router!;
    const env = interpolate(router.environment);
    const config = loadRouterConfig(env);
    expect(config.PORT).toBe(4000);
    expect(router.ports).toContain("4000:4000");
    expect(router.command).toEqual(imageCmd);
    const names = readSupergraphConfig(`${root}supergraph.yaml`).map((s) => s.name).sort();
    expect(Object.keys(config.subgraphUrls).sort()).toEqual(names);
    for (const name of names) {
      const port = compose.services[name]!.environment!.PORT;
      expect(config.subgraphUrls[name]).toBe(`http://${name}:${port}/graphql`);
      expect(router.depends_on?.[name]?.condition).toBe("service_healthy");
    }
    // The router and accounts must share the JWT secret, and all must share the signing secret.
    expect(env.JWT_SECRET).toBe(interpolate(compose.services.accounts!.environment).JWT_SECRET);
    expect(config.REDIS_URL).toBe("redis://redis:6379");
    for (const service of allServices) expect(interpolate(compose.services[service.name]!.environment).ROUTER_SIGNING_SECRET).toBe(env.ROUTER_SIGNING_SECRET);
  });

  it("runs every app service from the one image, node as each container's process, checked without curl", () => {
    // node itself (not npm) gets the container's SIGTERM; the image has no curl or wget.
    expect(imageEntry).toEqual(["node", "--import", "tsx"]);
    for (const name of [...appServices, "seed"]) {
      const service = compose.services[name]!;
      expect(service.image, name).toBe("store-platform:local");
      expect(service.build, name).toEqual({ context: ".", dockerfile: "docker/Dockerfile" });
      expect(service.command?.slice(0, imageEntry.length), name).toEqual(imageEntry);
      for (const file of service.command!.filter((arg) => /\.ts$/.test(arg))) expect(existsSync(`${root}${file}`), `${name}: ${file}`).toBe(true);
      if (name !== "seed") expect(service.healthcheck?.test?.slice(0, 2), name).toEqual(["CMD", "node"]);
    }
  });

  it("seeds the demo data once, under the demo profile, into the databases the subgraphs use, once they are healthy", () => {
    const seed = compose.services.seed!;
    expect(seed.profiles).toEqual(["demo"]);
    expect(seed.restart).toBe("no");
    expect(seed.command).toEqual([...imageEntry, "scripts/seed.ts", "all"]);
    expect(seed.healthcheck?.disable).toBe(true);
    const server = databaseServer(interpolate(seed.environment));
    for (const service of allServices) {
      expect(server.urlOf(service.name as ServiceName)).toBe(interpolate(compose.services[service.name]!.environment).DATABASE_URL);
      expect(seed.depends_on?.[service.name]?.condition).toBe("service_healthy");
    }
    for (const key of Object.keys(seed.environment ?? {})) expect(["DATABASE_SERVER_URL", "DATABASE_NAME_PREFIX"]).toContain(key);
  });
});

describe("docker/Dockerfile", () => {
  const build = dockerfile.stage("build");
  const runtime = dockerfile.final;
  const runs = (stage: typeof build) => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
  const envOf = (stage: typeof build) => stage.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args);

  it("installs the dev tools and generates the Prisma clients in the build stage", () => {
    // NODE_ENV=production before `npm ci` would skip them (tsx once, prisma): the image could not start.
    expect(envOf(build).join(" ")).not.toMatch(/NODE_ENV/);
    expect(runs(build).join(" && ")).toMatch(/npm ci(?![^&]*--omit)/);
    expect(runs(build).join(" && ")).toContain("npm run generate");
  });

  it("runs on production dependencies, in production mode, as a non-root user, with a health check", () => {
    expect(runtime).not.toBe(build);
    expect(runs(runtime).join(" && ")).toMatch(/npm ci [^&]*--omit=dev/);
    expect(envOf(runtime)).toContain("NODE_ENV=production");
    expect(runtime.instructions.filter((i) => i.keyword === "COPY" && i.flags.from !== undefined).every((i) => i.flags.from === "build")).toBe(true);
    const user = runtime.instructions.findLast((i) => i.keyword === "USER")?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const healthcheck = runtime.instructions.find((i) => i.keyword === "HEALTHCHECK");
    expect(healthcheck && healthcheckOf(healthcheck).command?.[0]).toBe("node");
  });
});

/** A compose port mapping `[ip:]host:container`, split. */
function portMapping(mapping: string): { ip: string | undefined; host: number; container: number } {
  const parts = mapping.split(":");
  const container = Number(parts.at(-1));
  const host = Number(parts.at(-2));
  return { ip: parts.length === 3 ? parts[0] : undefined, host, container };
}

/** The container path a `./host/path:/container/path[:ro]` volume mounts `source` at. */
function mountOf(service: string, source: string): string | undefined {
  for (const volume of compose.services[service]?.volumes ?? []) {
    const [from, to] = volume.split(":");
    if (from === source) return to;
  }
  return undefined;
}

/** The port each app service serves /metrics on, read from its compose environment. */
function metricsPortOf(name: string): number {
  const env = interpolate(compose.services[name]!.environment);
  if (name === "router") {
    // The image runs with NODE_ENV=production: the router's /metrics is on METRICS_PORT (9464 by default).
    const config = loadRouterConfig({ ...env, NODE_ENV: "production" });
    return config.METRICS_PORT ?? 9464;
  }
  return Number(env.PORT);
}

describe("docker-compose.yml: tracing", () => {
  const jaeger = compose.services.jaeger!;

  it("runs Jaeger all-in-one with OTLP over HTTP, published on loopback only", () => {
    expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one(:|$)/);
    expect(interpolate(jaeger.environment).COLLECTOR_OTLP_ENABLED).toBe("true");
    const ports = (jaeger.ports ?? []).map(portMapping);
    expect(ports).toContainEqual({ ip: "127.0.0.1", host: 16686, container: 16686 });
    expect(ports.map((p) => p.container)).toContain(4318);
  });

  for (const name of appServices) {
    it(`sends ${name}'s traces to the jaeger service as "${name}"`, () => {
      const env = interpolate(compose.services[name]!.environment);
      const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!);
      expect(endpoint.protocol).toBe("http:");
      expect(endpoint.hostname).toBe("jaeger");
      expect(Number(endpoint.port)).toBe(4318);
      expect(env.OTEL_SERVICE_NAME).toBe(name);
      expect(env.OTEL_TRACES_SAMPLER).toBe("parentbased_traceidratio");
      const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
      expect(ratio).toBe(1);
    });
  }
});

describe("docker/prometheus/prometheus.yml", () => {
  const prometheus = compose.services.prometheus!;
  const config = parse(readFileSync(`${root}docker/prometheus/prometheus.yml`, "utf8")) as {
    global?: { scrape_interval?: string };
    scrape_configs: { job_name: string; scrape_interval?: string; metrics_path?: string; authorization?: unknown; static_configs: { targets: string[] }[] }[];
  };

  it("is mounted into the prometheus service, whose UI is published on loopback only", () => {
    expect(mountOf("prometheus", "./docker/prometheus/prometheus.yml")).toBe("/etc/prometheus/prometheus.yml");
    expect((prometheus.ports ?? []).map(portMapping)).toContainEqual({ ip: "127.0.0.1", host: 9090, container: 9090 });
  });

  it("scrapes only services compose runs", () => {
    for (const job of config.scrape_configs) {
      for (const target of job.static_configs.flatMap((s) => s.targets)) expect(Object.keys(compose.services), `${job.job_name}: ${target}`).toContain(target.split(":")[0]);
    }
  });

  for (const name of appServices) {
    it(`scrapes ${name} every 5 s on the port it serves /metrics on`, () => {
      const jobs = config.scrape_configs.filter((j) => j.job_name === name);
      expect(jobs, `a scrape job named ${name}`).toHaveLength(1);
      const job = jobs[0]!;
      expect(job.static_configs.flatMap((s) => s.targets)).toEqual([`${name}:${metricsPortOf(name)}`]);
      expect(job.scrape_interval ?? config.global?.scrape_interval).toBe("5s");
      expect(job.metrics_path ?? "/metrics").toBe("/metrics");
    });
  }

  it("reaches the router's metrics port from another container, with a bearer token only if the router wants one", () => {
    const env = interpolate(compose.services.router!.environment);
    const router = loadRouterConfig({ ...env, NODE_ENV: "production" });
    // The default, 127.0.0.1, would answer only inside the router's own container.
    expect(router.METRICS_HOST).toBe("0.0.0.0");
    // Not published: only Prometheus, inside compose's network, reads it.
    expect((compose.services.router!.ports ?? []).map((p) => portMapping(p).container)).not.toContain(metricsPortOf("router"));
    const job = config.scrape_configs.find((j) => j.job_name === "router")!;
    if (router.METRICS_TOKEN === undefined) expect(job.authorization).toBeUndefined();
    else expect(job.authorization).toBeDefined();
  });
});

describe("docker/grafana", () => {
  const grafana = compose.services.grafana!;
  const grafanaEnv = interpolate(grafana.environment);
  const datasources = parse(readFileSync(`${root}docker/grafana/provisioning/datasources/prometheus.yml`, "utf8")) as {
    datasources: { name: string; uid: string; type: string; url: string }[];
  };
  const providers = parse(readFileSync(`${root}docker/grafana/provisioning/dashboards/dashboards.yml`, "utf8")) as {
    providers: { type: string; options: { path: string } }[];
  };
  const dashboard = JSON.parse(readFileSync(`${root}docker/grafana/dashboards/store-platform.json`, "utf8")) as {
    title: string;
    uid: string;
    schemaVersion: number;
    panels: Panel[];
  };
  interface Panel {
    type: string;
    title: string;
    datasource?: { type: string; uid: string };
    targets?: { expr?: string; datasource?: { uid: string } }[];
    panels?: Panel[];
  }
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");
  const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));

  it("runs Grafana on loopback (not port 3000), for anonymous viewers, phoning nowhere", () => {
    const ports = (grafana.ports ?? []).map(portMapping);
    expect(ports).toHaveLength(1);
    expect(ports[0]).toMatchObject({ ip: "127.0.0.1", container: 3000 });
    expect(ports[0]!.host).not.toBe(3000);
    expect(grafanaEnv.GF_AUTH_ANONYMOUS_ENABLED).toBe("true");
    expect(grafanaEnv.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe("Viewer");
    for (const key of ["GF_ANALYTICS_REPORTING_ENABLED", "GF_ANALYTICS_CHECK_FOR_UPDATES", "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", "GF_PLUGINS_PLUGIN_ADMIN_ENABLED"]) expect(grafanaEnv[key], key).toBe("false");
  });

  it("publishes the observability services on 127.0.0.1 only", () => {
    for (const name of observability) {
      for (const mapping of compose.services[name]!.ports ?? []) expect(portMapping(mapping).ip, `${name}: ${mapping}`).toBe("127.0.0.1");
    }
  });

  it("provisions the prometheus service as the datasource, and the dashboards folder", () => {
    expect(mountOf("grafana", "./docker/grafana/provisioning")).toBe("/etc/grafana/provisioning");
    expect(datasources.datasources).toHaveLength(1);
    const source = datasources.datasources[0]!;
    expect(source.type).toBe("prometheus");
    const url = new URL(source.url);
    expect(url.hostname).toBe("prometheus");
    const prometheusPorts = (compose.services.prometheus!.ports ?? []).map((p) => portMapping(p).container);
    expect(prometheusPorts).toContain(Number(url.port));
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]!.type).toBe("file");
    expect(providers.providers[0]!.options.path).toBe(mountOf("grafana", "./docker/grafana/dashboards"));
  });

  it("commits a dashboard whose every panel queries the provisioned Prometheus", () => {
    expect(dashboard.title).toBe("Store platform");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(panels.length).toBeGreaterThan(0);
    const uid = datasources.datasources[0]!.uid;
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr?.trim(), panel.title).toBeTruthy();
        expect(target.datasource?.uid ?? panel.datasource?.uid, panel.title).toBe(uid);
      }
    }
  });

  const metrics = [
    "router_graphql_requests_total",
    "router_graphql_request_duration_seconds",
    "router_graphql_errors_total",
    "router_subgraph_fetch_duration_seconds",
    "events_consumer_lag",
    "events_dead_lettered_total",
    "events_outbox_pending",
    "events_published_total",
    "events_consumed_total",
    "router_ws_connections",
    "router_subscriptions_active",
  ];
  it.each(metrics)("charts %s", (metric) => {
    // A histogram is queried through its _bucket, _count or _sum series.
    const named = new RegExp(`\\b${metric}(_bucket|_count|_sum)?\\b`);
    expect(queries.some((q) => named.test(q))).toBe(true);
  });

  it("charts the router's latency percentiles and error ratio per operation name, and failed subgraph fetches", () => {
    expect(queries.some((q) => /histogram_quantile\(0\.95,.*router_graphql_request_duration_seconds_bucket/.test(q) && /by \([^)]*operation_name/.test(q))).toBe(true);
    expect(queries.some((q) => /histogram_quantile\(0\.5,.*router_graphql_request_duration_seconds_bucket/.test(q) && /by \([^)]*operation_name/.test(q))).toBe(true);
    expect(queries.some((q) => /router_graphql_requests_total\{[^}]*status="error"/.test(q) && /by \([^)]*operation_name/.test(q))).toBe(true);
    expect(queries.some((q) => /histogram_quantile\(0\.95,.*router_subgraph_fetch_duration_seconds_bucket/.test(q))).toBe(true);
    expect(queries.some((q) => q.includes('router_subgraph_fetch_duration_seconds_count{outcome!="ok"}'))).toBe(true);
  });
});
