import { issueAccessToken, type IssuedToken, type RequestContextBase } from "@store/kit";
import type { AccountsPrisma } from "./db.ts";
import type { AccountsEvents } from "./events.ts";
import type { Role } from "./generated/prisma/client.ts";
import { createLoaders, type AccountsLoaders } from "./loaders.ts";
import type { SignInThrottle } from "./signInThrottle.ts";

export interface Context extends RequestContextBase {
  prisma: AccountsPrisma;
  loaders: AccountsLoaders;
  /** Mutations write their domain events to the outbox in their own transaction. */
  events: AccountsEvents;
  /** Signs an access token; resolvers get this instead of the secret itself. */
  issueToken(user: { id: string; role: Role }): Promise<IssuedToken>;
  /** Counts sign-in failures by account and client address; refuses while either is blocked. */
  signInThrottle: SignInThrottle;
}

export function createContext(prisma: AccountsPrisma, events: AccountsEvents, jwtSecret: string, signInThrottle: SignInThrottle, base: RequestContextBase): Context {
  return {
    ...base,
    prisma,
    events,
    signInThrottle,
    loaders: createLoaders(prisma),
    issueToken: (user) => issueAccessToken(jwtSecret, { userId: user.id, roles: [user.role] }),
  };
}
