// Building blocks shared by every request schema, and the one way a value is checked against
// one: a zod failure becomes a 400 whose details name each bad field, before any SQL runs.
// Pure TypeScript over zod and shared/core: a frontend imports this as it is.
import { z } from "zod";
import { HttpError, type Issue } from "../core/errors.ts";

export type { Issue } from "../core/errors.ts";

export const uuid = z.uuid({ message: "must be a UUID" });

/** Bounded, trimmed, non-empty text; `max` is in characters. */
export const text = (max: number) =>
  z.string().trim().min(1, { message: "must not be empty" }).max(max, {
    message: `must be at most ${max} characters`,
  });

export const idParam = z.strictObject({ id: uuid });

/** zod's issues as the API's details: one entry per bad field, unknown fields by their name. */
export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        field: [...at, key].join("."),
        message: "unknown field",
      }));
    }
    return [{
      field: at.length ? at.join(".") : "(body)",
      message: issue.message,
    }];
  });
}

/** Validates `value` against `schema`; throws HttpError 400 `invalid_request` naming every bad field. */
export function parse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = zodIssues(result.error);
  const names = [...new Set(details.map((d) => d.field))].join(", ");
  throw new HttpError("invalid_request", `invalid ${where}: ${names}`, details);
}
