// Storage across tenants: client B's owner holds a valid session and a genuine signed URL to
// B's own result, and tries to reach A's result with them: by path (plain, traversal,
// encoded), by asking for a signed URL, by re-pointing B's signed URL at A's object (same
// token, edited token, token re-signed with keys an attacker could know). All refused, A's
// bytes never returned, nothing written; A's own member is served (the control).
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { makePng } from "../fakes/gemini-png.ts";
import { changedTables, fingerprint } from "../helpers/hardening-db.ts";
import { send } from "../helpers/hardening-http.ts";
import { createWorld, tokenOf } from "../helpers/hardening-world.ts";
import { closeAll, serviceClient, stack } from "../helpers/stack.ts";
import { createClient } from "@supabase/supabase-js";

const BUCKET = "workflow-results";

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

Deno.test("storage isolation: B cannot read A's results", async (t) => {
  const world = await createWorld();
  const pathA = `${world.a.execution}/0_${Date.now()}.png`;
  const pathB = `${world.b.execution}/0_${Date.now()}.png`;
  const bytesA = makePng(`secret of A ${world.tag}`);
  const service = serviceClient().storage.from(BUCKET);
  for (const [path, bytes] of [[pathA, bytesA], [pathB, makePng(`B ${world.tag}`)]] as const) {
    const { error } = await service.upload(path, bytes, { contentType: "image/png" });
    assert.equal(error, null);
  }
  const as = async (actor: "ownerB" | "collabA") =>
    createClient(stack().apiUrl, stack().anonKey, {
      global: { headers: { Authorization: `Bearer ${await tokenOf(world, actor)}` } },
      auth: { persistSession: false, autoRefreshToken: false },
    }).storage.from(BUCKET);
  const b = await as("ownerB");
  const bHeaders = {
    apikey: stack().anonKey,
    authorization: `Bearer ${await tokenOf(world, "ownerB")}`,
  };
  const before = await fingerprint();
  const secretText = new TextDecoder("latin1").decode(bytesA.slice(-40));

  await t.step("control: A's member downloads it", async () => {
    const { data, error } = await (await as("collabA")).download(pathA);
    assert.equal(error, null);
    assert.equal(data?.size, bytesA.byteLength);
  });

  await t.step("by path, traversal and encodings", async () => {
    const { data, error } = await b.download(pathA);
    assert.equal(data, null);
    assert.ok(error);
    const tries = [
      `/storage/v1/object/authenticated/${BUCKET}/${pathA}`,
      `/storage/v1/object/${BUCKET}/${pathA}`,
      `/storage/v1/object/public/${BUCKET}/${pathA}`,
      `/storage/v1/object/authenticated/${BUCKET}/${world.b.execution}/..%2F${pathA}`,
      `/storage/v1/object/authenticated/${BUCKET}/${world.b.execution}%2F..%2F..%2F${BUCKET}%2F${pathA}`,
      `/storage/v1/object/authenticated/${BUCKET}/${encodeURIComponent(pathA)}`,
      `/storage/v1/object/info/authenticated/${BUCKET}/${pathA}`,
    ];
    for (const path of tries) {
      const a = await send({ method: "GET", path, headers: bHeaders });
      assert.ok(a.status >= 400 && a.status < 500, `${path}: ${a.status}`);
      assert.ok(!a.text.includes(secretText), `${path} returned A's bytes`);
    }
  });

  await t.step("no signed URL for A's object", async () => {
    const { data, error } = await b.createSignedUrl(pathA, 60);
    assert.equal(data, null);
    assert.ok(error);
    const many = await b.createSignedUrls([pathA, pathB], 60);
    const forA = many.data?.find((d) => d.path === pathA);
    assert.ok(!forA?.signedUrl, "a batch signing request must not sign A's path");
  });

  await t.step("B's own signed URL cannot be pointed at A's object", async () => {
    const { data, error } = await b.createSignedUrl(pathB, 60);
    assert.equal(error, null);
    const token = new URL(data!.signedUrl).searchParams.get("token")!;
    const [header, , signature] = token.split(".");
    const now = Math.floor(Date.now() / 1000);
    const edited = `${header}.${
      b64url({ url: `${BUCKET}/${pathA}`, iat: now, exp: now + 60 })
    }.${signature}`;
    const resigned = await Promise.all(
      [stack().anonKey, stack().publishableKey, JSON.stringify(stack().jwks.keys[0])].map((k) =>
        new SignJWT({ url: `${BUCKET}/${pathA}` })
          .setProtectedHeader({ alg: "HS256", typ: "JWT" })
          .setIssuedAt(now).setExpirationTime(now + 60)
          .sign(new TextEncoder().encode(k))
      ),
    );
    for (const tok of [token, edited, ...resigned, `${token}x`, ""]) {
      const a = await send({
        method: "GET",
        path: `/storage/v1/object/sign/${BUCKET}/${pathA}?token=${tok}`,
      });
      assert.ok(a.status >= 400 && a.status < 500, `token ${tok.slice(0, 20)}…: ${a.status}`);
      assert.ok(!a.text.includes(secretText));
    }
    const genuine = await send({
      method: "GET",
      path: `/storage/v1/object/sign/${BUCKET}/${pathB}?token=${token}`,
    });
    assert.equal(genuine.status, 200, "the untouched token still opens B's own object");
  });

  await t.step("nothing written", async () => {
    assert.deepEqual(changedTables(before, await fingerprint()), []);
  });
  await closeAll();
});
