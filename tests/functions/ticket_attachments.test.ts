// Ticket attachments end to end through supabase-js: register a file with the tickets
// function, upload its bytes with Storage's signed upload URL (never through a function),
// read it as permitted members and admins, refused for everyone else by path through the
// Storage API; internal notes' files for admins only; a moved ticket takes its files (old
// client refused, new client reads); deleting the ticket removes rows and objects. Plus the
// admin views (filters, counts) and the execution summary on GET tickets/:id.
import assert from "node:assert/strict";
import { makePng } from "../fakes/gemini-png.ts";
import { call, count, createWorld } from "../helpers/domain-fixtures.ts";
import { ACME_CLIENT, ACME_WORKFLOW } from "../helpers/executions.ts";
import { anonClient, closeAll, db, userClient, userId } from "../helpers/stack.ts";

const fn = "tickets";
const BUCKET = "ticket-attachments";
const options = { sanitizeOps: false, sanitizeResources: false };

async function storageAs(email: string | null) {
  return (email ? await userClient(email) : anonClient()).storage.from(BUCKET);
}

async function download(email: string | null, path: string): Promise<Uint8Array | null> {
  const { data, error } = await (await storageAs(email)).download(path);
  if (error || !data) return null;
  return new Uint8Array(await data.arrayBuffer());
}

Deno.test({ name: "ticket attachments end to end", ...options }, async (t) => {
  const w = await createWorld("attach");
  const png = makePng(`attach-${w.tag}`);
  let ticketId = "";
  let path = "";
  let internalPath = "";
  const objectsOf = (ticket: string) =>
    count("storage.objects", "bucket_id = $1 and name like $2", BUCKET, `${ticket}/%`);
  try {
    await t.step("a member registers a file and uploads it with the signed URL", async () => {
      const opened = await call(w.email.collabA, fn, {
        method: "POST",
        body: { client_id: w.clientA, subject: "Upload fails > 5MB", description: "see shot" },
      });
      assert.equal(opened.status, 201);
      ticketId = opened.body.ticket.id;
      const { status, body } = await call(w.email.collabA, fn, {
        method: "POST",
        path: `${ticketId}/attachments`,
        body: { file_name: "shot.png", mime_type: "image/png", size_bytes: png.byteLength },
      });
      assert.equal(status, 201, JSON.stringify(body));
      path = body.attachment.path;
      assert.equal(path, `${ticketId}/${body.attachment.id}`);
      assert.equal(body.upload.bucket, BUCKET);
      assert.equal(body.upload.path, path);
      assert.equal(await objectsOf(ticketId), 0, "nothing stored before the upload");
      const { error } = await (await storageAs(w.email.collabA)).uploadToSignedUrl(
        path,
        body.upload.token,
        png,
        { contentType: "image/png" },
      );
      assert.equal(error, null);
      assert.equal(await objectsOf(ticketId), 1);
      const [object] = await db()`select owner::text from storage.objects
        where bucket_id = ${BUCKET} and name = ${path}`;
      assert.equal(object.owner, w.id.collabA, "the signer owns the object");
    });

    await t.step("the same signed URL cannot upload twice (no replacing)", async () => {
      const signed = await (await storageAs(w.email.collabA)).createSignedUploadUrl(path);
      assert.ok(signed.error, "a second URL for an uploaded path is refused (duplicate)");
      assert.equal(await objectsOf(ticketId), 1);
    });

    await t.step("readers of the ticket download it; nobody else, by path", async () => {
      for (const who of [w.email.collabA, w.email.ownerA, w.email.admin]) {
        assert.deepEqual(await download(who, path), png, who);
      }
      for (const who of [w.email.ownerB, w.email.outsider, null]) {
        assert.equal(await download(who, path), null, String(who));
        const signed = await (await storageAs(who)).createSignedUrl(path, 60);
        assert.ok(signed.error, `${who} gets no signed URL`);
        const listed = await (await storageAs(who)).list(ticketId);
        assert.deepEqual(listed.data ?? [], [], `${who} lists nothing`);
      }
    });

    await t.step("others cannot register, sign or upload files on the ticket", async () => {
      const good = { file_name: "x.png", mime_type: "image/png", size_bytes: 10 };
      const before = await count("public.ticket_attachments", "ticket_id = $1", ticketId);
      assert.equal(
        (await call(null, fn, { method: "POST", path: `${ticketId}/attachments`, body: good }))
          .status,
        401,
      );
      for (const who of [w.email.ownerB, w.email.outsider]) {
        const answer = await call(who, fn, {
          method: "POST",
          path: `${ticketId}/attachments`,
          body: good,
        });
        assert.equal(answer.status, 404, who);
      }
      const cases: [Record<string, unknown>, string][] = [
        [{ ...good, mime_type: "application/zip" }, "mime_type"],
        [{ ...good, size_bytes: 10 * 1024 * 1024 + 1 }, "size_bytes"],
        [{ ...good, size_bytes: 0 }, "size_bytes"],
        [{ ...good, file_name: "a/b.png" }, "file_name"],
        [{ ...good, comment_id: "nope" }, "comment_id"],
        [{ ...good, extra: 1 }, "extra"],
      ];
      for (const [body, field] of cases) {
        const answer = await call(w.email.collabA, fn, {
          method: "POST",
          path: `${ticketId}/attachments`,
          body,
        });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.ok(
          answer.body.error.details.some((d: { field: string }) => d.field === field),
          field,
        );
      }
      assert.equal(await count("public.ticket_attachments", "ticket_id = $1", ticketId), before);
      // Direct Storage access by path: a slot registered by someone else, or no slot at all.
      const other = await call(w.email.ownerA, fn, {
        method: "POST",
        path: `${ticketId}/attachments`,
        body: good,
      });
      assert.equal(other.status, 201);
      for (const who of [w.email.collabA, w.email.ownerB]) {
        const signed = await (await storageAs(who)).createSignedUploadUrl(
          other.body.attachment.path,
        );
        assert.ok(signed.error, `${who} cannot sign another user's slot`);
        const direct = await (await storageAs(who)).upload(other.body.attachment.path, png, {
          contentType: "image/png",
        });
        assert.ok(direct.error, `${who} cannot upload to another user's slot`);
      }
      const free = await (await storageAs(w.email.collabA)).upload(
        `${ticketId}/${crypto.randomUUID()}`,
        png,
        {
          contentType: "image/png",
        },
      );
      assert.ok(free.error, "a path no attachment names cannot be uploaded");
      // The bucket's type limit applies to the signed upload itself.
      const wrongType = await (await storageAs(w.email.ownerA)).uploadToSignedUrl(
        other.body.attachment.path,
        other.body.upload.token,
        new TextEncoder().encode("MZ"),
        { contentType: "application/x-msdownload" },
      );
      assert.ok(wrongType.error, "a type the bucket refuses is not stored");
      assert.equal(await objectsOf(ticketId), 1);
    });

    await t.step("an internal note's files are for admins only", async () => {
      const note = await call(w.email.admin, fn, {
        method: "POST",
        path: `${ticketId}/comments`,
        body: { body: "checked the logs", is_internal: true },
      });
      assert.equal(note.status, 201);
      const member = await call(w.email.collabA, fn, {
        method: "POST",
        path: `${ticketId}/attachments`,
        body: {
          file_name: "n.txt",
          mime_type: "text/plain",
          size_bytes: 3,
          comment_id: note.body.comment.id,
        },
      });
      assert.equal(member.status, 404);
      const { status, body } = await call(w.email.admin, fn, {
        method: "POST",
        path: `${ticketId}/attachments`,
        body: {
          file_name: "server.log",
          mime_type: "text/plain",
          size_bytes: 3,
          comment_id: note.body.comment.id,
        },
      });
      assert.equal(status, 201);
      assert.equal(body.attachment.is_internal, true);
      internalPath = body.attachment.path;
      const up = await (await storageAs(w.email.admin)).uploadToSignedUrl(
        internalPath,
        body.upload.token,
        new TextEncoder().encode("log"),
        { contentType: "text/plain" },
      );
      assert.equal(up.error, null);
      assert.deepEqual(
        await download(w.email.admin, internalPath),
        new TextEncoder().encode("log"),
      );
      for (const who of [w.email.collabA, w.email.ownerA, w.email.ownerB]) {
        assert.equal(await download(who, internalPath), null, who);
      }
    });

    await t.step("GET tickets/:id lists the files the caller may read", async () => {
      const member = await call(w.email.collabA, fn, { path: ticketId });
      assert.equal(member.status, 200);
      const names = member.body.attachments.map((a: { file_name: string }) => a.file_name).sort();
      assert.deepEqual(names, ["shot.png", "x.png"]);
      const shot = member.body.attachments.find((a: { file_name: string }) =>
        a.file_name === "shot.png"
      );
      assert.ok(shot.uploaded_at);
      assert.equal(Number(shot.stored_bytes), png.byteLength);
      const pending = member.body.attachments.find((a: { file_name: string }) =>
        a.file_name === "x.png"
      );
      assert.equal(pending.uploaded_at, null);
      const admin = await call(w.email.admin, fn, { path: ticketId });
      assert.equal(admin.body.attachments.length, 3);
      assert.equal(admin.body.execution, null);
    });

    await t.step("admin views: assignee filters, subject search and counts", async () => {
      const assign = await call(w.email.admin, fn, {
        method: "PATCH",
        path: ticketId,
        body: { assigned_to: w.id.admin, status: "in_progress" },
      });
      assert.equal(assign.status, 200);
      const other = await call(w.email.ownerA, fn, {
        method: "POST",
        body: { client_id: w.clientA, subject: `Billing ${w.tag}`, description: "d" },
      });
      const ids = async (query: string, who = w.email.admin) => {
        const answer = await call(who, fn, { path: `?client_id=${w.clientA}&${query}` });
        assert.equal(answer.status, 200, query);
        return answer.body.data.map((x: { id: string }) => x.id);
      };
      assert.deepEqual(await ids("assigned_to=me"), [ticketId]);
      assert.deepEqual(await ids("assigned_to=none"), [other.body.ticket.id]);
      assert.deepEqual(await ids(`assigned_to=${w.id.admin}`), [ticketId]);
      assert.deepEqual(await ids(`q=${encodeURIComponent("billing " + w.tag)}`), [
        other.body.ticket.id,
      ]);
      assert.deepEqual(await ids("q=100%25"), [], "% is matched literally");
      assert.deepEqual(
        await ids("assigned_to=me", w.email.ownerA),
        [],
        "members are nobody's assignee",
      );
      const page1 = await call(w.email.admin, fn, { path: `?client_id=${w.clientA}&limit=1` });
      assert.equal(page1.body.data.length, 1);
      const page2 = await call(w.email.admin, fn, {
        path: `?client_id=${w.clientA}&limit=1&cursor=${page1.body.next_cursor}`,
      });
      assert.notEqual(page2.body.data[0].id, page1.body.data[0].id);
      const bad = await call(w.email.admin, fn, { path: "?assigned_to=someone" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details[0].field, "assigned_to");

      const counts = await call(w.email.admin, fn, { path: `counts?client_id=${w.clientA}` });
      assert.equal(counts.status, 200);
      assert.deepEqual(counts.body, {
        counts: { open: 1, in_progress: 1, resolved: 0, closed: 0 },
        total: 2,
      });
      const mine = await call(w.email.admin, fn, {
        path: `counts?client_id=${w.clientA}&assigned_to=me`,
      });
      assert.deepEqual(mine.body.counts, { open: 0, in_progress: 1, resolved: 0, closed: 0 });
      const member = await call(w.email.collabA, fn, { path: "counts" });
      assert.equal(member.body.total, 2, "members count their clients' tickets");
      const stranger = await call(w.email.ownerB, fn, { path: `counts?client_id=${w.clientA}` });
      assert.equal(stranger.body.total, 0, "RLS: another client's tickets do not count");
      assert.equal((await call(null, fn, { path: "counts" })).status, 401);
      assert.equal((await call(w.email.admin, fn, { path: "counts?status=open" })).status, 400);
    });

    await t.step("moving the ticket carries its files; the old client loses them", async () => {
      const refused = await call(w.email.ownerA, fn, {
        method: "PATCH",
        path: ticketId,
        body: { client_id: w.clientB },
      });
      assert.equal(refused.status, 403);
      const moved = await call(w.email.admin, fn, {
        method: "PATCH",
        path: ticketId,
        body: { client_id: w.clientB },
      });
      assert.equal(moved.status, 200);
      assert.equal(moved.body.ticket.client_id, w.clientB);
      assert.equal(await download(w.email.collabA, path), null);
      assert.equal(await download(w.email.ownerA, path), null);
      assert.deepEqual(await download(w.email.ownerB, path), png);
      assert.equal(await download(w.email.ownerB, internalPath), null, "internal stays internal");
      const view = await call(w.email.ownerB, fn, { path: ticketId });
      assert.equal(view.body.attachments.length, 2);
      assert.equal((await call(w.email.ownerA, fn, { path: ticketId })).status, 404);
    });

    await t.step("deleting the ticket removes its rows and objects (admins only)", async () => {
      assert.equal(
        (await call(w.email.ownerB, fn, { method: "DELETE", path: ticketId })).status,
        403,
      );
      assert.equal(
        (await call(w.email.outsider, fn, { method: "DELETE", path: ticketId })).status,
        404,
      );
      assert.equal(await objectsOf(ticketId), 2);
      const { status, body } = await call(w.email.admin, fn, { method: "DELETE", path: ticketId });
      assert.equal(status, 200);
      assert.deepEqual(body, { ticket: { id: ticketId }, files_removed: 2, files_left: [] });
      assert.equal(await objectsOf(ticketId), 0);
      assert.equal(await count("public.ticket_attachments", "ticket_id = $1", ticketId), 0);
      assert.equal(await count("public.ticket_comments", "ticket_id = $1", ticketId), 0);
      assert.equal(await count("public.ticket_status_history", "ticket_id = $1", ticketId), 0);
      assert.equal(
        (await call(w.email.admin, fn, { method: "DELETE", path: ticketId })).status,
        404,
      );
    });
  } finally {
    await w.cleanup();
    await closeAll();
  }
});

Deno.test(
  { name: "a ticket shows its execution's summary to the ticket's readers", ...options },
  async () => {
    const sql = db();
    const collaborator = await userId("collaborator@acme.test");
    const [execution] = await sql<{ id: string }[]>`
    insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, status, input_data)
    values (${ACME_WORKFLOW}, ${ACME_CLIENT}, ${collaborator}, 'failed', ${
      sql.json({ prompts: ["a fox"] })
    })
    returning id`;
    let ticketId = "";
    try {
      const foreign = await call("owner@globex.test", fn, {
        method: "POST",
        body: {
          client_id: "c0000000-0000-4000-8000-000000000002",
          subject: "not mine",
          description: "d",
          execution_id: execution.id,
        },
      });
      assert.equal(foreign.status, 422);
      assert.equal(foreign.body.error.code, "execution_not_of_client");
      const opened = await call("collaborator@acme.test", fn, {
        method: "POST",
        body: {
          client_id: ACME_CLIENT,
          subject: "my run failed",
          description: "d",
          execution_id: execution.id,
        },
      });
      assert.equal(opened.status, 201, JSON.stringify(opened.body));
      ticketId = opened.body.ticket.id;
      for (const who of ["collaborator@acme.test", "owner@acme.test", "admin@masstock.test"]) {
        const { status, body } = await call(who, fn, { path: ticketId });
        assert.equal(status, 200, who);
        assert.equal(body.execution.id, execution.id, who);
        assert.equal(body.execution.status, "failed");
        assert.equal(body.execution.workflow_id, ACME_WORKFLOW);
        assert.ok("progress" in body.execution);
      }
      assert.equal((await call("owner@globex.test", fn, { path: ticketId })).status, 404);
      const relink = await call("owner@acme.test", fn, {
        method: "PATCH",
        path: ticketId,
        body: { execution_id: null },
      });
      assert.equal(relink.status, 403, "members cannot change the link");
    } finally {
      if (ticketId) await sql`delete from public.support_tickets where id = ${ticketId}`;
      await sql`delete from public.workflow_executions where id = ${execution.id}`;
      await closeAll();
    }
  },
);
