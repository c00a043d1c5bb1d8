import { z } from "zod";
import { ERRORS } from "./errors.ts";

/**
 * Parses resolver input with a zod schema. A failure becomes one BAD_USER_INPUT
 * error naming every field that is wrong, so a client can show them all at once.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(input)",
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  throw ERRORS.BAD_USER_INPUT.err(`Invalid input: ${summary}`, { extensions: { issues } });
}

/** Field validators shared by every subgraph, so the same rule reads the same everywhere. */
export const fields = {
  id: (label = "id") => z.uuid({ message: `${label} must be a UUID` }),
  quantity: () => z.number().int("quantity must be a whole number").min(1, "quantity must be at least 1").max(1000, "quantity must be at most 1000"),
  text: (max: number) => z.string().trim().min(1, "must not be empty").max(max, `must be at most ${max} characters`),
  amountCents: () => z.number().int("amount must be whole minor units").min(0, "amount must not be negative").max(100_000_000, "amount is too large"),
  currency: () => z.string().regex(/^[A-Z]{3}$/, "currency must be an ISO 4217 code such as USD"),
  first: (max = 100) => z.number().int().min(1, "first must be at least 1").max(max, `first must be at most ${max}`),
};
