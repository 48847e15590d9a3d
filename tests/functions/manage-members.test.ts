// manage-members through supabase-js functions.invoke: every route's happy path, each refused
// actor with its exact status, bad input naming the field, and nothing written when refused.
import assert from "node:assert/strict";
import { call, callRaw, count, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll, db } from "../helpers/stack.ts";

const fn = "manage-members";
const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "manage-members", ...options }, async (t) => {
  const w = await createWorld("members");
  const members = `clients/${w.clientA}/members`;
  const invitations = `clients/${w.clientA}/invitations`;
  try {
    await t.step("GET members: members see members and pending invitations", async () => {
      const { status, body } = await call(w.email.collabA, fn, { path: members });
      assert.equal(status, 200);
      assert.deepEqual(
        body.members.map((m: { email: string; role: string }) => `${m.email}/${m.role}`).sort(),
        [`${w.email.collabA}/collaborator`, `${w.email.ownerA}/owner`].sort(),
      );
      assert.deepEqual(body.invitations, []);
      assert.equal((await call(w.email.admin, fn, { path: members })).status, 200);
    });

    await t.step(
      "GET members: anon 401, other client and outsiders 404, bad uuid 400",
      async () => {
        assert.equal((await call(null, fn, { path: members })).status, 401);
        assert.equal((await call(w.email.ownerB, fn, { path: members })).status, 404);
        assert.equal((await call(w.email.outsider, fn, { path: members })).status, 404);
        const bad = await call(w.email.ownerA, fn, { path: "clients/not-a-uuid/members" });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.error.details[0].field, "clientId");
      },
    );

    let token = "";
    let invitationId = "";
    await t.step("POST invitations: owner invites, token shown once, hash stored", async () => {
      const { status, body } = await call(w.email.ownerA, fn, {
        method: "POST",
        path: invitations,
        body: { email: w.email.outsider.toUpperCase(), role: "collaborator" },
      });
      assert.equal(status, 201);
      assert.match(body.token, /^[0-9a-f]{64}$/);
      assert.equal(body.invitation.email, w.email.outsider);
      assert.equal(body.invitation.token_hash, undefined);
      token = body.token;
      invitationId = body.invitation.id;
      const listed = await call(w.email.collabA, fn, { path: members });
      assert.deepEqual(listed.body.invitations.map((i: { id: string }) => i.id), [invitationId]);
      assert.equal(JSON.stringify(listed.body).includes(token), false);
    });

    await t.step("POST invitations: refused callers write nothing", async () => {
      const before = await count("public.client_invitations", "client_id = $1", w.clientA);
      const body = { email: `new-${w.tag}@domain.test`, role: "owner" };
      const cases: [string | null, number][] = [
        [null, 401],
        [w.email.collabA, 403],
        [w.email.ownerB, 404],
        [w.email.outsider, 404],
      ];
      for (const [who, expected] of cases) {
        const answer = await call(who, fn, { method: "POST", path: invitations, body });
        assert.equal(answer.status, expected, `${who} -> ${expected}`);
      }
      const dup = await call(w.email.ownerA, fn, {
        method: "POST",
        path: invitations,
        body: { email: w.email.outsider, role: "owner" },
      });
      assert.equal(dup.status, 409, "duplicate pending invitation");
      const member = await call(w.email.ownerA, fn, {
        method: "POST",
        path: invitations,
        body: { email: w.email.collabA, role: "owner" },
      });
      assert.equal(member.status, 409, "already a member");
      assert.equal(member.body.error.code, "already_member");
      assert.equal(await count("public.client_invitations", "client_id = $1", w.clientA), before);
    });

    await t.step("POST invitations: bad input is 400 naming the field", async () => {
      const cases: [unknown, string][] = [
        [{ role: "owner" }, "email"],
        [{ email: "not-an-email", role: "owner" }, "email"],
        [{ email: `${"x".repeat(320)}@domain.test`, role: "owner" }, "email"],
        [{ email: "a@domain.test", role: "king" }, "role"],
        [{ email: "a@domain.test", role: "owner", admin: true }, "admin"],
        [{ email: 42, role: "owner" }, "email"],
      ];
      for (const [body, field] of cases) {
        const answer = await call(w.email.ownerA, fn, { method: "POST", path: invitations, body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.ok(
          answer.body.error.details.some((d: { field: string }) => d.field === field),
          `${JSON.stringify(body)} names ${field}`,
        );
      }
      const raw = await callRaw(w.email.ownerA, fn, {
        method: "POST",
        path: invitations,
        body: "email=a",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(raw.status, 415);
      assert.equal(await count("public.client_invitations", "email = 'a@domain.test'"), 0);
    });

    await t.step("POST invitations/accept: only the invitee, only once", async () => {
      const accept = { method: "POST" as const, path: "invitations/accept", body: { token } };
      assert.equal((await call(null, fn, accept)).status, 401);
      const other = await call(w.email.ownerB, fn, accept);
      assert.equal(other.status, 403);
      assert.equal(other.body.error.code, "invitation_email_mismatch");
      const unknown = await call(w.email.outsider, fn, { ...accept, body: { token: "nope" } });
      assert.equal(unknown.status, 404);
      const missing = await call(w.email.outsider, fn, { ...accept, body: {} });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.details[0].field, "token");
      assert.equal(await count("public.client_members", "user_id = $1", w.id.outsider), 0);

      const ok = await call(w.email.outsider, fn, accept);
      assert.equal(ok.status, 201);
      assert.equal(ok.body.member.role, "collaborator");
      const again = await call(w.email.outsider, fn, accept);
      assert.equal(again.status, 409);
      assert.equal(await count("public.client_members", "user_id = $1", w.id.outsider), 1);
    });

    await t.step("POST invitations/accept: an expired invitation is 422", async () => {
      const invited = await call(w.email.ownerB, fn, {
        method: "POST",
        path: `clients/${w.clientB}/invitations`,
        body: { email: w.email.collabA, role: "collaborator" },
      });
      assert.equal(invited.status, 201);
      await db()`update public.client_invitations set created_at = now() - interval '8 days',
        expires_at = now() - interval '1 day' where id = ${invited.body.invitation.id}`;
      const late = await call(w.email.collabA, fn, {
        method: "POST",
        path: "invitations/accept",
        body: { token: invited.body.token },
      });
      assert.equal(late.status, 422);
      assert.equal(late.body.error.code, "invitation_expired");
      assert.equal(
        await count(
          "public.client_members",
          "client_id = $1 and user_id = $2",
          w.clientB,
          w.id.collabA,
        ),
        0,
      );
    });

    await t.step("DELETE invitations/:id: owners revoke; others refused", async () => {
      const invited = await call(w.email.ownerA, fn, {
        method: "POST",
        path: invitations,
        body: { email: `later-${w.tag}@domain.test`, role: "owner" },
      });
      const path = `invitations/${invited.body.invitation.id}`;
      assert.equal((await call(null, fn, { method: "DELETE", path })).status, 401);
      assert.equal((await call(w.email.collabA, fn, { method: "DELETE", path })).status, 403);
      assert.equal((await call(w.email.ownerB, fn, { method: "DELETE", path })).status, 404);
      assert.equal(
        (await call(w.email.ownerA, fn, { method: "DELETE", path: "invitations/x" })).status,
        400,
      );
      assert.equal(
        await count(
          "public.client_invitations",
          "id = $1 and revoked_at is null",
          invited.body.invitation.id,
        ),
        1,
      );
      const ok = await call(w.email.ownerA, fn, { method: "DELETE", path });
      assert.equal(ok.status, 200);
      assert.ok(ok.body.invitation.revoked_at);
      assert.equal((await call(w.email.ownerA, fn, { method: "DELETE", path })).status, 409);
    });

    await t.step("PATCH members/:userId: owners change roles; collaborators cannot", async () => {
      const path = `${members}/${w.id.collabA}`;
      const promote = { method: "PATCH" as const, path, body: { role: "owner" } };
      assert.equal((await call(null, fn, promote)).status, 401);
      assert.equal((await call(w.email.collabA, fn, promote)).status, 403, "self-promotion");
      assert.equal((await call(w.email.ownerB, fn, promote)).status, 404);
      const bad = await call(w.email.ownerA, fn, { ...promote, body: { role: "admin" } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details[0].field, "role");
      const extra = await call(w.email.ownerA, fn, {
        ...promote,
        body: { role: "owner", user_id: w.id.ownerB },
      });
      assert.equal(extra.status, 400);
      assert.equal(
        await count("public.client_members", "user_id = $1 and role = 'owner'", w.id.collabA),
        0,
      );

      const ok = await call(w.email.ownerA, fn, promote);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.member.role, "owner");
    });

    await t.step("last owner: demoting, removing or leaving is 422", async () => {
      // B has one owner.
      const demote = await call(w.email.ownerB, fn, {
        method: "PATCH",
        path: `clients/${w.clientB}/members/${w.id.ownerB}`,
        body: { role: "collaborator" },
      });
      assert.equal(demote.status, 422);
      assert.equal(demote.body.error.code, "last_owner");
      const leave = await call(w.email.ownerB, fn, {
        method: "DELETE",
        path: `clients/${w.clientB}/members/${w.id.ownerB}`,
      });
      assert.equal(leave.status, 422);
      assert.equal(
        await count("public.client_members", "client_id = $1 and role = 'owner'", w.clientB),
        1,
      );
    });

    await t.step(
      "DELETE members/:userId: owners remove, anyone leaves, others refused",
      async () => {
        const path = `${members}/${w.id.outsider}`;
        assert.equal((await call(null, fn, { method: "DELETE", path })).status, 401);
        assert.equal((await call(w.email.ownerB, fn, { method: "DELETE", path })).status, 404);
        // collabA is an owner now (promoted above); make a fresh collaborator try.
        await db()`update public.client_members set role = 'collaborator'
        where client_id = ${w.clientA} and user_id = ${w.id.collabA}`;
        assert.equal(
          (await call(w.email.collabA, fn, { method: "DELETE", path: `${members}/${w.id.ownerA}` }))
            .status,
          403,
        );
        assert.equal(await count("public.client_members", "client_id = $1", w.clientA), 3);
        assert.equal((await call(w.email.ownerA, fn, { method: "DELETE", path })).status, 200);
        const leave = await call(w.email.collabA, fn, {
          method: "DELETE",
          path: `${members}/${w.id.collabA}`,
        });
        assert.equal(leave.status, 200);
        assert.equal(await count("public.client_members", "client_id = $1", w.clientA), 1);
      },
    );

    await t.step("GET audit: owners and admins read it, collaborators 403", async () => {
      const path = `clients/${w.clientA}/audit`;
      const { status, body } = await call(w.email.ownerA, fn, { path });
      assert.equal(status, 200);
      const actions = body.data.map((e: { table_name: string; action: string }) =>
        `${e.table_name}:${e.action}`
      );
      assert.ok(actions.includes("client_members:delete"));
      assert.ok(actions.includes("client_invitations:insert"));
      assert.ok(
        body.data.every((e: { new_data: Record<string, unknown> | null }) =>
          !e.new_data || !("token_hash" in e.new_data)
        ),
      );
      assert.equal((await call(w.email.admin, fn, { path })).status, 200);
      assert.equal((await call(null, fn, { path })).status, 401);
      assert.equal((await call(w.email.ownerB, fn, { path })).status, 404);
      // ownerB owns B; a member of B who is not an owner is refused with 403.
      await db()`insert into public.client_members (client_id, user_id, role)
        values (${w.clientB}, ${w.id.collabA}, 'collaborator')`;
      assert.equal(
        (await call(w.email.collabA, fn, { path: `clients/${w.clientB}/audit` })).status,
        403,
      );
      const page = await call(w.email.ownerA, fn, { path: `${path}?limit=1` });
      assert.equal(page.body.data.length, 1);
      const next = await call(w.email.ownerA, fn, {
        path: `${path}?limit=1&cursor=${page.body.next_cursor}`,
      });
      assert.ok(Number(next.body.data[0].id) < Number(page.body.data[0].id));
      const bad = await call(w.email.ownerA, fn, { path: `${path}?limit=0` });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details[0].field, "limit");
    });
  } finally {
    await w.cleanup();
    await closeAll();
  }
});
