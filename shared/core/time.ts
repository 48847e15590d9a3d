// The API's one timestamp format: RFC 3339 with the fraction Postgres keeps (up to
// microseconds) and a numeric offset, `2026-12-02T11:29:01.123456+00:00`, which is what
// Postgres's to_json writes. Rows read through postgres.js (shared/db) and JSON built in SQL
// therefore agree, and timestamps made in TypeScript use the same shape.

/** Postgres's text output of timestamptz (`2026-12-02 11:29:01.123456+00`) in the API format. */
export function fromPgTimestamp(text: string): string {
  const m = text.match(
    /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?(?::?\d{2})?$/,
  );
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}` : text;
}

/** A moment made in TypeScript (milliseconds) in the API format, in UTC. */
export function timestampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "+00:00");
}
