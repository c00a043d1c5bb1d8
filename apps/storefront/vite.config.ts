import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * `npm run build:storefront`: static files in dist/ that any server can host,
 * provided it proxies /graphql (HTTP and WebSocket) to the router, as
 * serve.ts does for `npm start`. VITE_STORE_GRAPHQL_URL, at build time, points
 * the app at a router on another origin instead (which must then list this
 * app's origin in CORS_ORIGINS).
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [react()],
  // The root's node_modules holds React 18 (GraphiQL's, for the router); urql
  // is hoisted there too and must use this app's React 19, the one copy.
  resolve: { dedupe: ["react", "react-dom"] },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
