import { Agent, request } from "undici";
import { z } from "zod";
import { signRouterRequest } from "@store/kit";
import type { DependencyStatus, ServiceEvents, SubgraphStatus } from "./StatusData.ts";

export interface SubgraphPollerOptions {
  /** Each subgraph's routing URL (SUBGRAPH_<NAME>_URL applied), in supergraph order. */
  subgraphUrls(): ReadonlyMap<string, string>;
  signingSecret: string;
  /**
   * How long one subgraph may take to answer; past it, it is "down".
   * @default 1500
   */
  timeoutMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface SubgraphPoll {
  subgraphs: SubgraphStatus[];
  events: ServiceEvents[];
}

export interface SubgraphPoller {
  /** Every subgraph's status, asked in parallel. */
  poll(): Promise<SubgraphPoll>;
  close(): Promise<void>;
}

const health = z.enum(["up", "degraded", "down"]);
const count = z.number().int().min(0);
const text = z.string().transform((value) => clip(value));
/** A subgraph's `GET /status` answer (packages/kit createSubgraph); fields we do not show are ignored. */
const statusReport = z.object({
  status: health,
  uptimeSeconds: z.number().min(0).optional(),
  dependencies: z
    .array(z.object({ name: text, status: health, latencyMs: z.number().min(0).nullable().optional(), error: text.optional(), kind: text.optional() }))
    .default([]),
  // A count the subgraph could not read in time is null.
  events: z.object({ outboxPending: count.nullable(), deadLetters: count, consumers: z.array(z.object({ name: text, lag: count.nullable() })) }).optional(),
});

/** Enough of an error message to say what happened; never a whole body. */
const clip = (value: string, max = 300) => (value.length > max ? `${value.slice(0, max)}…` : value);
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Asks each subgraph for its status report, as the router: `GET <subgraph
 * origin>/status` signed like the router's own fetches (method GET, empty
 * body, anonymous), since subgraphs answer only the router. A subgraph that
 * does not answer within the timeout, answers an HTTP error, or answers
 * something that is not a report is "down", with the reason.
 */
export function createSubgraphPoller({ subgraphUrls, signingSecret, timeoutMs = 1500, now = Date.now }: SubgraphPollerOptions): SubgraphPoller {
  // Its own small pool: status checks must not queue behind (or take
  // connections from) the fetches of query plans.
  const agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });
  let closed: Promise<void> | undefined;

  const ask = async (name: string, url: string): Promise<{ status: SubgraphStatus; events?: ServiceEvents }> => {
    const checkedAt = new Date(now()).toISOString();
    const down = (error: string, latencyMs: number | null = null): { status: SubgraphStatus } => ({ status: { name, status: "down", latencyMs, checkedAt, error: clip(error), dependencies: [] } });
    const started = performance.now();
    let answer: { statusCode: number; text: string };
    try {
      const response = await request(statusUrl(url), {
        method: "GET",
        headers: { ...signRouterRequest(signingSecret, { method: "GET", subgraph: name, body: "", identity: "" }), accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: agent,
      });
      answer = { statusCode: response.statusCode, text: await readCapped(response.body) };
    } catch (error) {
      return down(failureMessage(error, timeoutMs));
    }
    const latencyMs = round(performance.now() - started);
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return down(`HTTP ${answer.statusCode}: the answer is not JSON`, latencyMs);
    }
    const report = statusReport.safeParse(body);
    // A subgraph that is not well may answer 503 with its report: the report says more than the code.
    if (!report.success) return down(httpProblem(answer.statusCode, body), latencyMs);
    const { status, uptimeSeconds, dependencies, events } = report.data;
    return {
      status: {
        name,
        status,
        latencyMs,
        checkedAt,
        ...(uptimeSeconds === undefined ? {} : { uptimeSeconds: Math.round(uptimeSeconds) }),
        dependencies: dependencies.map((d): DependencyStatus => ({ name: d.name, status: d.status, latencyMs: d.latencyMs ?? null, ...(d.error ? { error: d.error } : {}), ...(d.kind ? { kind: d.kind } : {}) })),
      },
      ...(events ? { events: { service: name, ...events } } : {}),
    };
  };

  return {
    async poll() {
      const answers = await Promise.all([...subgraphUrls()].map(([name, url]) => ask(name, url)));
      return { subgraphs: answers.map((a) => a.status), events: answers.flatMap((a) => (a.events ? [a.events] : [])) };
    },
    close: () => (closed ??= agent.close()),
  };
}

/** `/status` beside the subgraph's GraphQL path: http://host:4001/graphql gives http://host:4001/status. */
export function statusUrl(subgraphUrl: string): string {
  return new URL("status", subgraphUrl).href;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function failureMessage(error: unknown, timeoutMs: number): string {
  // The request's signal (AbortSignal.timeout) is the one deadline, headers and body together.
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** An HTTP answer that is not a report: its status and, from the kit's error shape, its code and message. */
function httpProblem(statusCode: number, body: unknown): string {
  const first = (body as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null)?.errors?.[0];
  const code = typeof first?.extensions?.code === "string" ? ` ${first.extensions.code}` : "";
  const message = typeof first?.message === "string" ? `: ${first.message}` : statusCode < 400 ? ": the answer is not a status report" : "";
  return `HTTP ${statusCode}${code}${message}`;
}
