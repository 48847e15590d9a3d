// The one list envelope and the one cursor codec. Every list answers
// `{data: [...], next_cursor: string | null}`; `next_cursor` is opaque (base64url of the JSON
// list of the last row's keyset values) and is sent back as `?cursor=` for the next page.
// Lists that are not paginated answer the same envelope with `next_cursor: null`.
import { z } from "zod";
import { uuid } from "./common.ts";

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** The envelope schema of a list of `item` (response types and the API description). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  )
    .replace(/=+$/, "");
}

function fromBase64Url(value: string): string {
  const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder().decode(
    Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
  );
}

/** Encodes a keyset position (the values the list is ordered by, last row of the page). */
export function encodeCursor(keys: readonly (string | number)[]): string {
  return toBase64Url(JSON.stringify(keys));
}

/** A `cursor` query parameter that decodes to the keyset `keys` describes, or a 400. */
export function cursorParam<T extends z.ZodTuple>(keys: T) {
  return z.string().max(200).transform((value, ctx): z.infer<T> => {
    try {
      const parsed = keys.safeParse(JSON.parse(fromBase64Url(value)));
      if (parsed.success) return parsed.data;
    } catch { /* below */ }
    ctx.addIssue({
      code: "custom",
      message: "is not a next_cursor this API returned",
    });
    return z.NEVER;
  });
}

/** The keyset of newest-first lists: (created_at as Postgres wrote it, id). */
export const createdAtKeys = z.tuple([z.iso.datetime({ offset: true }), uuid]);
export type CreatedAtCursor = z.infer<typeof createdAtKeys>;

/** `?limit=&cursor=` of a newest-first list. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: cursorParam(createdAtKeys).optional(),
});

/** Builds the envelope from `limit + 1` fetched rows (one more says another page exists). */
export function pageFrom<R, T>(
  rows: R[],
  limit: number,
  keysOf: (row: R) => readonly (string | number)[],
  present: (row: R) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(present),
    next_cursor: rows.length > limit && last ? encodeCursor(keysOf(last)) : null,
  };
}

/** A list that is never paginated, in the same envelope. */
export function wholeList<T>(data: T[]): Page<T> {
  return { data, next_cursor: null };
}
