// An OTLP/HTTP traces sink for the bench: accepts the router's export requests
// (JSON, as @opentelemetry/exporter-trace-otlp-http sends them), counts their
// spans and drops them, so that tracing's cost in the router is measured with
// a real exporter at work and nothing kept.
import { createServer } from "node:http";

export async function startOtlpSink() {
  let spans = 0;
  let exports = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
        exports++;
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Spans received so far (and export requests), to report spans per request. */
    counts: () => ({ spans, exports }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
