// The "done when", end to end and through the product only: starting from the seeded
// admin, a client is created with an invited first owner; the owner sets a password through
// the invite link from the outbox and signs in with supabase-js auth; the owner invites a
// collaborator, who does the same and starts an execution. No SQL, no token passed by hand:
// every call is a supabase-js client carrying the session its own auth client holds.
import assert from "node:assert/strict";
import type { SupabaseClient } from "@supabase/supabase-js";
import { FunctionsHttpError } from "@supabase/supabase-js";
import { freshEmail, frontend, latestMail, openLink, verifyLink } from "../helpers/auth.ts";
import { closeAll } from "../helpers/stack.ts";
import { startStackGeminiFake, waitFor } from "../helpers/executions.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const FLASH_TEMPLATE = "d0000000-0000-4000-8000-000000000001";

async function invoke(
  sb: SupabaseClient,
  name: string,
  method: "GET" | "POST" | "PATCH",
  body?: Record<string, unknown>,
) {
  const { data, error, response } = await sb.functions.invoke(name, { method, body });
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    return { status: res.status, body: await res.json() };
  }
  if (error) throw error;
  return { status: response!.status, body: data };
}

/** A person who received an invite mail: opens its link, sets a password, signs in again. */
async function acceptInviteMail(email: string, password: string): Promise<SupabaseClient> {
  const mail = await latestMail(email);
  assert.equal(mail.Subject, "You have been invited");
  const fragment = await openLink(verifyLink(mail));
  const first = frontend();
  const { error } = await first.auth.setSession({
    access_token: fragment.get("access_token")!,
    refresh_token: fragment.get("refresh_token")!,
  });
  assert.equal(error, null);
  assert.equal((await first.auth.updateUser({ password })).error, null);
  await first.auth.signOut();
  const sb = frontend();
  const signIn = await sb.auth.signInWithPassword({ email, password });
  assert.equal(signIn.error, null, "signs in with the password set through the invite link");
  return sb;
}

Deno.test({
  name: "onboarding: done when (admin -> invited owner -> collaborator -> execution)",
  ...options,
}, async (t) => {
  const ownerEmail = freshEmail("first-owner");
  const collabEmail = freshEmail("first-collab");
  const fake = startStackGeminiFake(5);
  const admin = frontend();
  let clientId = "";
  let workflowId = "";
  let owner: SupabaseClient;
  let collaborator: SupabaseClient;

  await t.step(
    "the seeded admin signs in and creates a client with an invited first owner",
    async () => {
      const { error } = await admin.auth.signInWithPassword({
        email: "admin@masstock.test",
        password: "masstock-demo",
      });
      assert.equal(error, null);
      const created = await invoke(admin, "manage-members/clients", "POST", {
        name: "Initech",
        company_name: "Initech LLC",
        email: "contact@initech.test",
        owner_email: ownerEmail,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.notification, "sent");
      assert.equal(created.body.invitation.role, "owner");
      clientId = created.body.client.id;
      const assigned = await invoke(admin, "assign-template/assignments", "POST", {
        template_id: FLASH_TEMPLATE,
        client_id: clientId,
      });
      assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
      workflowId = assigned.body.workflow.id;
    },
  );

  await t.step(
    "the owner sets a password via the outbox invite link, signs in, accepts",
    async () => {
      owner = await acceptInviteMail(ownerEmail, "owner-password-1");
      const me = await invoke(owner, "manage-members/me", "GET");
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.me.memberships, []);
      const [invitation] = me.body.me.invitations;
      assert.equal(invitation.client_id, clientId);
      assert.equal(invitation.role, "owner");
      const accepted = await invoke(
        owner,
        `manage-members/invitations/${invitation.id}/accept`,
        "POST",
      );
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
      const after = await invoke(owner, "manage-members/me", "GET");
      assert.deepEqual(
        after.body.me.memberships.map((
          m: { client_id: string; role: string },
        ) => [m.client_id, m.role]),
        [[clientId, "owner"]],
      );
      assert.equal(after.body.me.capabilities.clients[clientId].invite_members, true);
    },
  );

  await t.step("the owner invites a collaborator, who signs in and accepts", async () => {
    const invited = await invoke(owner, `manage-members/clients/${clientId}/invitations`, "POST", {
      email: collabEmail,
      role: "collaborator",
    });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    assert.equal(invited.body.notification, "sent");
    collaborator = await acceptInviteMail(collabEmail, "collab-password-1");
    const me = await invoke(collaborator, "manage-members/me", "GET");
    const [invitation] = me.body.me.invitations;
    assert.equal(invitation.client_name, "Initech");
    const accepted = await invoke(
      collaborator,
      `manage-members/invitations/${invitation.id}/accept`,
      "POST",
    );
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    const caps = (await invoke(collaborator, "manage-members/me", "GET")).body.me.capabilities;
    assert.equal(caps.clients[clientId].start_executions, true);
    assert.equal(caps.clients[clientId].invite_members, false);
  });

  await t.step("the collaborator starts an execution and watches it complete", async () => {
    const started = await invoke(collaborator, "start-execution", "POST", {
      workflow_id: workflowId,
      prompts: ["a red fox in snow", "a cat wearing sunglasses"],
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const done = await waitFor("the execution to complete", async () => {
      const view = await invoke(
        collaborator,
        `start-execution/${started.body.execution.id}`,
        "GET",
      );
      return view.body.execution.completed_at ? view.body.execution : null;
    });
    assert.equal(done.client_id, clientId);
    assert.equal(done.status, "completed");
    assert.equal(done.progress.completed, 2);
    assert.ok(done.results.every((r: { signed_url: string | null }) => r.signed_url));
  });

  await t.step("the owner's audit trail holds every lifecycle change", async () => {
    const audit = await invoke(owner, `manage-members/clients/${clientId}/audit`, "GET");
    assert.equal(audit.status, 200);
    const seen = audit.body.data.map((e: { table_name: string; action: string }) =>
      `${e.table_name}:${e.action}`
    );
    for (
      const expected of ["clients:insert", "client_invitations:insert", "client_members:insert"]
    ) {
      assert.ok(seen.includes(expected), `${expected} in ${seen.join(", ")}`);
    }
    assert.equal(seen.filter((s: string) => s === "client_members:insert").length, 2);
  });
  await fake.close();
});

Deno.test({ name: "onboarding done: close", ...options }, async () => {
  await closeAll();
});
