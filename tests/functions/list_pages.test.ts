// Keyset pages read per visible client and merged (shared/client-pages.ts): a member of two
// clients pages through both clients' rows in one order, never sees a third client's, and
// an admin's unfiltered page spans every client.
import assert from "node:assert/strict";
import { call, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll, db } from "../helpers/stack.ts";

Deno.test("tickets list: merged per-client keyset pages", async (t) => {
  const w = await createWorld("pages");
  const sql = db();
  const [c] = await sql<{ id: string }[]>`insert into public.clients (name, email)
    values (${`C ${w.tag}`}, ${`c-${w.tag}@domain.test`}) returning id`;
  try {
    // ownerA also collaborates on B; C is nobody's here but the admin's to see.
    await sql`insert into public.client_members (client_id, user_id, role)
      values (${w.clientB}, ${w.id.ownerA}, 'collaborator')`;
    // Future timestamps keep these rows on the admin's first page; two pairs share a
    // created_at so the id tie-break is exercised across the merge.
    const rows = [
      [w.clientA, "1 day 10 minutes"],
      [w.clientB, "1 day 9 minutes"],
      [w.clientA, "1 day 8 minutes"],
      [w.clientB, "1 day 8 minutes"],
      [w.clientA, "1 day 7 minutes"],
      [c.id, "1 day 6 minutes"],
      [w.clientB, "1 day 5 minutes"],
      [w.clientA, "1 day 5 minutes"],
      [w.clientB, "1 day 4 minutes"],
    ] as const;
    const base = new Date("2100-01-01T00:00:00Z");
    for (const [i, [client, offset]] of rows.entries()) {
      await sql`insert into public.support_tickets
          (client_id, user_id, subject, description, created_at)
        values (${client}, ${client === c.id ? w.id.admin : w.id.ownerA}, ${`ticket ${i}`},
                'x', ${base}::timestamptz + ${offset}::interval)`;
    }
    const expected = await sql<{ id: string }[]>`select id from public.support_tickets
      where client_id in (${w.clientA}, ${w.clientB})
      order by created_at desc, id desc`;

    await t.step("a member of two clients pages through both, in order, nothing else", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const path: string = `?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const page = await call(w.email.ownerA, "tickets", { path });
        assert.equal(page.status, 200);
        assert.ok(page.body.data.length <= 2);
        for (const ticket of page.body.data) {
          assert.ok([w.clientA, w.clientB].includes(ticket.client_id), "no third client");
          assert.equal(ticket.page_id, undefined, "keyset columns are not answered");
          seen.push(ticket.id);
        }
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      assert.deepEqual(seen, expected.map((r) => r.id));
      assert.equal(pages, 4);
    });

    await t.step("filters apply inside every client's branch", async () => {
      await sql`update public.support_tickets set status = 'resolved'
        where client_id = ${w.clientB} and subject = 'ticket 3'`;
      const page = await call(w.email.ownerA, "tickets", { path: "?status=resolved&limit=50" });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.data.map((x: { subject: string }) => x.subject), [
        "ticket 3",
      ]);
    });

    await t.step("a member of one client sees only that client", async () => {
      const page = await call(w.email.ownerB, "tickets", { path: "?limit=50" });
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length > 0);
      assert.ok(page.body.data.every((x: { client_id: string }) => x.client_id === w.clientB));
    });

    await t.step("the admin's unfiltered page spans every client", async () => {
      const page = await call(w.email.admin, "tickets", { path: "?limit=9" });
      assert.equal(page.status, 200);
      const clients = new Set(page.body.data.map((x: { client_id: string }) => x.client_id));
      assert.deepEqual(clients, new Set([w.clientA, w.clientB, c.id]));
    });

    await t.step("a user with no membership gets an empty page", async () => {
      const page = await call(w.email.outsider, "tickets", { path: "?limit=50" });
      assert.equal(page.status, 200);
      assert.deepEqual(page.body.data, []);
      assert.equal(page.body.next_cursor, null);
    });
  } finally {
    await sql`delete from public.support_tickets where client_id = ${c.id}`;
    await sql`delete from public.clients where id = ${c.id}`;
    await w.cleanup();
    await closeAll();
  }
});
