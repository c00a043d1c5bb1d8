import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { contextFrom, createLogger, createSpanStore, currentTraceparent, inSpan, otlpTracesUrl, samplerFromEnv, startTracing, traceCarrier, TracingConfigError } from "../src/index.ts";

const REMOTE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("tracing configuration", () => {
  it("is off unless something receives spans", () => {
    expect(startTracing({ service: "catalog", env: {} }).enabled).toBe(false);
    expect(startTracing({ service: "catalog", env: { OTEL_SDK_DISABLED: "true" }, exporter: new InMemorySpanExporter() }).enabled).toBe(false);
    expect(startTracing({ service: "catalog", env: { OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" } }).enabled).toBe(false);
    expect(startTracing({ service: "catalog", env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" } }).enabled).toBe(true);
    expect(startTracing({ service: "catalog", env: {}, store: createSpanStore() }).enabled).toBe(true);
  });

  it("takes OTEL_SERVICE_NAME unless the service keeps its own name", () => {
    const env = { OTEL_SERVICE_NAME: "catalog-eu", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" };
    expect(startTracing({ service: "catalog", env }).serviceName).toBe("catalog-eu");
    expect(startTracing({ service: "catalog", env, ownServiceName: true }).serviceName).toBe("catalog");
  });

  it("builds the traces URL from the standard variables", () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toBe("http://collector:4318/v1/traces");
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:9999/traces" })).toBe("http://b:9999/traces");
    expect(otlpTracesUrl({})).toBeUndefined();
  });

  it("reads the sampler from OTEL_TRACES_SAMPLER and _ARG, refusing what does not parse", () => {
    expect(samplerFromEnv({}).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.01" }).toString()).toMatch(/TraceIdRatioBased\{0\.01\}/);
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: "always_off" }).toString()).toBe("AlwaysOffSampler");
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: "sometimes" })).toThrow(TracingConfigError);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })).toThrow(/between 0 and 1/);
    expect(() => startTracing({ service: "x", env: { OTEL_BSP_SCHEDULE_DELAY: "soon" }, exporter: new InMemorySpanExporter() })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
  });
});

describe("spans and context", () => {
  it("records spans with parents, errors, and the store's copy", async () => {
    const exporter = new InMemorySpanExporter();
    const store = createSpanStore({ capacity: 10 });
    const tracing = startTracing({ service: "orders", env: {}, exporter, store });
    await inSpan(tracing.tracer, "outer", {}, async () => {
      await inSpan(tracing.tracer, "inner", {}, async () => {}).catch(() => {});
      await expect(inSpan(tracing.tracer, "failing", {}, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    });
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const outer = spans.find((s) => s.name === "outer")!;
    expect(spans.map((s) => s.name).sort()).toEqual(["failing", "inner", "outer"]);
    for (const child of spans.filter((s) => s !== outer)) expect(child.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(spans.find((s) => s.name === "failing")!.status).toMatchObject({ code: 2, message: "boom" });
    expect(store.spans().map((s) => [s.name, s.service, s.status])).toEqual([
      ["inner", "orders", "unset"],
      ["failing", "orders", "error"],
      ["outer", "orders", "unset"],
    ]);
    expect(store.trace(outer.spanContext().traceId)).toHaveLength(3);
  });

  it("keeps the newest spans when the store is full", () => {
    const store = createSpanStore({ capacity: 3 });
    for (let i = 0; i < 5; i++) store.add({ traceId: "t", spanId: `s${i}`, name: `n${i}`, service: "x", kind: "internal", startMs: i, durationMs: 1, status: "unset", attributes: {}, events: [], links: [] });
    expect(store.size).toBe(3);
    expect(store.spans().map((s) => s.name)).toEqual(["n2", "n3", "n4"]);
  });

  it("continues a remote traceparent and hands on its own", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ service: "orders", env: {}, exporter });
    const parent = contextFrom({ traceparent: REMOTE });
    const carried = await inSpan(tracing.tracer, "child", {}, async () => traceCarrier(), parent);
    expect(carried.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(carried.traceparent).not.toBe(REMOTE);
    expect(contextFrom({ traceparent: "garbage" })).toBe(contextFrom(undefined));
    expect(currentTraceparent()).toBeUndefined();
  });

  it("samples nothing with always_off, and a disabled tracer records nothing", async () => {
    const exporter = new InMemorySpanExporter();
    const off = startTracing({ service: "orders", env: { OTEL_TRACES_SAMPLER: "always_off" }, exporter });
    await inSpan(off.tracer, "dropped", {}, async (span) => expect(span.isRecording()).toBe(false));
    await off.flush();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("writes trace and span ids on log lines written inside a span", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ name: "orders", destination: sink });
    const tracing = startTracing({ service: "orders", env: {}, exporter: new InMemorySpanExporter() });
    logger.info("outside");
    const ids = await inSpan(tracing.tracer, "work", {}, async (span) => {
      logger.info("inside");
      return span.spanContext();
    });
    expect(JSON.parse(lines[0]!)).not.toHaveProperty("trace_id");
    expect(JSON.parse(lines[1]!)).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
