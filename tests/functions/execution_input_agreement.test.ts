// The zod schema of input_data (shared/validation/executions.ts `executionInput`) and its SQL
// twin (private.execution_input_shape_problem, which guards direct inserts) accept and refuse
// exactly the same values: boundary cases written out, then random ones. And whatever the
// start request schema accepts is stored as an input_data both accept.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  executionInput,
  executionInputFor,
  executionInputOf,
  maxReferenceImageBytes,
  maxReferenceImages,
  maxReferenceImagesTotalBase64,
  maxReferenceTotalBytes,
  startExecutionBody,
} from "../../shared/validation.ts";
import { closeAll, db } from "../helpers/stack.ts";

const maxBase64 = Math.ceil((4 * 1024 * 1024) / 3) * 4;
// Stored references are checked against the execution's client: both sides get this one.
const CLIENT = "c0000000-0000-4000-8000-000000000001";
const OTHER = "c0000000-0000-4000-8000-000000000002";
const ref = (path: string, mime_type = "image/png") => ({ path, mime_type });
const okPath = `${CLIENT}/0f0e0d0c-0b0a-4908-8706-050403020100.png`;
const img = (data: string, mime_type = "image/png") => ({ mime_type, data });
const emoji = "\u{1F600}"; // two UTF-16 code units, one code point (what both count)
// JavaScript's trim() whitespace; Postgres' own \s knows only the ASCII ones.
const jsWhitespace = [
  "\t",
  "\n",
  "\v",
  "\f",
  "\r",
  " ",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u200a",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
];

const cases: [string, unknown][] = [
  ["minimal", { prompts: ["a red fox"] }],
  ["everything", {
    prompts: ["a", "b"],
    reference_images: [img("iVBORw0KGgo="), img("/9j/4AAQ", "image/jpeg")],
    aspect_ratio: "16:9",
    image_size: "2K",
    uses_client_api_key: true,
  }],
  ["not an object (array)", [{ prompts: ["a"] }]],
  ["not an object (string)", "prompts"],
  ["not an object (null)", null],
  ["no prompts", {}],
  ["unknown key", { prompts: ["a"], api_key: "AIza" }],
  ["prompts not a list", { prompts: "a" }],
  ["prompts empty", { prompts: [] }],
  ["1000 prompts", { prompts: Array(1000).fill("p") }],
  ["1001 prompts", { prompts: Array(1001).fill("p") }],
  ["prompt a number", { prompts: [1] }],
  ["prompt null", { prompts: ["a", null] }],
  ["prompt an object", { prompts: [{ text: "a" }] }],
  ...jsWhitespace.map((w, i): [string, unknown] => [`blank prompt ${i}`, { prompts: [w + w] }]),
  ["all JS whitespace", { prompts: [jsWhitespace.join("")] }],
  ["whitespace around text", { prompts: [" \u3000 a \n"] }],
  ["zero-width space is text", { prompts: ["\u200b"] }],
  ["2000 characters", { prompts: ["x".repeat(2000)] }],
  ["2001 characters", { prompts: ["x".repeat(2001)] }],
  ["2000 emoji (4000 UTF-16 units)", { prompts: [emoji.repeat(2000)] }],
  ["2001 emoji", { prompts: [emoji.repeat(2001)] }],
  ["1999 + one emoji", { prompts: ["x".repeat(1999) + emoji] }],
  ["2000 + one emoji", { prompts: ["x".repeat(2000) + emoji] }],
  ["reference_images not a list", { prompts: ["a"], reference_images: "x" }],
  ["reference_images null", { prompts: ["a"], reference_images: null }],
  ["reference_images an object", { prompts: ["a"], reference_images: { data: "QQ==" } }],
  ["no reference images", { prompts: ["a"], reference_images: [] }],
  ["14 images", { prompts: ["a"], reference_images: Array(14).fill(img("QUJD")) }],
  ["15 images", { prompts: ["a"], reference_images: Array(15).fill(img("QUJD")) }],
  ["image not an object", { prompts: ["a"], reference_images: ["QUJD"] }],
  ["image extra key", { prompts: ["a"], reference_images: [{ ...img("QUJD"), url: "x" }] }],
  ["image without mime", { prompts: ["a"], reference_images: [{ data: "QUJD" }] }],
  ["image without data", { prompts: ["a"], reference_images: [{ mime_type: "image/png" }] }],
  ["image gif", { prompts: ["a"], reference_images: [img("QUJD", "image/gif")] }],
  ["image mime upper case", { prompts: ["a"], reference_images: [img("QUJD", "IMAGE/PNG")] }],
  ["image mime a number", { prompts: ["a"], reference_images: [{ mime_type: 1, data: "QUJD" }] }],
  ["image data empty", { prompts: ["a"], reference_images: [img("")] }],
  ["image data a number", {
    prompts: ["a"],
    reference_images: [{ mime_type: "image/png", data: 1 }],
  }],
  ["image data url", { prompts: ["a"], reference_images: [img("data:image/png;base64,QUJD")] }],
  ["image data with newline", { prompts: ["a"], reference_images: [img("QU\nJD")] }],
  ["image data trailing newline", { prompts: ["a"], reference_images: [img("QUJD\n")] }],
  ["image data padding in the middle", { prompts: ["a"], reference_images: [img("QU==JD")] }],
  ["image data three pads", { prompts: ["a"], reference_images: [img("QUJ===")] }],
  ["image data only padding", { prompts: ["a"], reference_images: [img("==")] }],
  ["image at the size limit", { prompts: ["a"], reference_images: [img("A".repeat(maxBase64))] }],
  ["image over the size limit", {
    prompts: ["a"],
    reference_images: [img("A".repeat(maxBase64 + 1))],
  }],
  ["three images at the limit (12 MiB)", {
    prompts: ["a"],
    reference_images: Array(3).fill(img("A".repeat(maxBase64))),
  }],
  ["over 12 MiB in all", {
    prompts: ["a"],
    reference_images: [...Array(3).fill(img("A".repeat(maxBase64))), img("QUJD")],
  }],
  // Stored references {path, mime_type}
  ["stored reference", { prompts: ["a"], reference_images: [ref(okPath)] }],
  ["stored jpg and webp", {
    prompts: ["a"],
    reference_images: [
      ref(`${CLIENT}/0f0e0d0c-0b0a-4908-8706-050403020101.jpg`, "image/jpeg"),
      ref(`${CLIENT}/0f0e0d0c-0b0a-4908-8706-050403020102.webp`, "image/webp"),
    ],
  }],
  ["stored and inline mixed", { prompts: ["a"], reference_images: [ref(okPath), img("QUJD")] }],
  ["stored in another client's folder", {
    prompts: ["a"],
    reference_images: [ref(`${OTHER}/0f0e0d0c-0b0a-4908-8706-050403020100.png`)],
  }],
  ["stored traversal", { prompts: ["a"], reference_images: [ref(`${CLIENT}/../${OTHER}/x.png`)] }],
  ["stored traversal in the name", {
    prompts: ["a"],
    reference_images: [ref(`${CLIENT}/..%2f0f0e0d0c-0b0a-4908-8706-050403020100.png`)],
  }],
  ["stored nested folder", {
    prompts: ["a"],
    reference_images: [ref(`${CLIENT}/x/0f0e0d0c-0b0a-4908-8706-050403020100.png`)],
  }],
  ["stored leading slash", { prompts: ["a"], reference_images: [ref(`/${okPath}`)] }],
  ["stored upper-case uuid", { prompts: ["a"], reference_images: [ref(okPath.toUpperCase())] }],
  ["stored trailing newline", { prompts: ["a"], reference_images: [ref(`${okPath}\n`)] }],
  ["stored gif extension", {
    prompts: ["a"],
    reference_images: [ref(okPath.replace(".png", ".gif"))],
  }],
  ["stored unknown key", { prompts: ["a"], reference_images: [{ ...ref(okPath), size: 1 }] }],
  ["stored with data too", {
    prompts: ["a"],
    reference_images: [{ ...ref(okPath), data: "QUJD" }],
  }],
  ["stored without mime", { prompts: ["a"], reference_images: [{ path: okPath }] }],
  ["stored gif mime", { prompts: ["a"], reference_images: [ref(okPath, "image/gif")] }],
  ["stored path a number", {
    prompts: ["a"],
    reference_images: [{ path: 1, mime_type: "image/png" }],
  }],
  ["stored path null", {
    prompts: ["a"],
    reference_images: [{ path: null, mime_type: "image/png" }],
  }],
  ["stored path empty", { prompts: ["a"], reference_images: [ref("")] }],
  ["14 stored", { prompts: ["a"], reference_images: Array(14).fill(ref(okPath)) }],
  ["15 stored", { prompts: ["a"], reference_images: Array(15).fill(ref(okPath)) }],
  ["3 inline at the limit and stored ones (only inline bytes count)", {
    prompts: ["a"],
    reference_images: [...Array(3).fill(img("A".repeat(maxBase64))), ref(okPath)],
  }],
  ["aspect ratio 16:9", { prompts: ["a"], aspect_ratio: "16:9" }],
  ["aspect ratio 7:7 (shape only; the model catalogue decides)", {
    prompts: ["a"],
    aspect_ratio: "7:7",
  }],
  ["aspect ratio 100:1", { prompts: ["a"], aspect_ratio: "100:1" }],
  ["aspect ratio with newline", { prompts: ["a"], aspect_ratio: "16:9\n" }],
  ["aspect ratio empty", { prompts: ["a"], aspect_ratio: "" }],
  ["aspect ratio a number", { prompts: ["a"], aspect_ratio: 1.5 }],
  ["aspect ratio null", { prompts: ["a"], aspect_ratio: null }],
  ["aspect ratio arabic-indic digits", { prompts: ["a"], aspect_ratio: "\u0661:\u0661" }],
  ["image size 4K", { prompts: ["a"], image_size: "4K" }],
  ["image size 2k", { prompts: ["a"], image_size: "2k" }],
  ["image size K", { prompts: ["a"], image_size: "K" }],
  ["image size 512K", { prompts: ["a"], image_size: "512K" }],
  ["image size a number", { prompts: ["a"], image_size: 2 }],
  ["uses key false", { prompts: ["a"], uses_client_api_key: false }],
  ["uses key a string", { prompts: ["a"], uses_client_api_key: "true" }],
  ["uses key 1", { prompts: ["a"], uses_client_api_key: 1 }],
  ["uses key null", { prompts: ["a"], uses_client_api_key: null }],
];

/** SQL's verdict for each value: null when accepted, else the problem it names. */
async function sqlVerdicts(values: unknown[]): Promise<(Record<string, string> | null)[]> {
  const out: (Record<string, string> | null)[] = [];
  // One value per query keeps the multi-megabyte cases from becoming one giant parameter.
  for (const value of values) {
    const [row] = await db()<{ p: Record<string, string> | null }[]>`
      select private.execution_input_shape_problem(${db().json(value as never)}::jsonb,
        ${CLIENT}::uuid) as p`;
    out.push(row.p);
  }
  return out;
}

const forClient = executionInputFor(CLIENT);

function zodVerdict(value: unknown): { ok: boolean; fields: string[] } {
  const result = forClient.safeParse(value);
  if (result.success) return { ok: true, fields: [] };
  return {
    ok: false,
    fields: result.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? (i as { keys: string[] }).keys.map((k) => [...i.path, k].join("."))
        : [i.path.join(".")]
    ),
  };
}

async function assertAgree(values: unknown[], names: string[]) {
  const sql = await sqlVerdicts(values);
  const disagreements: string[] = [];
  values.forEach((value, i) => {
    const zod = zodVerdict(value);
    const sqlOk = sql[i] === null;
    if (zod.ok !== sqlOk) {
      disagreements.push(
        `${names[i]}: zod ${zod.ok ? "accepts" : `refuses (${zod.fields})`}, SQL ${
          sqlOk ? "accepts" : `refuses (${JSON.stringify(sql[i])})`
        }`,
      );
    } else if (
      !sqlOk && !zod.fields.some((f) => f === sql[i]!.field || f.startsWith(sql[i]!.field))
    ) {
      // Both refuse; the field SQL names must be one zod names too (zod may name more).
      const sqlField = sql[i]!.field;
      if (!(sqlField === "input_data" && zod.fields.includes(""))) {
        disagreements.push(`${names[i]}: SQL names ${sqlField}, zod ${zod.fields}`);
      }
    }
  });
  assert.deepEqual(disagreements, []);
}

Deno.test("zod and SQL agree on every written-out input_data case", async () => {
  await assertAgree(cases.map((c) => c[1]), cases.map((c) => c[0]));
  // The cases cover both answers at every limit.
  const accepted = cases.filter((c) => forClient.safeParse(c[1]).success).length;
  assert.ok(accepted >= 15 && accepted <= cases.length - 40, `${accepted} of ${cases.length}`);
});

const textish = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(...jsWhitespace, "16:9", "2K", "4K", "1:1", "image/png", "QUJD", "QU=="),
  fc.array(fc.constantFrom(...jsWhitespace, "a", emoji), { maxLength: 6 }).map((a) => a.join("")),
);
const anyJson = fc.oneof(
  { weight: 3, arbitrary: textish },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
/** Mostly one of the good values, sometimes anything: random cases near the boundary. */
const mostly = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyJson });
const image = mostly(fc.oneof(
  fc.record({
    mime_type: mostly(fc.constantFrom("image/png", "image/jpeg", "image/webp")),
    data: mostly(fc.constantFrom("QUJD", "QUI=", "QQ==", "/9j/+A", "A")),
    url: anyJson,
  }, { requiredKeys: [] }),
  fc.record({
    path: mostly(fc.constantFrom(
      okPath,
      `${OTHER}/0f0e0d0c-0b0a-4908-8706-050403020100.webp`,
      `${CLIENT}/../x.png`,
      `${CLIENT}/0f0e0d0c-0b0a-4908-8706-050403020100.jpeg`,
    )),
    mime_type: mostly(fc.constantFrom("image/png", "image/jpeg", "image/webp")),
    data: anyJson,
  }, { requiredKeys: ["path"] }),
));
const inputLike = fc.record({
  prompts: mostly(fc.array(mostly(fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 4 })),
  reference_images: mostly(fc.array(image, { maxLength: 3 })),
  aspect_ratio: mostly(fc.stringMatching(/^[0-9]{1,3}:[0-9]{1,2}$/)),
  image_size: mostly(fc.constantFrom("1K", "2K", "4K", "10K")),
  uses_client_api_key: mostly(fc.boolean()),
}, { requiredKeys: [] }).chain((v) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant<unknown>(v) },
    { weight: 1, arbitrary: anyJson.map((other): unknown => ({ ...v, other })) },
    { weight: 1, arbitrary: anyJson },
  )
);

// Postgres jsonb cannot hold U+0000 (the insert itself fails, 22P05): not a shape question.
const storable = (v: unknown) => !JSON.stringify(v).includes("\\u0000");

Deno.test("zod and SQL agree on random input_data values", async () => {
  const values = fc.sample(inputLike.filter(storable), { numRuns: 600, seed: 20261202 });
  await assertAgree(values, values.map((v) => JSON.stringify(v).slice(0, 120)));
  const accepted = values.filter((v) => forClient.safeParse(v).success).length;
  assert.ok(accepted > 20, `only ${accepted} random values were valid: the generator is too wild`);
});

Deno.test("what a valid start request stores is an input_data both accept", async () => {
  const body = fc.record({
    workflow_id: fc.uuid(),
    prompts: fc.array(textish, { minLength: 1, maxLength: 5 }),
    reference_images: fc.array(
      fc.record({
        mime_type: fc.constantFrom("image/png", "image/jpeg", "image/webp"),
        data: fc.constantFrom("QUJD", "QUI=", "/9j/4AAQ"),
      }),
      { maxLength: 3 },
    ),
    aspect_ratio: fc.constantFrom("1:1", "16:9", "21:9"),
    image_size: fc.constantFrom("1K", "2K", "4K"),
    api_key: fc.constantFrom("AIzaSyExample"),
  }, { requiredKeys: ["workflow_id", "prompts"] });
  const parsed = fc.sample(body, { numRuns: 300, seed: 7 })
    .map((b) => startExecutionBody.safeParse(b))
    .flatMap((r) => r.success ? [executionInputOf(r.data)] : []);
  assert.ok(parsed.length > 50, `${parsed.length} valid bodies`);
  for (const input of parsed) assert.ok(executionInput.safeParse(input).success);
  assert.deepEqual((await sqlVerdicts(parsed)).filter((v) => v !== null), []);
  assert.ok(maxReferenceImagesTotalBase64 === 3 * maxBase64);
});

Deno.test("the shape caps agree with the bucket and the catalogue's constraints", async () => {
  // zod's absolute caps are the database's: the reference-images bucket's size and types, and
  // the most the model catalogue's check constraints let an admin allow.
  const [bucket] = await db()<{ size: number; types: string[] }[]>`
    select file_size_limit::int as size, allowed_mime_types as types
    from storage.buckets where id = 'reference-images'`;
  assert.equal(bucket.size, maxReferenceImageBytes);
  assert.deepEqual([...bucket.types].sort(), ["image/jpeg", "image/png", "image/webp"]);
  const constraint = async (name: string) =>
    (await db()<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${name}`)[0].def;
  assert.match(
    await constraint("image_models_max_reference_images"),
    new RegExp(`<= ${maxReferenceImages}\\)`),
  );
  assert.match(
    await constraint("image_models_max_reference_image_bytes"),
    new RegExp(`<= ${maxReferenceImageBytes}\\)`),
  );
  assert.match(
    await constraint("image_models_max_reference_total_bytes"),
    new RegExp(`<= ${maxReferenceTotalBytes}\\)`),
  );
  // Without a client (the API's own body check) paths are shape-checked but any folder passes;
  // the database, which knows the client, refuses another's.
  const other = { prompts: ["a"], reference_images: [ref(`${OTHER}/${okPath.split("/")[1]}`)] };
  assert.ok(executionInput.safeParse(other).success);
  assert.ok(!forClient.safeParse(other).success);
});

Deno.test({
  name: "input_data agreement: close connections",
  fn: closeAll,
  sanitizeOps: false,
  sanitizeResources: false,
});
