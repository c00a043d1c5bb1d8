import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from "@opentelemetry/sdk-trace-base";

/** The samplers `OTEL_TRACES_SAMPLER` may name (the OpenTelemetry SDK environment specification). */
export const SAMPLER_NAMES = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export class TracingConfigError extends Error {
  override readonly name = "TracingConfigError";
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` describe.
 * Unset means `parentbased_always_on`, the specification's default: a span
 * follows its parent's decision, and a root is kept. The ratio samplers take
 * a number in [0, 1] (unset: 1). A name or ratio that does not parse is a
 * configuration error, not a silent default.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER?.trim() || "parentbased_always_on") as SamplerName;
  if (!SAMPLER_NAMES.includes(name)) throw new TracingConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLER_NAMES.join(", ")}; got "${name}"`);
  const ratio = () => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    if (!raw) return 1;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new TracingConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1; got "${raw}"`);
    return value;
  };
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio());
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
  }
}
