import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig, subgraphConfigSchema } from "@store/kit";
import { loadRouterConfig } from "@store/router";
import { readSupergraphConfig } from "@store/supergraph";
import { allServices } from "../src/index.ts";

/**
 * Docker cannot run on this machine kind, so docker-compose.yml is checked by
 * reading it: every service, port and variable against the code's own config
 * schemas, so the file cannot drift from what the processes accept.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
// merge: compose files use YAML merge keys (<<: *anchor), as Docker Compose does.
const compose = parse(readFileSync(`${root}docker-compose.yml`, "utf8"), { merge: true }) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, { condition: string }>; healthcheck?: { test: string[] } }>;
};

/** Compose's `${VAR:-default}` interpolation, with an empty environment. */
function interpolate(env: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name, fallback: string) => fallback)]));
}

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, NATS with JetStream, every subgraph and the router", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["nats", "postgres", "redis", "router", ...allServices.map((s) => s.name)].sort());
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
      expect(definition.command).toEqual(["npm", "run", "start:subgraph", "--", service.name, "--migrate"]);
      expect(definition.depends_on).toMatchObject({ postgres: { condition: "service_healthy" }, nats: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
      expect(definition.healthcheck?.test.join(" ")).toContain(`127.0.0.1:${service.defaultPort}/ready`);
      // Every variable set must be one the process reads.
      const known = new Set([...Object.keys(subgraphConfigSchema(service.defaultPort, {}).shape), "JWT_SECRET"]);
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
});
