// The API's one timestamp format: a moment made in TypeScript prints exactly as Postgres prints
// the same moment read back from a row, so a value does not change between two answers.
import assert from "node:assert/strict";
import { fromPgTimestamp, timestampOf } from "../../shared/core/time.ts";
import { db } from "../helpers/stack.ts";

Deno.test("timestamps: TypeScript-made moments print as Postgres prints them", async () => {
  const moments = [470, 0, 5, 500, 999, 10].map((ms) => Date.UTC(2026, 11, 2, 13, 35, 30, ms));
  for (const ms of moments) {
    const [{ text }] = await db()<{ text: string }[]>`
      select (to_timestamp(${ms}::float8 / 1000) at time zone 'utc')::text || '+00' as text`;
    assert.equal(timestampOf(ms), fromPgTimestamp(text), `moment ${new Date(ms).toISOString()}`);
  }
});
