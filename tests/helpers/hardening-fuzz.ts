// Adversarial inputs for one route, generated with fast-check from a fixed seed (so a failure
// names a reproducible case). Each case says what must come back: `invalid` cases (the route's
// own zod schemas reject them, or the transport is wrong) must be answered 400/404/413/415;
// `probe` cases are valid in shape but name nothing that exists (or only read), so any 4xx or
// a 2xx read is fine. No case may write, answer 5xx, or break the error shape.
import fc from "fast-check";
import type { z } from "zod";
import { paramsFor, type Route, urlOf } from "./hardening-routes.ts";
import type { Ids, World } from "./hardening-world.ts";
import type { Sent } from "./hardening-http.ts";

export interface Case {
  kind: string;
  sent: Sent;
  /** invalid: must be refused as bad input; probe: anything but 5xx/written. */
  expect: "invalid" | "probe";
  /** Statuses an invalid case may get. */
  allowed?: number[];
}

/** Strings an attacker tries first: SQL, traversal, encodings, control characters. */
export const nastyStrings: string[] = [
  "' or '1'='1",
  "'; drop table public.users; --",
  "1; select pg_sleep(5)",
  '" or ""="',
  "') union select email, null from auth.users --",
  "$1",
  "${jndi:ldap://x}",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "/etc/passwd%00.png",
  "workflow-results/../../secret",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\uffff\ufffe",
  "\u202e\u0041\u0042",
  "<script>alert(1)</script>",
  "{{7*7}}",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "0x7fffffff",
  " ",
  "\t\n\r",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "c0000000-0000-4000-8000-00000000000",
  "c0000000-0000-4000-8000-0000000000011",
  "c0000000_0000_4000_8000_000000000001",
  "{c0000000-0000-4000-8000-000000000001}",
];

const badContentTypes = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/jsonp",
  "",
];

const hugeString = fc.integer({ min: 2_001, max: 200_000 }).map((n) => "x".repeat(n));
const nasty = fc.constantFrom(...nastyStrings);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.array(fc.integer(), { minLength: 1_001, maxLength: 20_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -0, "", [], {}) },
);

type Json = unknown;

function leafPaths(value: Json, prefix: string[] = []): string[][] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const out: string[][] = [];
    for (const [k, v] of Object.entries(value)) {
      out.push([...prefix, k]);
      out.push(...leafPaths(v, [...prefix, k]));
    }
    return out;
  }
  return [];
}

function setAt(value: Json, path: string[], next: Json | typeof REMOVE): Json {
  const copy = structuredClone(value) as Record<string, Json>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string, Json>;
  const last = path[path.length - 1];
  if (next === REMOVE) delete cursor[last];
  else cursor[last] = next;
  return copy;
}
const REMOVE = Symbol("remove");

/** One mutation of a valid body: drop, retype or poison a field, or add an unknown one. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<Json> {
  const paths = leafPaths(valid);
  const pick = fc.constantFrom(...paths);
  return fc.oneof(
    pick.map((p) => setAt(valid, p, REMOVE)),
    fc.tuple(pick, anyValue).map(([p, v]) => setAt(valid, p, v)),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), anyValue)
      .map(([k, v]) => ({ ...valid, [`x_${k}`]: v })),
    fc.tuple(pick, fc.integer({ min: 100, max: 3_000 })).map(([p, depth]) => {
      let deep: Json = "x";
      for (let i = 0; i < depth; i++) deep = { a: deep };
      return setAt(valid, p, deep);
    }),
  );
}

function nested(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** Raw bodies no schema accepts: empty, truncated, invalid UTF-8, deep nesting, not JSON. */
function rawBodies(validText: string): fc.Arbitrary<string | Uint8Array> {
  const bytes = new TextEncoder().encode(validText);
  return fc.oneof(
    fc.constantFrom("", " ", "\n", "{", "[", '{"a":', "nul", "'x'", "{'a':1}", "\ufeff{}", "{}{}"),
    fc.integer({ min: 0, max: Math.max(0, validText.length - 1) }).map((n) =>
      validText.slice(0, n)
    ),
    fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }).chain((at) =>
      fc.constantFrom(
        [0xff],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0x80],
      ).map((bad) => {
        // Invalid bytes inside the first string value, so the text is otherwise valid JSON.
        const quote = validText.indexOf('"', validText.indexOf(":") + 1);
        const where = quote > 0 ? quote + 1 : at;
        return new Uint8Array([...bytes.slice(0, where), ...bad, ...bytes.slice(where)]);
      })
    ),
    fc.integer({ min: 1_000, max: 100_000 }).map((d) => nested(d, "[", "]")),
    fc.integer({ min: 1_000, max: 50_000 }).map((d) => nested(d, '{"a":', "}").replace(/}$/, "1}")),
    fc.string({ maxLength: 200 }),
  );
}

/** fetch refuses header values outside Latin-1 or with CR, LF or NUL. */
function headerSafe(v: string): boolean {
  return [...v].every((ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff && code !== 10 && code !== 13 && code !== 0;
  });
}

function jsonHeaders(auth: Record<string, string>): Record<string, string> {
  return { ...auth, "content-type": "application/json" };
}

function schemaAccepts(schema: z.ZodType | undefined, value: unknown): boolean {
  return schema ? schema.safeParse(value).success : true;
}

/** A path id that is not one of `ids`: garbage (invalid) or a well-formed unknown uuid (probe). */
// Empty and dot-only segments are left out: URL normalisation would turn them into another
// route (`/tickets/..` is `/`), which is not the id parameter being attacked.
const pathId = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 60, unit: "binary" }) },
  { weight: 3, arbitrary: nasty },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f-]{30,40}$/) },
).filter((s) => s.isWellFormed() && !/^(\.|%2e)*$/i.test(s));

function queryArb(route: Route, ids: Ids): fc.Arbitrary<Record<string, string>> {
  const known = Object.keys(route.query?.valid(ids) ?? {});
  const shape = (route.query?.schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  const keys = [...new Set([...known, ...Object.keys(shape ?? {}), "limit", "cursor"])];
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    nasty,
    fc.integer().map(String),
    fc.uuid(),
    fc.constantFrom("true", "false", "0", "101", "-1", "1.5", "open", "pending", "x".repeat(300)),
  );
  return fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), value, {
    maxKeys: 4,
  });
}

/**
 * `count` cases for `route`, called as `auth` (headers) on tenant `ids`. Write routes only
 * get inputs their schemas reject (a valid one would legitimately write); read routes get
 * anything.
 */
export function casesFor(
  route: Route,
  world: World,
  ids: Ids,
  auth: Record<string, string>,
  count: number,
  seed: number,
): Case[] {
  const params = paramsFor(route, ids);
  const validQuery = route.query?.valid(ids);
  const url = (p = params, q: Record<string, string> | string | undefined = validQuery) =>
    urlOf(route, p, q);
  const validBody = route.body?.valid(ids, world);
  const validText = validBody ? JSON.stringify(validBody) : "{}";
  const bodyFor = (method: string) =>
    method === "GET" || method === "DELETE" ? undefined : validText;
  const arbs: fc.Arbitrary<Case | null>[] = [];

  if (route.body) {
    const schema = route.body.schema;
    const asCase = (kind: string) => (value: Json): Case | null =>
      schemaAccepts(schema, value) ? null : {
        kind,
        expect: "invalid",
        allowed: [400, 413],
        sent: {
          method: route.method,
          path: url(),
          headers: jsonHeaders(auth),
          body: JSON.stringify(value),
        },
      };
    arbs.push(fc.jsonValue({ maxDepth: 4 }).map(asCase("random json")));
    arbs.push(mutated(validBody!).map(asCase("mutated body")));
    arbs.push(
      rawBodies(validText).map((body): Case => ({
        kind: "raw body",
        expect: "invalid",
        allowed: [400, 413],
        sent: { method: route.method, path: url(), headers: jsonHeaders(auth), body },
      })),
    );
    arbs.push(
      fc.constantFrom(...badContentTypes).map((type): Case => ({
        kind: "content type",
        expect: "invalid",
        allowed: [415],
        sent: {
          method: route.method,
          path: url(),
          headers: type ? { ...auth, "content-type": type } : auth,
          body: validText,
        },
      })),
    );
  }

  for (const [header, schema] of Object.entries(route.headers ?? {})) {
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      nasty,
      fc.constantFrom("", " ", "a b", "x".repeat(201), "é"),
    ).filter((v) => headerSafe(v) && v === v.trim());
    arbs.push(value.map((v): Case | null =>
      schema.safeParse(v).success ? null : {
        kind: `header ${header}`,
        expect: "invalid",
        allowed: [400],
        sent: {
          method: route.method,
          path: url(),
          headers: { ...jsonHeaders(auth), [header]: v },
          body: validText,
        },
      }
    ));
  }

  for (const name of Object.keys(route.params ?? {})) {
    arbs.push(pathId.map((raw): Case => {
      const p = { ...params, [name]: encodeURIComponent(raw) };
      const valid = schemaAccepts(route.paramSchema, { ...params, [name]: raw });
      return {
        kind: `path ${name}`,
        // A well-formed id of nothing: refused (or an empty read), never a write.
        expect: valid ? "probe" : "invalid",
        allowed: [400, 404],
        sent: {
          method: route.method,
          path: url(p),
          headers: bodyFor(route.method) ? jsonHeaders(auth) : auth,
          body: bodyFor(route.method),
        },
      };
    }));
  }

  if (route.method === "GET") {
    arbs.push(
      queryArb(route, ids).map((q): Case => ({
        kind: "query",
        expect: schemaAccepts(route.query?.schema, q) ? "probe" : "invalid",
        allowed: [400],
        sent: { method: "GET", path: url(params, q), headers: auth },
      })),
    );
    arbs.push(
      fc.string({ maxLength: 300 }).map((raw): Case => ({
        kind: "raw query",
        expect: "probe",
        sent: { method: "GET", path: url(params, raw.replace(/[#\s]/g, "")), headers: auth },
      })),
    );
  }

  if (arbs.length === 0) return [];
  const one = fc.oneof(...arbs);
  const out: Case[] = [];
  for (let round = 0; out.length < count && round < 50; round++) {
    const batch = fc.sample(one, { numRuns: count, seed: seed + round });
    for (const c of batch) if (c && out.length < count) out.push(c);
  }
  return out;
}
