// Contract test of the Storage stand-in against two behaviours of real Supabase Storage:
// - CORS as Supabase's gateway answers for /storage/v1 (Kong's cors plugin, default config,
//   per supabase/cli's kong.yml; Storage leaves CORS to the gateway): every answer carries
//   Access-Control-Allow-Origin *, a preflight gets 200 with the requested headers echoed and
//   Kong's default method list;
// - delete protection (supabase/storage migration "prevent-direct-deletes"): the statement
//   trigger storage.protect_delete() refuses SQL deletes on storage.objects / storage.buckets
//   with 42501 unless storage.allow_delete_query is set, which only the Storage API does.
import assert from "node:assert/strict";
import { makePng } from "../fakes/gemini-png.ts";
import { closeAll, db, serviceClient, stack, userClient } from "../helpers/stack.ts";

const BUCKET = "workflow-results";
const ORIGIN = "http://127.0.0.1:9";

Deno.test("storage stand-in: CORS and delete protection as Supabase Storage", async (t) => {
  const folder = "00000000-0000-4000-8000-0000000000cc";
  const name = `${folder}/cors_${crypto.randomUUID()}.png`;
  const service = serviceClient().storage.from(BUCKET);
  try {
    const { error } = await service.upload(name, new Uint8Array(makePng("storage-standin")), {
      contentType: "image/png",
    });
    assert.equal(error, null);

    await t.step("a preflight is answered 200 with the requested headers echoed", async () => {
      const requested = "authorization,apikey,x-client-info,x-upsert,content-type";
      const res = await fetch(`${stack().apiUrl}/storage/v1/object/${BUCKET}/${name}`, {
        method: "OPTIONS",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "GET",
          "access-control-request-headers": requested,
        },
      });
      assert.equal(await res.text(), "");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(res.headers.get("access-control-allow-headers"), requested);
      assert.equal(
        res.headers.get("access-control-allow-methods"),
        "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
      );
      assert.equal(res.headers.get("access-control-max-age"), null);
      assert.equal(res.headers.get("access-control-allow-credentials"), null);
    });

    await t.step("answers carry Allow-Origin *, errors and signed URLs included", async () => {
      const { data } = await service.createSignedUrl(name, 60);
      assert.ok(data?.signedUrl);
      const signed = await fetch(data.signedUrl, { headers: { origin: ORIGIN } });
      assert.equal(signed.status, 200);
      await signed.body?.cancel();
      assert.equal(signed.headers.get("access-control-allow-origin"), "*");
      assert.equal(signed.headers.get("access-control-expose-headers"), null);

      const missing = await fetch(
        `${stack().apiUrl}/storage/v1/object/${BUCKET}/${folder}/nope.png`,
        {
          headers: { origin: ORIGIN },
        },
      );
      await missing.body?.cancel();
      assert.ok(missing.status >= 400);
      assert.equal(missing.headers.get("access-control-allow-origin"), "*");
    });

    await t.step(
      "a direct SQL delete on storage.objects is refused and deletes nothing",
      async () => {
        await assert.rejects(
          db()`delete from storage.objects where bucket_id = ${BUCKET} and name = ${name}`,
          (err: { code?: string; message?: string }) => {
            assert.equal(err.code, "42501");
            assert.equal(
              err.message,
              "Direct deletion from storage tables is not allowed. Use the Storage API instead.",
            );
            return true;
          },
        );
        const rows = await db()`select 1 from storage.objects where name = ${name}`;
        assert.equal(rows.length, 1);
      },
    );

    await t.step("a signed-in user's SQL delete is refused the same way", async () => {
      const [{ id }] = await db()<{ id: string }[]>`
        select id from auth.users where email = 'admin@masstock.test'`;
      await assert.rejects(
        db().begin(async (tx) => {
          await tx`select set_config('request.jwt.claims', ${
            JSON.stringify({ sub: id, role: "authenticated" })
          }, true),
                          set_config('role', 'authenticated', true)`;
          await tx`delete from storage.objects where name = ${name}`;
        }),
        (err: { code?: string }) => err.code === "42501",
      );
    });

    await t.step("direct SQL deletes of buckets are refused", async () => {
      await assert.rejects(
        db()`delete from storage.buckets where id = 'no-such-bucket'`,
        (err: { code?: string }) => err.code === "42501",
      );
    });

    await t.step("the Storage API deletes (RLS still decides who may)", async () => {
      const member = (await userClient("collaborator@acme.test")).storage.from(BUCKET);
      const { data: refused } = await member.remove([name]);
      assert.deepEqual(refused, [], "a member removed a result");
      assert.equal((await db()`select 1 from storage.objects where name = ${name}`).length, 1);
      const { data, error } = await service.remove([name]);
      assert.equal(error, null);
      assert.deepEqual(data?.map((o) => o.name), [name]);
      assert.equal((await db()`select 1 from storage.objects where name = ${name}`).length, 0);
    });
  } finally {
    await service.remove([name]).catch(() => {});
    await closeAll();
  }
});
