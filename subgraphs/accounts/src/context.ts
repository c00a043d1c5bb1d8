import { issueAccessToken, type IssuedToken, type RequestContextBase } from "@store/kit";
import type { Role } from "./generated/prisma/client.ts";
import { createLoaders, type AccountsLoaders } from "./loaders.ts";
import type { SignInThrottle } from "./signInThrottle.ts";
import type { Db, Deps, Events } from "./types.ts";

export interface Context extends RequestContextBase {
  prisma: Db;
  loaders: AccountsLoaders;
  /** Mutations write their domain events to the outbox in their own transaction. */
  events: Events;
  /** Signs an access token; resolvers get this instead of the secret itself. */
  issueToken(user: { id: string; role: Role }): Promise<IssuedToken>;
  /** Counts sign-in failures by account and client address; refuses while either is blocked. */
  signInThrottle: SignInThrottle;
}

export function createContext({ prisma, events, jwtSecret, signInThrottle }: Deps, base: RequestContextBase): Context {
  return {
    ...base,
    prisma,
    events,
    signInThrottle,
    loaders: createLoaders(prisma),
    issueToken: (user) => issueAccessToken(jwtSecret, { userId: user.id, roles: [user.role] }),
  };
}
