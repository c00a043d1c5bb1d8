import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ConfigError, loadConfig, subgraphConfigSchema } from "@store/kit";
import { loadRouterConfig, routerConfigSchema } from "@store/router";
import { readSupergraphConfig } from "@store/supergraph";
import { allServices } from "../src/index.ts";
import { matchesSelector, parseEnvFile, renderKustomization, type KubeObject } from "./kustomize.ts";

/**
 * deploy/kubernetes, checked offline: the production overlay is rendered by
 * ./kustomize.ts (and by `kubectl kustomize` too where kubectl exists, the two
 * compared), every object validated against the Kubernetes schemas
 * (kubernetes-models), then the references Kubernetes itself would accept
 * broken: selectors, probe ports, autoscaler and budget targets, Secret and
 * ConfigMap keys, and every variable against the config schemas the
 * processes parse, so the manifests cannot drift from the code.
 */
const root = fileURLToPath(new URL("../../..", import.meta.url));
const deployDir = join(root, "deploy/kubernetes");
const overlay = "overlays/production";
/** The selector of the first step of an installation (README): migration Jobs with their ConfigMaps and Secrets, nothing that serves. */
const migrationStep = "app.kubernetes.io/component notin (router,subgraph)";
const image = "registry.example.com/store-federation:1.0.0";

/** The class whose validate() holds the Kubernetes schema, per apiVersion/kind rendered. */
const models: Record<string, { new (data: any): { validate(): void } }> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
};
/** Read by the OpenTelemetry setup (packages/kit/src/tracing), not by a config schema. */
const otelVariables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"];
/** Accounts' own variable (its service declaration), besides the shared subgraph schema. */
const accountsOnly = ["JWT_SECRET"];
const subgraphNames = readSupergraphConfig(join(root, "supergraph.yaml")).map((s) => s.name);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
}
interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; emptyDir?: object }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

let workDir: string;
let objects: KubeObject[];

beforeAll(() => {
  // A copy with the examples filled in as the README says, so whatever real
  // secrets sit in this checkout are never read.
  workDir = mkdtempSync(join(tmpdir(), "store-kubernetes-"));
  cpSync(deployDir, workDir, { recursive: true, filter: (source) => !/[/\\]secrets[/\\][^/\\]+\.env$/.test(source) });
  const secrets = join(workDir, overlay, "secrets");
  for (const example of readdirSync(secrets).filter((f) => f.endsWith(".env.example"))) {
    const target = join(secrets, example.replace(/\.example$/, ""));
    if (example === "keys.env.example") writeFileSync(target, `ROUTER_SIGNING_SECRET=${randomBytes(32).toString("base64")}\nJWT_SECRET=${randomBytes(32).toString("base64")}\n`);
    else cpSync(join(secrets, example), target);
  }
  objects = renderKustomization(join(workDir, overlay));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const all = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string, name: string): KubeObject => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
};
const specOf = (o: KubeObject) => o.spec as any;
const templateOf = (workload: KubeObject): PodTemplate => specOf(workload).template;
const workloads = () => [...all("Deployment"), ...all("Job")];
const containersOf = (workload: KubeObject) => [...(templateOf(workload).spec.initContainers ?? []), ...templateOf(workload).spec.containers];
const decode = (value: string) => Buffer.from(value.replace(/\s/g, ""), "base64").toString("utf8");
const dataOf = (o: KubeObject): Record<string, string> => {
  const data = (o.data ?? {}) as Record<string, string>;
  return o.kind === "Secret" ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, decode(v)])) : data;
};
const byName = (kind: string, name: string) => all(kind).find((o) => o.metadata.name === name);

/** The environment a container starts with, resolved from the rendered Secrets and ConfigMaps. */
function environmentOf(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef ? byName("ConfigMap", from.configMapRef.name) : byName("Secret", from.secretRef!.name);
    expect(source, `${container.name}: envFrom ${JSON.stringify(from)}`).toBeDefined();
    Object.assign(env, dataOf(source!));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    if (!ref) {
      env[variable.name] = variable.value ?? "";
      continue;
    }
    const source = byName(variable.valueFrom!.secretKeyRef ? "Secret" : "ConfigMap", ref.name);
    expect(source, `${container.name}: ${variable.name} from ${ref.name}`).toBeDefined();
    const data = dataOf(source!);
    expect(Object.keys(data), `${container.name}: ${variable.name} from ${ref.name}/${ref.key}`).toContain(ref.key);
    env[variable.name] = data[ref.key]!;
  }
  return env;
}

/** The Secret key a variable is read from, as "secret/key". */
function secretSourceOf(container: Container, name: string): string | undefined {
  const ref = container.env?.find((v) => v.name === name)?.valueFrom?.secretKeyRef;
  return ref && `${ref.name}/${ref.key}`;
}

/** The container port a probe or Service names, by name or number. */
function portOf(container: Container, port: string | number): number | undefined {
  return typeof port === "number" ? container.ports?.find((p) => p.containerPort === port)?.containerPort : container.ports?.find((p) => p.name === port)?.containerPort;
}

function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(value);
  if (!match) throw new Error(`unexpected quantity "${value}"`);
  const scale = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] as "m"] ?? 1;
  return Number(match[1]) * scale;
}

describe("deploy/kubernetes: rendering", () => {
  it("renders exactly the objects of the platform, in namespace store", () => {
    const names = (kind: string) => all(kind).map((o) => o.metadata.name).sort();
    const apps = ["router", ...allServices.map((s) => s.name)].sort();
    expect(names("Deployment")).toEqual(apps);
    expect(names("Service")).toEqual(apps);
    expect(names("HorizontalPodAutoscaler")).toEqual(apps);
    expect(names("PodDisruptionBudget")).toEqual(apps);
    expect(names("Job")).toEqual(allServices.map((s) => `${s.name}-migrate`).sort());
    expect(all("Secret").map((o) => o.metadata.name.replace(/-[a-z0-9]{10}$/, "")).sort()).toEqual(["store-keys", ...allServices.map((s) => `${s.name}-database`)].sort());
    expect(all("ConfigMap").map((o) => o.metadata.name.replace(/-[a-z0-9]{10}$/, "")).sort()).toEqual(["store-config", "store-router", "store-subgraphs"]);
    for (const o of objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe("store");
  });

  it("validates every object against the Kubernetes schema of its apiVersion and kind", () => {
    for (const o of objects) {
      const Model = models[`${o.apiVersion}/${o.kind}`];
      expect(Model, `a schema class for ${o.apiVersion} ${o.kind}`).toBeDefined();
      // kustomize writes Secret data as base64 in lines of 70; the API server
      // decodes it as one (Go's decoder skips newlines), the schema's "byte"
      // format does not: validate it joined.
      const data = o.kind === "Secret" ? Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, "")])) : undefined;
      expect(() => new Model!(data ? { ...o, data } : o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  // Where kubectl is missing (CI), the renderer above stands alone; it refuses
  // any kustomize feature it does not implement rather than render it differently.
  const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
  it.skipIf(!kubectl)(`renders as \`kubectl kustomize\` does${kubectl ? "" : " (skipped: kubectl is not on PATH)"}`, () => {
    const rendered = spawnSync("kubectl", ["kustomize", join(workDir, overlay)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(rendered.status, rendered.stderr).toBe(0);
    const theirs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as KubeObject);
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    expect(theirs.map(key).sort()).toEqual(objects.map(key).sort());
    for (const object of theirs) {
      const ours = objects.find((o) => key(o) === key(object));
      expect(isDeepStrictEqual(ours, object), `${key(object)} differs:\nkubectl: ${JSON.stringify(object)}\nours:    ${JSON.stringify(ours)}`).toBe(true);
    }
  });
});

describe("deploy/kubernetes: workloads", () => {
  it("runs every container from the overlay's image, as a non-root user on a read-only root filesystem, with requests and limits", () => {
    for (const workload of workloads()) {
      const pod = templateOf(workload).spec;
      const where = `${workload.kind}/${workload.metadata.name}`;
      expect(pod.automountServiceAccountToken, where).toBe(false);
      expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
      expect(pod.securityContext?.runAsUser, where).toBeGreaterThan(0);
      for (const container of containersOf(workload)) {
        expect(container.image, where).toBe(image);
        expect(container.securityContext, where).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(container.securityContext?.capabilities?.drop, where).toContain("ALL");
        // tsx caches compiled sources in /tmp: writable, though the root is not.
        const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
        expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${where}: /tmp from an emptyDir`).toBeDefined();
        for (const resource of ["cpu", "memory"]) {
          const request = container.resources?.requests?.[resource];
          const limit = container.resources?.limits?.[resource];
          expect(request && limit, `${where}: ${resource} request and limit`).toBeTruthy();
          expect(quantity(request!), `${where}: ${resource}`).toBeLessThanOrEqual(quantity(limit!));
        }
      }
    }
  });

  it("starts each subgraph and the router with its own command, probed on /ready and /health at the port it listens on", () => {
    for (const deployment of all("Deployment")) {
      const name = deployment.metadata.name;
      const [container, ...others] = templateOf(deployment).spec.containers;
      expect(others, name).toHaveLength(0);
      const port = Number(environmentOf(container!).PORT);
      if (name === "router") {
        expect(container!.command).toEqual(["node", "--import", "tsx", "router/src/main.ts"]);
        expect(port).toBe(4000);
      } else {
        expect(container!.command, name).toEqual(["node", "--import", "tsx", "scripts/start-subgraph.ts", name]);
        expect(port, name).toBe(allServices.find((s) => s.name === name)!.defaultPort);
      }
      expect(container!.readinessProbe?.httpGet?.path, name).toBe("/ready");
      expect(container!.livenessProbe?.httpGet?.path, name).toBe("/health");
      for (const probe of [container!.readinessProbe, container!.livenessProbe, container!.startupProbe]) {
        if (probe === undefined) continue;
        expect(portOf(container!, probe.httpGet!.port), `${name}: probe port ${probe.httpGet!.port}`).toBe(port);
      }
      if (container!.startupProbe) expect(container!.startupProbe.httpGet?.path, name).toBe("/health");
    }
    for (const path of ["router/src/main.ts", "scripts/start-subgraph.ts"]) expect(existsSync(join(root, path)), path).toBe(true);
  });

  it("gives each Service the pods of its Deployment only, on a port the container listens on", () => {
    for (const service of all("Service")) {
      const name = service.metadata.name;
      const selector = specOf(service).selector as Record<string, string>;
      const selected = workloads().filter((w) => Object.entries(selector).every(([k, v]) => templateOf(w).metadata.labels[k] === v));
      expect(selected.map((w) => `${w.kind}/${w.metadata.name}`), name).toEqual([`Deployment/${name}`]);
      const container = templateOf(selected[0]!).spec.containers[0]!;
      for (const port of specOf(service).ports as { port: number; targetPort: string | number }[]) {
        expect(portOf(container, port.targetPort), `${name}: targetPort ${port.targetPort}`).toBeDefined();
      }
    }
    for (const deployment of all("Deployment")) {
      const matchLabels = specOf(deployment).selector.matchLabels as Record<string, string>;
      for (const [k, v] of Object.entries(matchLabels)) expect(templateOf(deployment).metadata.labels[k], deployment.metadata.name).toBe(v);
    }
  });

  it("autoscales every Deployment on CPU, and leaves the replica count to the autoscaler", () => {
    for (const deployment of all("Deployment")) {
      const hpas = all("HorizontalPodAutoscaler").filter((h) => specOf(h).scaleTargetRef.name === deployment.metadata.name);
      expect(hpas, deployment.metadata.name).toHaveLength(1);
      const spec = specOf(hpas[0]!);
      expect(spec.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" });
      expect(spec.minReplicas, deployment.metadata.name).toBeGreaterThanOrEqual(2);
      expect(spec.maxReplicas).toBeGreaterThanOrEqual(spec.minReplicas);
      expect(spec.metrics).toContainEqual(expect.objectContaining({ type: "Resource", resource: expect.objectContaining({ name: "cpu" }) }));
      expect(specOf(deployment).replicas, deployment.metadata.name).toBeUndefined();
    }
    // The overlay's patches took: the router scales further than a subgraph.
    expect(specOf(one("HorizontalPodAutoscaler", "router"))).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(specOf(one("HorizontalPodAutoscaler", "orders"))).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
  });

  it("guards every Deployment, and only it, with a disruption budget that lets a drain proceed", () => {
    for (const budget of all("PodDisruptionBudget")) {
      const matchLabels = specOf(budget).selector.matchLabels as Record<string, string>;
      const selected = workloads().filter((w) => Object.entries(matchLabels).every(([k, v]) => templateOf(w).metadata.labels[k] === v));
      expect(selected.map((w) => `${w.kind}/${w.metadata.name}`), budget.metadata.name).toEqual([`Deployment/${budget.metadata.name}`]);
      expect(specOf(budget).maxUnavailable, budget.metadata.name).toBe(1);
    }
  });

  it("migrates each subgraph's database in a Job that runs its migrate command on the Deployment's DATABASE_URL", () => {
    for (const service of allServices) {
      const job = one("Job", `${service.name}-migrate`);
      const [container, ...others] = templateOf(job).spec.containers;
      expect(others).toHaveLength(0);
      expect(container!.command).toEqual(["node", "--import", "tsx", "scripts/migrate.ts", service.name]);
      expect(["Never", "OnFailure"]).toContain(templateOf(job).spec.restartPolicy);
      expect(Object.keys(environmentOf(container!))).toEqual(["DATABASE_URL"]);
      const deployment = templateOf(one("Deployment", service.name)).spec.containers[0]!;
      expect(secretSourceOf(container!, "DATABASE_URL")).toBe(secretSourceOf(deployment, "DATABASE_URL"));
      expect(secretSourceOf(container!, "DATABASE_URL")).toMatch(new RegExp(`^${service.name}-database-[a-z0-9]{10}/DATABASE_URL$`));
    }
    expect(existsSync(join(root, "scripts/migrate.ts")), "scripts/migrate.ts").toBe(true);
  });

  it("lets the migration step apply its Jobs with what they read, and nothing that serves", () => {
    const step = objects.filter((o) => matchesSelector(o.metadata.labels ?? {}, migrationStep));
    expect([...new Set(step.map((o) => o.kind))].sort()).toEqual(["ConfigMap", "Job", "Secret"]);
    expect(step.filter((o) => o.kind === "Job")).toHaveLength(allServices.length);
    for (const job of step.filter((o) => o.kind === "Job")) {
      for (const variable of containersOf(job).flatMap((c) => c.env ?? [])) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) expect(step.map((o) => o.metadata.name), job.metadata.name).toContain(ref.name);
      }
    }
    expect(readFileSync(join(deployDir, "README.md"), "utf8")).toContain(`-l '${migrationStep}'`);
  });
});

describe("deploy/kubernetes: configuration", () => {
  it("resolves every Secret and ConfigMap key a container reads", () => {
    for (const workload of workloads()) {
      for (const container of containersOf(workload)) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
          if (ref) expect(ref.optional, `${workload.metadata.name}: ${variable.name} must not be optional`).toBeUndefined();
        }
        // Throws, naming the reference, when a Secret, ConfigMap or key is missing.
        environmentOf(container);
      }
    }
  });

  for (const service of allServices) {
    it(`configures ${service.name} with variables its config schema reads, and values it accepts`, () => {
      const container = templateOf(one("Deployment", service.name)).spec.containers[0]!;
      const env = environmentOf(container);
      const known = new Set([...Object.keys(subgraphConfigSchema(service.defaultPort, {}).shape), ...otelVariables, ...(service.name === "accounts" ? accountsOnly : [])]);
      for (const name of Object.keys(env)) expect(known, `${service.name}: ${name}`).toContain(name);
      const config = loadConfig(subgraphConfigSchema(service.defaultPort, {}), env);
      expect(config.PORT).toBe(service.defaultPort);
      expect(config.HOST).toBe("0.0.0.0");
      expect(new URL(config.DATABASE_URL).pathname).toBe(`/${service.name}`);
      // The official NATS chart's client Service, release "nats" in the same namespace.
      expect(config.NATS_URL).toBe("nats://nats:4222");
      if (service.name === "accounts") expect(env.JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
      else expect(env.JWT_SECRET, `${service.name} must not receive the JWT secret`).toBeUndefined();
    });
  }

  it("points the router at every subgraph's Service, with the keys the subgraphs use", () => {
    const container = templateOf(one("Deployment", "router")).spec.containers[0]!;
    const env = environmentOf(container);
    const known = new Set([...Object.keys(routerConfigSchema.shape), ...otelVariables, ...subgraphNames.map((n) => `SUBGRAPH_${n.toUpperCase()}_URL`)]);
    for (const name of Object.keys(env)) expect(known, `router: ${name}`).toContain(name);
    const config = loadRouterConfig(env);
    expect(config.NODE_ENV).toBe("production");
    expect(Object.keys(config.subgraphUrls).sort()).toEqual([...subgraphNames].sort());
    for (const name of subgraphNames) {
      const url = new URL(config.subgraphUrls[name]!);
      const service = one("Service", url.hostname);
      const port = (specOf(service).ports as { port: number; targetPort: string | number }[]).find((p) => p.port === Number(url.port));
      expect(port, `${name}: Service ${url.hostname} has port ${url.port}`).toBeDefined();
      const subgraph = templateOf(one("Deployment", name)).spec.containers[0]!;
      expect(portOf(subgraph, port!.targetPort), name).toBe(Number(environmentOf(subgraph).PORT));
      expect(url.pathname).toBe("/graphql");
    }
    // Production serves /metrics on its own port: reachable through the Service.
    expect(config.METRICS_HOST).toBe("0.0.0.0");
    expect(portOf(container, config.METRICS_PORT!)).toBe(config.METRICS_PORT);
    expect((specOf(one("Service", "router")).ports as { port: number }[]).map((p) => p.port)).toContain(config.METRICS_PORT);
    // The image holds the repository at /app, supergraph.graphql included.
    expect(config.SUPERGRAPH_PATH).toBe("/app/supergraph.graphql");
    expect(existsSync(join(root, "supergraph.graphql"))).toBe(true);
    // One signing secret for all; the JWT secret shared with accounts alone.
    for (const service of allServices) {
      const subgraph = templateOf(one("Deployment", service.name)).spec.containers[0]!;
      expect(secretSourceOf(subgraph, "ROUTER_SIGNING_SECRET"), service.name).toBe(secretSourceOf(container, "ROUTER_SIGNING_SECRET"));
    }
    expect(secretSourceOf(templateOf(one("Deployment", "accounts")).spec.containers[0]!, "JWT_SECRET")).toBe(secretSourceOf(container, "JWT_SECRET"));
  });

  it("commits examples of the secrets only, which start nothing until filled in and stay out of git and the image", () => {
    const secrets = join(deployDir, overlay, "secrets");
    const kustomization = readFileSync(join(deployDir, overlay, "kustomization.yaml"), "utf8");
    const envFiles = [...kustomization.matchAll(/secrets\/([\w-]+\.env)\b/g)].map((m) => m[1]!);
    expect(envFiles.length).toBe(allServices.length + 1);
    for (const file of envFiles) expect(existsSync(join(secrets, `${file}.example`)), `${file}.example`).toBe(true);
    const keys = Object.fromEntries(parseEnvFile(join(secrets, "keys.env.example")));
    expect(keys).toEqual({ ROUTER_SIGNING_SECRET: "", JWT_SECRET: "" });
    // An unfilled copy is refused at start (exit 78), naming both variables.
    expect(() => loadRouterConfig(keys)).toThrow(ConfigError);
    expect(() => loadRouterConfig(keys)).toThrow(/ROUTER_SIGNING_SECRET[\s\S]*JWT_SECRET|JWT_SECRET[\s\S]*ROUTER_SIGNING_SECRET/);
    // The real files stay out of git, and out of the image (its build copies the context).
    const lines = (file: string) => readFileSync(join(root, file), "utf8").split("\n").map((l) => l.trim());
    expect(lines(".gitignore")).toContain("deploy/kubernetes/overlays/*/secrets/*.env");
    expect(lines(".dockerignore")).toContain("deploy");
  });
});
