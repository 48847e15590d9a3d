// tickets through supabase-js functions.invoke: create, list (filters, keyset pages), read
// one (internal notes hidden from members), change, comment; refused actors with their exact
// status, bad input naming the field, and nothing written when refused.
import assert from "node:assert/strict";
import { call, count, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll } from "../helpers/stack.ts";

const fn = "tickets";
const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "tickets", ...options }, async (t) => {
  const w = await createWorld("tickets");
  const ticketsOf = (client: string) => count("public.support_tickets", "client_id = $1", client);
  let ticketId = "";
  try {
    await t.step("POST /: a member opens a ticket as themselves", async () => {
      const { status, body } = await call(w.email.collabA, fn, {
        method: "POST",
        body: {
          client_id: w.clientA,
          subject: "Upload fails",
          description: "Big files",
          priority: "high",
        },
      });
      assert.equal(status, 201);
      assert.equal(body.ticket.status, "open");
      assert.equal(body.ticket.user_id, w.id.collabA);
      ticketId = body.ticket.id;
    });

    await t.step("POST /: refused actors and bad input write nothing", async () => {
      const good = { client_id: w.clientA, subject: "s", description: "d" };
      assert.equal((await call(null, fn, { method: "POST", body: good })).status, 401);
      assert.equal((await call(w.email.ownerB, fn, { method: "POST", body: good })).status, 403);
      assert.equal((await call(w.email.outsider, fn, { method: "POST", body: good })).status, 403);
      const cases: [unknown, string][] = [
        [{ client_id: w.clientA, description: "d" }, "subject"],
        [{ ...good, subject: "x".repeat(201) }, "subject"],
        [{ ...good, description: 7 }, "description"],
        [{ ...good, client_id: "nope" }, "client_id"],
        [{ ...good, priority: "asap" }, "priority"],
        [{ ...good, status: "closed" }, "status"],
      ];
      for (const [body, field] of cases) {
        const answer = await call(w.email.ownerA, fn, { method: "POST", body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.ok(
          answer.body.error.details.some((d: { field: string }) => d.field === field),
          field,
        );
      }
      assert.equal(await ticketsOf(w.clientA), 1);
      assert.equal(await ticketsOf(w.clientB), 0);
    });

    await t.step("GET /: filters and keyset pagination with an opaque cursor", async () => {
      for (let i = 0; i < 4; i++) {
        const answer = await call(w.email.ownerA, fn, {
          method: "POST",
          body: { client_id: w.clientA, subject: `page ${i}`, description: "d", priority: "low" },
        });
        assert.equal(answer.status, 201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?client_id=${w.clientA}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const { status, body } = await call(w.email.collabA, fn, { path: query });
        assert.equal(status, 200);
        seen.push(...body.data.map((x: { id: string }) => x.id));
        cursor = body.next_cursor;
      } while (cursor);
      assert.equal(seen.length, 5);
      assert.equal(new Set(seen).size, 5);
      assert.equal(seen.at(-1), ticketId, "newest first: the first ticket comes last");
      const low = await call(w.email.ownerA, fn, { path: `?priority=low&client_id=${w.clientA}` });
      assert.equal(low.body.data.length, 4);
      const other = await call(w.email.ownerB, fn, { path: `?client_id=${w.clientA}` });
      assert.deepEqual(other.body.data, [], "RLS: another client's tickets are not listed");
      assert.equal((await call(null, fn)).status, 401);
      for (
        const [query, field] of [["?cursor=garbage", "cursor"], ["?status=lost", "status"], [
          "?limit=500",
          "limit",
        ], ["?sort=x", "sort"]]
      ) {
        const answer = await call(w.email.ownerA, fn, { path: query });
        assert.equal(answer.status, 400, query);
        assert.ok(
          answer.body.error.details.some((d: { field: string }) => d.field === field),
          query,
        );
      }
    });

    await t.step("POST /:id/comments: members comment; internal notes are admin-only", async () => {
      const path = `${ticketId}/comments`;
      const ok = await call(w.email.ownerA, fn, {
        method: "POST",
        path,
        body: { body: "Any news?" },
      });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.comment.author_id, w.id.ownerA);
      const internal = await call(w.email.admin, fn, {
        method: "POST",
        path,
        body: { body: "Known S3 limit", is_internal: true },
      });
      assert.equal(internal.status, 201);
      const before = await count("public.ticket_comments", "ticket_id = $1", ticketId);
      assert.equal(
        (await call(null, fn, { method: "POST", path, body: { body: "x" } })).status,
        401,
      );
      assert.equal(
        (await call(w.email.collabA, fn, {
          method: "POST",
          path,
          body: { body: "x", is_internal: true },
        })).status,
        403,
      );
      assert.equal(
        (await call(w.email.ownerB, fn, { method: "POST", path, body: { body: "x" } })).status,
        404,
      );
      const empty = await call(w.email.ownerA, fn, { method: "POST", path, body: { body: "  " } });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error.details[0].field, "body");
      const big = await call(w.email.ownerA, fn, {
        method: "POST",
        path,
        body: { body: "x".repeat(10001) },
      });
      assert.equal(big.status, 400);
      assert.equal(
        (await call(w.email.ownerA, fn, {
          method: "POST",
          path: "bad/comments",
          body: { body: "x" },
        })).status,
        400,
      );
      assert.equal(await count("public.ticket_comments", "ticket_id = $1", ticketId), before);
    });

    await t.step("PATCH /:id: members may close or reopen, staff triage", async () => {
      const path = ticketId;
      const patch = (who: string | null, body: unknown) =>
        call(who, fn, { method: "PATCH", path, body });
      assert.equal((await patch(null, { status: "closed" })).status, 401);
      assert.equal((await patch(w.email.ownerB, { status: "closed" })).status, 404);
      assert.equal((await patch(w.email.collabA, { status: "in_progress" })).status, 403);
      assert.equal((await patch(w.email.collabA, { priority: "urgent" })).status, 403);
      assert.equal((await patch(w.email.collabA, { assigned_to: w.id.admin })).status, 403);
      assert.equal((await patch(w.email.admin, { assigned_to: w.id.ownerA })).status, 422);
      const empty = await patch(w.email.admin, {});
      assert.equal(empty.status, 400);
      const wrong = await patch(w.email.admin, { status: "done" });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.details[0].field, "status");
      assert.equal(
        await count(
          "public.support_tickets",
          "id = $1 and status = 'open' and priority = 'high' and assigned_to is null",
          ticketId,
        ),
        1,
      );
      const triage = await patch(w.email.admin, {
        status: "in_progress",
        assigned_to: w.id.admin,
        priority: "urgent",
      });
      assert.equal(triage.status, 200);
      assert.equal(triage.body.ticket.assigned_to, w.id.admin);
      const close = await patch(w.email.collabA, { status: "closed" });
      assert.equal(close.status, 200);
      assert.equal(
        (await patch(w.email.admin, { status: "resolved" })).status,
        422,
        "closed must reopen first",
      );
      assert.equal((await patch(w.email.ownerA, { status: "open" })).status, 200, "members reopen");
      assert.equal(
        (await call(w.email.admin, fn, {
          method: "PATCH",
          path: crypto.randomUUID(),
          body: { status: "closed" },
        })).status,
        404,
      );
    });

    await t.step(
      "GET /:id: ticket, comments (no internal notes for members) and history",
      async () => {
        const member = await call(w.email.collabA, fn, { path: ticketId });
        assert.equal(member.status, 200);
        assert.deepEqual(member.body.comments.map((c: { body: string }) => c.body), ["Any news?"]);
        assert.deepEqual(
          member.body.history.map((h: { from_status: string | null; to_status: string }) =>
            `${h.from_status}>${h.to_status}`
          ),
          ["null>open", "open>in_progress", "in_progress>closed", "closed>open"],
        );
        const admin = await call(w.email.admin, fn, { path: ticketId });
        assert.equal(admin.body.comments.length, 2);
        assert.equal((await call(w.email.ownerB, fn, { path: ticketId })).status, 404);
        assert.equal((await call(null, fn, { path: ticketId })).status, 401);
        assert.equal((await call(w.email.ownerA, fn, { path: "not-a-uuid" })).status, 400);
      },
    );
  } finally {
    await w.cleanup();
    await closeAll();
  }
});
