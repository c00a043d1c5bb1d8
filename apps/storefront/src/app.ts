import { createContext, useContext } from "react";
import type { Session } from "./session.ts";

export interface AppState {
  session: Session | undefined;
  signedIn(session: Session): void;
  signOut(): void;
  /** Goes to a hash route ("#/orders/1"). */
  navigate(href: string): void;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (!app) throw new Error("useApp outside <App>");
  return app;
}
