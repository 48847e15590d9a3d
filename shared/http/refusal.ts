// A write that RLS filtered out affects zero rows and raises nothing. Whether the caller can
// still see the row tells "not allowed" (403) from "not there for you" (404); the database
// decides both, this only names the answer:
//   const [row] = await tx`update … returning …`;
//   return row ?? refuse("ticket", await tx`select 1 from public.support_tickets where id = ${id}`);
import { HttpError } from "../core/errors.ts";

export function refusal(visible: boolean, what: string): HttpError {
  return visible
    ? new HttpError("forbidden", `You are not allowed to change this ${what}`)
    : new HttpError("not_found", `No such ${what}`);
}

/** Throws the refusal for a write that changed nothing; `seen` is the visibility probe's rows. */
export function refuse(what: string, seen: readonly unknown[]): never {
  throw refusal(seen.length > 0, what);
}
