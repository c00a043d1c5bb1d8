import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type { IncomingMessage, ServerResponse } from "node:http";

const require = createRequire(import.meta.url);

/**
 * GraphiQL from npm packages, served by the router itself: no CDN, so it
 * works on a machine with no internet. Only these files are ever served.
 */
const assets: Record<string, { pkg: string; file: string; type: string }> = {
  "react.js": { pkg: "react", file: "umd/react.production.min.js", type: "text/javascript" },
  "react-dom.js": { pkg: "react-dom", file: "umd/react-dom.production.min.js", type: "text/javascript" },
  "graphiql.js": { pkg: "graphiql", file: "graphiql.min.js", type: "text/javascript" },
  "graphiql.css": { pkg: "graphiql", file: "graphiql.min.css", type: "text/css" },
  "graphql-ws.js": { pkg: "graphql-ws", file: "umd/graphql-ws.min.js", type: "text/javascript" },
};

// These files are not in the packages' "exports"; their package.json is, and
// the files sit beside it.
const assetPath = ({ pkg, file }: { pkg: string; file: string }) => join(dirname(require.resolve(`${pkg}/package.json`)), file);

const cache = new Map<string, Buffer>();

export const DEFAULT_QUERY = `# A federated query: catalog owns products, inventory adds stock.
# Sign in with the signIn mutation and put the token in Headers:
#   { "Authorization": "Bearer <accessToken>" }
# Subscriptions run here too, over WebSocket, with the same header.
query Storefront {
  products(first: 5, sort: { field: PRICE, direction: ASC }) {
    totalCount
    edges {
      node {
        name
        price { amount currency }
        category { name }
        stock
        inStock
      }
    }
  }
}
`;

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Store GraphiQL</title>
<link rel="stylesheet" href="/graphiql/graphiql.css" />
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/react.js"></script>
<script src="/graphiql/react-dom.js"></script>
<script src="/graphiql/graphql-ws.js"></script>
<script src="/graphiql/graphiql.js"></script>
<script>
  const url = new URL("/graphql", location.href).toString();
  const wsUrl = url.replace(/^http/, "ws");
  // The editor's Headers pane carries the bearer token. Queries send it as a
  // header; subscriptions send it in connectionParams, which the router reads
  // once per socket: so a changed token gets a new socket.
  let current;
  const fetcher = (params, options) => {
    const headers = (options && options.headers) || {};
    const authorization = headers.Authorization || headers.authorization || "";
    if (!current || current.authorization !== authorization) {
      if (current) current.wsClient.dispose();
      const wsClient = graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: authorization ? { authorization } : {} });
      current = { authorization, wsClient, fetch: GraphiQL.createFetcher({ url, wsClient }) };
    }
    return current.fetch(params, options);
  };
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, shouldPersistHeaders: true }),
  );
</script>
</body>
</html>`;
}

/** True when a browser asks for the page (GET, HTML accepted, no query in the URL). */
export function wantsGraphiQL(req: IncomingMessage): boolean {
  if (req.method !== "GET") return false;
  const url = new URL(req.url ?? "/", "http://localhost");
  return !url.searchParams.has("query") && (req.headers.accept ?? "").includes("text/html");
}

export function serveGraphiQL(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
  res.end(page());
}

/** Serves /graphiql/<asset>; answers false when the path is not one of ours. */
export function serveGraphiQLAsset(path: string, res: ServerResponse): boolean {
  const name = path.slice("/graphiql/".length);
  const asset = assets[name];
  if (!asset) return false;
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(assetPath(asset));
    cache.set(name, body);
  }
  res.writeHead(200, { "content-type": `${asset.type}; charset=utf-8`, "content-length": body.length, "cache-control": "public, max-age=86400" });
  res.end(body);
  return true;
}
