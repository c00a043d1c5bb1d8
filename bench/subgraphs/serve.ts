/** One synthetic subgraph in its own process: `node --import tsx bench/subgraphs/serve.ts <name>`. Prints `{"name","url"}` once listening. */
import { createSyntheticSubgraph } from "./synthetic.ts";

const name = process.argv[2] ?? "";
const secret = process.env.ROUTER_SIGNING_SECRET ?? "";
const subgraph = createSyntheticSubgraph(name);
const running = await subgraph.listen({ port: 0, host: "127.0.0.1", routerSigningSecret: secret });
process.stdout.write(`${JSON.stringify({ name, url: running.url })}\n`);
const stop = () => void subgraph.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
