import { context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from "@opentelemetry/api";
import { failSpan } from "@store/events";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { samplerFromEnv, TracingConfigError } from "./sampler.ts";
import { spanStoreProcessor, type SpanStore } from "./spanStore.ts";

/** One service's tracing: its tracer, and whether anything records what it makes. */
export interface Tracing {
  /** False when nothing was configured: the tracer is the API's no-op one, and callers may skip span work entirely. */
  readonly enabled: boolean;
  /** `service.name` of the spans this tracer makes. */
  readonly serviceName: string;
  readonly tracer: Tracer;
  /** Exports every finished span now (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The service's own name (router, catalog, ...): `service.name` unless `OTEL_SERVICE_NAME` names another. */
  service: string;
  /** Where OTEL_* variables are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Ignore `OTEL_SERVICE_NAME`: several services in one process (`npm start`)
   * must each keep their own name.
   */
  ownServiceName?: boolean;
  /** Keep finished spans in memory here too (the status page's store). */
  store?: SpanStore;
  /** An exporter of the caller's instead of OTLP (tests). */
  exporter?: SpanExporter;
  /**
   * Install the AsyncLocalStorage context manager, so that the active span
   * follows async work (`context.active()`, log lines' ids, spans nested by
   * whatever runs inside them). On Node 20 AsyncLocalStorage, once used,
   * hooks every promise of the process: a cost every request pays, sampled
   * or not. A process that hands its spans' parents on explicitly (the
   * router) passes false; one whose libraries nest spans through the active
   * context (a subgraph: resolvers, SQL, handlers) needs it. Another service
   * in the same process may install it anyway (`npm start`).
   * @default true
   */
  asyncContext?: boolean;
}

/** The tracing of a service when nothing is configured: no spans, no cost beyond a no-op call. */
export function disabledTracing(serviceName: string): Tracing {
  return { enabled: false, serviceName, tracer: trace.getTracer("@store/disabled"), flush: async () => {}, shutdown: async () => {} };
}

let contextInstalled = false;

/** Whether this process follows the active span across async work (see TracingOptions.asyncContext). */
export function asyncContextInstalled(): boolean {
  return contextInstalled;
}

/**
 * Span context follows async work only once a context manager is installed.
 * Installed once per process, the first time a service enables tracing; each
 * service keeps its own tracer provider (several live in one process under
 * `npm start`), none of them registered as the global one.
 */
function installContext(asyncContext: boolean): void {
  if (!propagatorInstalled) {
    propagatorInstalled = true;
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  if (contextInstalled || !asyncContext) return;
  contextInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

let propagatorInstalled = false;

/** The OTLP/HTTP traces URL the standard variables give, if any. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

const positiveInt = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new TracingConfigError(`${name} must be a positive integer; got "${raw}"`);
  return value;
};

/**
 * Tracing for one service, configured by the standard OpenTelemetry
 * variables. Off unless something receives spans: `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `..._TRACES_ENDPOINT`) sends them to an OTLP/HTTP collector in batches
 * (`OTEL_BSP_*`), a `store` keeps them in memory. `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none` turns it off whatever else is set. Sampling:
 * `OTEL_TRACES_SAMPLER`/`_ARG` (see samplerFromEnv).
 */
export function startTracing({ service, env = process.env, ownServiceName = false, store, exporter, asyncContext = true }: TracingOptions): Tracing {
  const serviceName = (!ownServiceName && env.OTEL_SERVICE_NAME?.trim()) || service;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return disabledTracing(serviceName);
  // A sampler that does not parse is refused even while nothing receives spans: it would be when one does.
  const sampler = samplerFromEnv(env);
  const exporterName = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporterName && exporterName !== "otlp" && exporterName !== "none") throw new TracingConfigError(`OTEL_TRACES_EXPORTER: only "otlp" and "none" are supported; got "${exporterName}"`);
  const url = exporterName === "none" ? undefined : otlpTracesUrl(env);
  const sink = exporter ?? (url ? new OTLPTraceExporter({ url }) : undefined);
  if (!sink && !store) return disabledTracing(serviceName);

  const processors: SpanProcessor[] = [];
  if (sink)
    processors.push(
      new BatchSpanProcessor(sink, {
        scheduledDelayMillis: positiveInt(env, "OTEL_BSP_SCHEDULE_DELAY"),
        maxQueueSize: positiveInt(env, "OTEL_BSP_MAX_QUEUE_SIZE"),
        maxExportBatchSize: positiveInt(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        exportTimeoutMillis: positiveInt(env, "OTEL_BSP_EXPORT_TIMEOUT"),
      }),
    );
  if (store) processors.push(spanStoreProcessor(store, serviceName));
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, "service.namespace": "store" })),
    sampler,
    spanProcessors: processors,
  });
  installContext(asyncContext);
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    serviceName,
    tracer: provider.getTracer(`@store/${service}`),
    flush: () => provider.forceFlush(),
    shutdown: () => (stopped ??= provider.shutdown().catch(() => {})),
  };
}

/**
 * Runs `fn` in a new active span named `name`: an error it throws marks the
 * span failed (its message, never the stack) and is rethrown; the span ends
 * when `fn` settles.
 */
export function inSpan<T>(tracer: Tracer, name: string, options: SpanOptions, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  return tracer.startActiveSpan(name, options, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
