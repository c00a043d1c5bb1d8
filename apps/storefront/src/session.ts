import type { Role } from "@store/client";

/**
 * Who is signed in. The access token lives in this object, in memory only:
 * never in localStorage or a cookie, where another script or a later visitor
 * of the machine could read it. A reload signs the user out.
 */
export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; name: string; role: Role };
}

/** A session from a signIn or signUp payload. */
export function sessionFrom(payload: { accessToken: string; expiresAt: string; user: { id: string; name: string; role: Role } }): Session {
  return { token: payload.accessToken, expiresAt: payload.expiresAt, user: { id: payload.user.id, name: payload.user.name, role: payload.user.role } };
}
