// manage-members' onboarding and admin-console routes: GET /me, accepting invitations by id,
// the client lifecycle and the user lifecycle. Each route's allowed callers, its refused ones
// with their status, and what a refusal did not write (rows, Auth users, mails).
import assert from "node:assert/strict";
import { adminAuth, freshEmail, frontend, latestMail } from "../helpers/auth.ts";
import { call, count, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll, db, stack } from "../helpers/stack.ts";

const fn = "manage-members";
const options = { sanitizeOps: false, sanitizeResources: false };

async function mailsTo(address: string): Promise<number> {
  const url = `${stack().apiUrl}/mail/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`;
  return (await (await fetch(url)).json()).messages.length;
}

/** Confirms a world user's e-mail the way following an Auth link would. */
async function confirm(email: string): Promise<void> {
  await db()`update auth.users set email_confirmed_at = now() where email = ${email}`;
}

Deno.test({ name: "onboarding: GET /me", ...options }, async (t) => {
  const w = await createWorld("me");
  try {
    await t.step("anon 401; a member gets profile, memberships and capabilities", async () => {
      assert.equal((await call(null, fn, { path: "me" })).status, 401);
      const { status, body: { me: body } } = await call(w.email.collabA, fn, { path: "me" });
      assert.equal(status, 200);
      assert.equal(body.profile.email, w.email.collabA);
      assert.equal(body.platform_role, "user");
      assert.deepEqual(
        body.memberships.map((
          m: { client_id: string; role: string; client_status: string },
        ) => [m.client_id, m.role, m.client_status]),
        [[w.clientA, "collaborator", "active"]],
      );
      const caps = body.capabilities;
      assert.equal(caps.platform.admin, false);
      assert.equal(caps.clients[w.clientA].start_executions, true);
      assert.equal(caps.clients[w.clientA].manage_members, false);
      assert.equal(caps.clients[w.clientB], undefined);
      const owner = (await call(w.email.ownerA, fn, { path: "me" })).body.me.capabilities;
      assert.equal(owner.clients[w.clientA].manage_members, true);
      assert.equal(owner.clients[w.clientA].change_status, false);
      const admin = (await call(w.email.admin, fn, { path: "me" })).body.me;
      assert.equal(admin.platform_role, "admin");
      assert.equal(admin.capabilities.platform.view_provider_costs, true);
    });

    await t.step("pending invitations: only for the caller's confirmed e-mail", async () => {
      const invited = await call(w.email.ownerA, fn, {
        method: "POST",
        path: `clients/${w.clientA}/invitations`,
        body: { email: w.email.outsider, role: "collaborator" },
      });
      assert.equal(invited.status, 201);
      assert.equal(invited.body.notification, "sent");
      const unconfirmed = await call(w.email.outsider, fn, { path: "me" });
      assert.deepEqual(unconfirmed.body.me.invitations, [], "unconfirmed e-mail sees nothing");
      await confirm(w.email.outsider);
      const confirmed = await call(w.email.outsider, fn, { path: "me" });
      assert.deepEqual(
        confirmed.body.me.invitations.map((
          i: { id: string; client_id: string },
        ) => [i.id, i.client_id]),
        [[invited.body.invitation.id, w.clientA]],
      );
      const other = await call(w.email.ownerB, fn, { path: "me" });
      assert.deepEqual(other.body.me.invitations, []);
    });

    await t.step("a suspended user: own profile, no memberships, no capabilities", async () => {
      await db()`update public.users set status = 'suspended' where id = ${w.id.collabA}`;
      const { status, body: { me: body } } = await call(w.email.collabA, fn, { path: "me" });
      assert.equal(status, 200);
      assert.equal(body.profile.status, "suspended");
      assert.deepEqual(body.memberships, []);
      assert.deepEqual(body.capabilities.clients, {});
      await db()`update public.users set status = 'active' where id = ${w.id.collabA}`;
    });
  } finally {
    await w.cleanup();
  }
});

Deno.test({ name: "onboarding: accept an invitation by id", ...options }, async (t) => {
  const w = await createWorld("accept");
  const path = `clients/${w.clientA}/invitations`;
  try {
    const { body } = await call(w.email.ownerA, fn, {
      method: "POST",
      path,
      body: { email: w.email.outsider, role: "collaborator" },
    });
    const id = body.invitation.id;
    const accept = (who: string | null, invitation = id) =>
      call(who, fn, { method: "POST", path: `invitations/${invitation}/accept` });
    const members = () => count("public.client_members", "client_id = $1", w.clientA);

    await t.step("refused: anon 401, unconfirmed 403, someone else 404, bad id 400", async () => {
      const before = await members();
      assert.equal((await accept(null)).status, 401);
      const unconfirmed = await accept(w.email.outsider);
      assert.equal(unconfirmed.status, 403);
      assert.equal(unconfirmed.body.error.code, "email_not_confirmed");
      await confirm(w.email.ownerB);
      const other = await accept(w.email.ownerB);
      assert.equal(other.status, 404, "another address's invitation is not there for you");
      assert.equal(
        (await accept(w.email.ownerB, crypto.randomUUID())).body.error.code,
        other.body.error.code,
      );
      assert.equal((await accept(w.email.outsider, "nope")).status, 400);
      assert.equal(await members(), before, "nothing joined");
    });

    await t.step("the invitee joins once; a second accept is 409", async () => {
      await confirm(w.email.outsider);
      const ok = await accept(w.email.outsider);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.member.role, "collaborator");
      const again = await accept(w.email.outsider);
      assert.equal(again.status, 409);
      const [row] = await db()`select accepted_by from public.client_invitations where id = ${id}`;
      assert.equal(row.accepted_by, w.id.outsider);
    });

    await t.step("expired: 422, nothing joined", async () => {
      const email = `late-${w.tag}@domain.test`;
      const late = await call(w.email.ownerA, fn, {
        method: "POST",
        path,
        body: { email, role: "owner" },
      });
      const lateId = late.body.invitation.id;
      // The invitation made Auth invite the address: the account exists, unconfirmed.
      assert.equal(await count("auth.users", "email = $1", email), 1);
      await confirm(email);
      await db()`update public.client_invitations
                 set created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
                 where id = ${lateId}`;
      const before = await members();
      const res = await call(email, fn, { method: "POST", path: `invitations/${lateId}/accept` });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, "invitation_expired");
      assert.equal(await members(), before);
      await db()`delete from auth.users where email = ${email}`;
    });
  } finally {
    await w.cleanup();
  }
});

Deno.test({ name: "onboarding: client lifecycle", ...options }, async (t) => {
  const w = await createWorld("clients");
  const created: string[] = [];
  try {
    await t.step("create: non-admins 403 and nothing written (no client, no mail)", async () => {
      const ownerEmail = freshEmail("nobody-owner");
      const body = {
        name: `Refused ${w.tag}`,
        email: `refused-${w.tag}@domain.test`,
        owner_email: ownerEmail,
      };
      for (
        const [who, status] of [[null, 401], [w.email.ownerA, 403], [w.email.collabA, 403]] as const
      ) {
        assert.equal(
          (await call(who, fn, { method: "POST", path: "clients", body })).status,
          status,
        );
      }
      assert.equal(await count("public.clients", "name = $1", body.name), 0);
      assert.equal(await mailsTo(ownerEmail), 0);
      const both = await call(w.email.admin, fn, {
        method: "POST",
        path: "clients",
        body: { ...body, owner_user_id: w.id.ownerA },
      });
      assert.equal(both.status, 400);
      assert.equal(await count("public.clients", "name = $1", body.name), 0);
    });

    await t.step(
      "create with an existing user as first owner: member at once, audited",
      async () => {
        const res = await call(w.email.admin, fn, {
          method: "POST",
          path: "clients",
          body: {
            name: `Zeta ${w.tag}`,
            email: `zeta-${w.tag}@domain.test`,
            owner_user_id: w.id.ownerB,
          },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        created.push(res.body.client.id);
        assert.equal(res.body.owner.user_id, w.id.ownerB);
        const me = await call(w.email.ownerB, fn, { path: "me" });
        assert.ok(
          me.body.me.memberships.some((m: { client_id: string }) =>
            m.client_id === res.body.client.id
          ),
        );
        const suspendedUser = await call(w.email.admin, fn, {
          method: "POST",
          path: "clients",
          body: {
            name: `Ghost ${w.tag}`,
            email: `ghost-${w.tag}@domain.test`,
            owner_user_id: crypto.randomUUID(),
          },
        });
        assert.equal(suspendedUser.status, 404);
        assert.equal(await count("public.clients", "name = $1", `Ghost ${w.tag}`), 0);
      },
    );

    await t.step("list: search and keyset pages; members see only theirs", async () => {
      for (const n of ["Alpha", "Beta"]) {
        const r = await call(w.email.admin, fn, {
          method: "POST",
          path: "clients",
          body: {
            name: `${n} ${w.tag}`,
            email: `${n}-${w.tag}@domain.test`,
            owner_user_id: w.id.ownerA,
          },
        });
        created.push(r.body.client.id);
      }
      // B one microsecond after A, so (but for A ending in 999 µs) within A's millisecond: a
      // cursor that lost its microseconds (a timestamptz parameter sent through a JS Date) would
      // skip A. Only B moves: A's audit trail is asserted below.
      await db()`update public.clients set created_at = a.created_at + interval '1 microsecond'
                 from public.clients a
                 where a.id = ${w.clientA} and public.clients.id = ${w.clientB}`;
      const names: string[] = [];
      let cursor: string | null = "";
      let pages = 0;
      while (cursor !== null) {
        const page = await call(w.email.admin, fn, {
          path: `clients?q=${w.tag}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        });
        assert.equal(page.status, 200);
        assert.ok(page.body.data.length <= 2);
        names.push(...page.body.data.map((c: { name: string }) => c.name));
        cursor = page.body.next_cursor;
        pages++;
      }
      assert.equal(pages, 3, "5 matches in pages of 2");
      assert.deepEqual(
        names.sort(),
        [`A ${w.tag}`, `Alpha ${w.tag}`, `B ${w.tag}`, `Beta ${w.tag}`, `Zeta ${w.tag}`].sort(),
      );
      const member = await call(w.email.collabA, fn, { path: `clients?q=${w.tag}` });
      assert.deepEqual(member.body.data.map((c: { id: string }) => c.id), [w.clientA]);
      assert.equal((await call(w.email.admin, fn, { path: "clients?cursor=bogus" })).status, 400);
    });

    await t.step("edit: owners their contact details; status is the admin's", async () => {
      const path = `clients/${w.clientA}`;
      const renamed = await call(w.email.ownerA, fn, {
        method: "PATCH",
        path,
        body: { company_name: "Acme 2" },
      });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.client.company_name, "Acme 2");
      const status = await call(w.email.ownerA, fn, {
        method: "PATCH",
        path,
        body: { status: "suspended" },
      });
      assert.equal(status.status, 403);
      assert.equal(
        (await call(w.email.collabA, fn, { method: "PATCH", path, body: { name: "x" } })).status,
        403,
      );
      assert.equal(
        (await call(w.email.ownerB, fn, { method: "PATCH", path, body: { name: "x" } })).status,
        404,
      );
      const [row] = await db()`select name, status from public.clients where id = ${w.clientA}`;
      assert.deepEqual({ ...row }, { name: `A ${w.tag}`, status: "active" });
    });

    await t.step("suspend: members lose access at once; reactivate gives it back", async () => {
      const path = `clients/${w.clientA}`;
      const suspended = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { status: "suspended" },
      });
      assert.equal(suspended.body.client.status, "suspended");
      assert.equal((await call(w.email.collabA, fn, { path: `${path}/members` })).status, 404);
      assert.deepEqual((await call(w.email.collabA, fn, { path: "me" })).body.me.memberships, []);
      await call(w.email.admin, fn, { method: "PATCH", path, body: { status: "active" } });
      assert.equal((await call(w.email.collabA, fn, { path: `${path}/members` })).status, 200);
      const trail = await db()`select new_data ->> 'status' as status from public.audit_logs
        where table_name = 'clients' and record_id = ${w.clientA} and action = 'update' order by id`;
      assert.deepEqual(trail.map((r) => r.status), ["active", "suspended", "active"]);
    });

    await t.step("soft delete is final: reactivating a deleted client is 422", async () => {
      const id = created[0];
      const del = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `clients/${id}`,
        body: { status: "deleted" },
      });
      assert.equal(del.body.client.status, "deleted");
      const back = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `clients/${id}`,
        body: { status: "active" },
      });
      assert.equal(back.status, 422);
      assert.equal(back.body.error.code, "client_deleted");
    });
  } finally {
    await db()`delete from public.clients where id in ${
      db()(created.length ? created : [crypto.randomUUID()])
    }`;
    await w.cleanup();
  }
});

Deno.test({ name: "onboarding: user lifecycle", ...options }, async (t) => {
  const w = await createWorld("users");
  const email = freshEmail("platform-invite");
  try {
    await t.step("invite: non-admins 403, no Auth user, no mail", async () => {
      for (const who of [w.email.ownerA, w.email.collabA]) {
        const res = await call(who, fn, {
          method: "POST",
          path: "users/invitations",
          body: { email },
        });
        assert.equal(res.status, 403);
      }
      assert.equal(await count("auth.users", "email = $1", email), 0);
      assert.equal(await mailsTo(email), 0);
    });

    await t.step("invite: admins, through Auth (user + invite mail); twice 409", async () => {
      const res = await call(w.email.admin, fn, {
        method: "POST",
        path: "users/invitations",
        body: { email, name: "Pat Platform" },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user.name, "Pat Platform");
      assert.equal((await latestMail(email)).Subject, "You have been invited");
      const existing = await call(w.email.admin, fn, {
        method: "POST",
        path: "users/invitations",
        body: { email: "owner@acme.test" },
      });
      assert.equal(existing.status, 409);
    });

    await t.step("suspend: RLS drops access at once and Auth refuses new sign-ins", async () => {
      const { data } = await adminAuth().auth.admin.updateUserById(w.id.collabA, {
        password: "collab-pass-1",
      });
      assert.ok(data.user);
      await db()`update auth.users set email_confirmed_at = now() where id = ${w.id.collabA}`;
      const refused = await call(w.email.ownerA, fn, {
        method: "PATCH",
        path: `users/${w.id.collabA}`,
        body: { status: "suspended" },
      });
      assert.equal(refused.status, 403, "an owner can see the member but not suspend them");
      assert.equal(
        (await call(w.email.ownerB, fn, {
          method: "PATCH",
          path: `users/${w.id.collabA}`,
          body: { status: "suspended" },
        })).status,
        404,
      );
      const res = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `users/${w.id.collabA}`,
        body: { status: "suspended" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.user.status, "suspended");
      assert.equal(
        (await call(w.email.collabA, fn, { path: `clients/${w.clientA}/members` })).status,
        404,
      );
      const signIn = await frontend().auth.signInWithPassword({
        email: w.email.collabA,
        password: "collab-pass-1",
      });
      assert.equal(signIn.error?.code, "user_banned");
      const back = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `users/${w.id.collabA}`,
        body: { status: "active" },
      });
      assert.equal(back.status, 200);
      const again = await frontend().auth.signInWithPassword({
        email: w.email.collabA,
        password: "collab-pass-1",
      });
      assert.equal(again.error, null);
      const trail = await db()`select new_data ->> 'status' as status from public.audit_logs
        where table_name = 'users' and record_id = ${w.id.collabA} order by id`;
      assert.deepEqual(trail.map((r) => r.status), ["suspended", "active"]);
    });

    await t.step("an admin cannot suspend themselves (422)", async () => {
      const res = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `users/${w.id.admin}`,
        body: { status: "suspended" },
      });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, "own_account");
    });

    await t.step("list users: admins all (search), members their co-members", async () => {
      const admin = await call(w.email.admin, fn, { path: `users?q=${w.tag}&limit=100` });
      assert.equal(admin.body.data.length, 5);
      const member = await call(w.email.collabA, fn, { path: `users?q=${w.tag}` });
      assert.deepEqual(
        member.body.data.map((u: { email: string }) => u.email).sort(),
        [w.email.collabA, w.email.ownerA].sort(),
      );
    });
  } finally {
    await db()`delete from auth.users where email = ${email}`;
    await w.cleanup();
  }
});

Deno.test({ name: "admin analytics and provider cost visibility", ...options }, async (t) => {
  const w = await createWorld("analytics");
  const [workflow] = await db()`
    insert into public.workflows (name, status, config, client_id, template_id)
    select 'Analytics wf', 'active', config, ${w.clientA}, id
    from public.workflow_templates where id = 'd0000000-0000-4000-8000-000000000001'
    returning id`;
  // A finished run as the finaliser leaves it: 3 of 4 images, cost and revenue in output_data.
  const [run] = await db()`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
       started_at, completed_at, unit_revenue)
    values (${workflow.id}, ${w.clientA}, ${w.id.collabA}, 'completed', '{"prompts": ["a"]}',
      '{"successful": 3, "failed": 1, "cancelled": 0, "total": 4, "cost": 0.117, "revenue": 0.3}',
      now(), now(), 0.1)
    returning id`;
  try {
    await t.step("success by client: admins get run and item rates; members 403", async () => {
      const res = await call(w.email.admin, "assign-template", {
        path: "analytics/success-by-client",
      });
      assert.equal(res.status, 200);
      const row = res.body.data.find((c: { client_id: string }) => c.client_id === w.clientA);
      assert.deepEqual(
        [
          row.executions,
          row.completed,
          row.execution_success_rate,
          row.items_total,
          row.item_success_rate,
        ],
        [1, 1, 1, 4, 0.75],
      );
      const member = await call(w.email.ownerA, "assign-template", {
        path: "analytics/success-by-client",
      });
      assert.equal(member.status, 403);
      assert.equal(member.body.error.code, "admin_only");
      const bad = await call(w.email.admin, "assign-template", {
        path: "analytics/usage?from=yesterday",
      });
      assert.equal(bad.status, 400);
    });

    await t.step("top workflows and usage per month with revenue, cost and margin", async () => {
      const top = await call(w.email.admin, "assign-template", {
        path: "analytics/top-workflows?limit=100",
      });
      const mine = top.body.data.find((r: { workflow_id: string }) =>
        r.workflow_id === workflow.id
      );
      assert.equal(mine.template_name, "Flash Image Gen");
      assert.equal(mine.items_successful, 3);
      const usage = await call(w.email.admin, "assign-template", {
        path: `analytics/usage?client_id=${w.clientA}`,
      });
      assert.deepEqual(
        usage.body.data.map((
          u: Record<string, unknown>,
        ) => [u.revenue, u.provider_cost, u.margin]),
        [
          [0.3, 0.117, 0.183],
        ],
      );
    });

    await t.step(
      "execution list: members see their price, admins also the provider cost",
      async () => {
        const member = await call(w.email.collabA, "start-execution", {
          path: `?workflow_id=${workflow.id}`,
        });
        assert.equal(member.status, 200);
        const [seen] = member.body.data;
        assert.equal(seen.id, run.id);
        assert.equal(seen.unit_revenue, 0.1);
        assert.equal(seen.unit_cost, undefined);
        assert.equal(seen.provider_cost, undefined);
        assert.equal(seen.output_data.cost, undefined);
        assert.equal(JSON.stringify(member.body).includes("0.117"), false);
        const admin = await call(w.email.admin, "start-execution", {
          path: `?workflow_id=${workflow.id}`,
        });
        assert.equal(admin.body.data[0].provider_cost, 0.117);
      },
    );
  } finally {
    await db()`delete from public.workflow_executions where id = ${run.id}`;
    await w.cleanup();
  }
});

Deno.test({ name: "onboarding: close", ...options }, async () => {
  await closeAll();
});
