import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { endpointFor } from "./client.ts";
import "./styles.css";

const endpoint = endpointFor(window.location, import.meta.env.VITE_STORE_GRAPHQL_URL);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App endpoint={endpoint} />
  </StrictMode>,
);
