// A write that RLS filtered out affects zero rows and raises nothing. Whether the caller can
// still see the row tells "not allowed" (403) from "not there for you" (404); the database
// decides both, this only names the answer.
import { HttpError } from "./http.ts";

export function refusal(visible: boolean, what: string): HttpError {
  return visible
    ? new HttpError(403, "forbidden", `You are not allowed to change this ${what}`)
    : new HttpError(404, "not_found", `No such ${what}`);
}
