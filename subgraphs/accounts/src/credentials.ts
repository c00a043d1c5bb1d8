import { z } from "zod";
import { fields } from "@store/kit";

/**
 * The rules an account's credentials follow wherever one is made: signUp,
 * and `npm run admin:create` (createAdmin.ts), so neither accepts what the
 * other refuses.
 */

/** Lower-cased before it is stored or looked up, so uniqueness and sign-in ignore case. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "email must be at most 254 characters")
  .pipe(z.email("email must be a valid email address"));

/** A new password. Not trimmed: spaces are legitimate password characters. */
export const newPassword = z.string().min(10, "password must be at least 10 characters").max(200, "password must be at most 200 characters");

/** What the account is called. */
export const displayName = fields.text(100);
