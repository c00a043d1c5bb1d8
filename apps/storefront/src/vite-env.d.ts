/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** A router on another origin (build time); unset: the page's own origin, /graphql. */
  readonly VITE_STORE_GRAPHQL_URL?: string;
}
