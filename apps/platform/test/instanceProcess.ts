/**
 * A second instance of every service, in a process of its own, on the
 * databases and NATS namespace of a platform a test started: what a deploy
 * with two replicas per service runs, so a test can kill one with SIGKILL.
 *
 * Input (environment): INSTANCE_DATABASE_URLS (JSON: service -> URL),
 * INSTANCE_NATS_URL, INSTANCE_NAMESPACE. Prints one JSON line when every
 * service consumes and serves: { subgraphUrls }.
 */
import { silentLogger } from "@store/kit";
import { startTestPlatform } from "./harness.ts";

const urls = JSON.parse(process.env.INSTANCE_DATABASE_URLS ?? "{}") as Record<string, string>;
const platform = await startTestPlatform({
  database: async (service) => {
    const url = urls[service.name];
    if (!url) throw new Error(`INSTANCE_DATABASE_URLS has no database for ${service.name}`);
    // The primary owns the databases; this instance only uses them.
    return { url, close: async () => {} };
  },
  seed: false,
  logger: silentLogger,
  events: { kind: "nats", url: process.env.INSTANCE_NATS_URL!, namespace: process.env.INSTANCE_NAMESPACE! },
});
process.stdout.write(`${JSON.stringify({ subgraphUrls: platform.subgraphUrls })}\n`);
process.on("SIGTERM", () => void platform.stop().then(() => process.exit(0)));
