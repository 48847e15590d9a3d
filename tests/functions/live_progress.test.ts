// Live progress end to end: a member follows a real chain (pg_net, process-batch links, fake
// Gemini, Storage) through supabase-js Realtime channels — coalesced progress messages (at
// most one per 250 ms), every item announced once with its storage path, finished last — and
// GET start-execution/:id answers the same signed URL on every poll until it nears expiry.
import assert from "node:assert/strict";
import {
  ACME_CLIENT,
  ACME_WORKFLOW,
  invoke,
  items,
  startStackGeminiFake,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeViewers, type Received, viewer, watch } from "../helpers/realtime.ts";
import { closeAll, db, tokenFor, userClient } from "../helpers/stack.ts";

const COLLAB = "collaborator@acme.test";
const OWNER = "owner@acme.test";
const options = { sanitizeOps: false, sanitizeResources: false };
const MIN_INTERVAL_MS = 250;

interface Item {
  batch_index: number;
  status: string;
  storage_path: string | null;
}

Deno.test({
  name: "live progress: a member follows an execution through Realtime",
  ...options,
  async fn(t) {
    const fake = startStackGeminiFake(300);
    const member = await viewer(await tokenFor(COLLAB));
    const collab = await userClient(COLLAB);
    let executionId = "";
    try {
      const list = watch(member, `client:${ACME_CLIENT}`);
      assert.equal((await list.joined).status, "SUBSCRIBED");
      const prompts = Array.from({ length: 30 }, (_, i) => `live ${i}`);
      const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts },
      });
      assert.equal(started.status, 202);
      executionId = started.body.execution.id;
      const live = watch(member, `execution:${executionId}`);
      assert.equal((await live.joined).status, "SUBSCRIBED");

      await t.step("progress, then finished, reach the member", async () => {
        const finished = await live.next("finished", 90_000);
        await waitForFinished(executionId);
        const progress = finished.payload.progress as Record<string, number>;
        assert.equal(progress.total, 30);
        assert.equal(progress.completed, 30);
        assert.equal(progress.done, 30);
        assert.equal(finished.payload.status, "completed");
        const received = live.messages.filter((m) => m.event === "progress");
        assert.ok(received.length >= 1, "no progress message arrived before finished");
        // In order and without gaps from the first message this channel saw.
        const seqs = live.messages.map((m) => m.payload.seq as number);
        assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i));
        assert.equal(live.messages.at(-1)!.event, "finished");
        const listStarted = await list.next("started");
        assert.equal(listStarted.payload.execution_id, executionId);
        assert.equal(listStarted.payload.total, 30);
        const listFinished = await list.next("finished");
        assert.equal(listFinished.payload.execution_id, executionId);
      });

      await t.step("coalesced: at most one progress message per 250 ms", async () => {
        const rows = await db()<{ event: string; payload: Record<string, unknown> }[]>`
          select event, payload from realtime.messages
          where topic = ${`execution:${executionId}`}
          order by (payload ->> 'seq')::integer`;
        const sentAt = rows.filter((r) => r.event === "progress")
          .map((r) => Date.parse(r.payload.sent_at as string));
        for (let i = 1; i < sentAt.length; i++) {
          assert.ok(
            sentAt[i] - sentAt[i - 1] >= MIN_INTERVAL_MS - 5,
            `progress messages ${sentAt[i] - sentAt[i - 1]} ms apart`,
          );
        }
        assert.ok(rows.length < 30, `${rows.length} messages for 30 items: not coalesced`);
        assert.equal(rows.at(-1)!.event, "finished");
        assert.equal(rows.filter((r) => r.event === "finished").length, 1);
        // Every item is announced exactly once, with the path the ledger holds.
        const announced = rows.flatMap((r) => r.payload.items as Item[]);
        const ledger = await items(executionId);
        assert.deepEqual(
          announced.map((i) => i.batch_index).sort((a, b) => a - b),
          ledger.map((r) => r.batch_index),
        );
        for (const item of announced) {
          const row = ledger.find((r) => r.batch_index === item.batch_index)!;
          assert.equal(item.status, "completed");
          assert.equal(item.storage_path, row.result_storage_path);
        }
        assert.ok(!JSON.stringify(rows).includes("token="), "a message carries a signed URL");
        // What the member received is what was sent, from its first message on.
        const sent = rows.map((r) => r.payload.seq);
        const got = live.messages.map((m: Received) => m.payload.seq);
        assert.deepEqual(got, sent.slice(sent.indexOf(got[0])));
      });

      await t.step("GET answers the same signed URLs on every poll", async () => {
        type View = {
          execution: {
            results: { storage_path: string; signed_url: string; signed_url_expires_at: string }[];
          };
        };
        const first = await invoke<View>(collab, `start-execution/${executionId}`);
        // A new second: a URL signed now would differ (its iat), a remembered one does not.
        await new Promise((r) => setTimeout(r, 1100));
        const second = await invoke<View>(collab, `start-execution/${executionId}`);
        assert.equal(first.status, 200);
        assert.equal(first.body.execution.results.length, 30);
        assert.deepEqual(second.body.execution.results, first.body.execution.results);
        const { signed_url, signed_url_expires_at, storage_path } = first.body.execution.results[0];
        const validFor = Date.parse(signed_url_expires_at) - Date.now();
        // RESULT_SIGNED_URL_SECONDS' default: 5 minutes.
        assert.ok(validFor > 200_000 && validFor <= 300_000, `valid for ${validFor} ms`);
        const image = await fetch(signed_url);
        assert.equal(image.status, 200);
        assert.equal(image.headers.get("content-type"), "image/png");
        await image.body?.cancel();
        // Another member's URLs are signed with their own token (Storage RLS decided them) and
        // remembered for them alone.
        const owner = await userClient(OWNER);
        const theirs = await invoke<View>(owner, `start-execution/${executionId}`);
        assert.equal(theirs.body.execution.results.filter((r) => r.signed_url).length, 30);
        const [cached] = await db()<{ users: number; rows: number }[]>`
          select count(distinct user_id)::int as users, count(*)::int as rows
          from private.signed_url_cache where object_path like ${executionId + "/%"}`;
        assert.deepEqual(cached, { users: 2, rows: 60 });
        // Once less than a quarter of the lifetime (75 of 300 s) remains, the next poll gets a
        // fresh URL.
        await db()`update private.signed_url_cache set expires_at = now() + interval '60 seconds'
                   where object_path = ${storage_path}`;
        await new Promise((r) => setTimeout(r, 1100)); // a new iat second, so a new token
        const renewed = await invoke<View>(collab, `start-execution/${executionId}`);
        const entry = renewed.body.execution.results.find((r) => r.storage_path === storage_path)!;
        assert.notEqual(entry.signed_url, signed_url);
        assert.equal(
          renewed.body.execution.results[1].signed_url,
          first.body.execution.results[1].signed_url,
        );
      });
    } finally {
      await closeViewers(member);
      await fake.close();
      await closeAll();
    }
  },
});

Deno.test({
  name: "live progress: a cancelled execution announces finished at once",
  ...options,
  async fn() {
    const fake = startStackGeminiFake(2000);
    const member = await viewer(await tokenFor(COLLAB));
    const collab = await userClient(COLLAB);
    try {
      const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
        body: {
          workflow_id: ACME_WORKFLOW,
          prompts: Array.from({ length: 40 }, (_, i) => `c ${i}`),
        },
      });
      const live = watch(member, `execution:${started.body.execution.id}`);
      assert.equal((await live.joined).status, "SUBSCRIBED");
      const cancel = await invoke<{ status: string }>(
        collab,
        `start-execution/${started.body.execution.id}/cancel`,
        {
          method: "POST",
        },
      );
      assert.equal(cancel.status, 200);
      const finished = await live.next("finished", 30_000);
      assert.equal(finished.payload.status, "cancelled");
      const progress = finished.payload.progress as Record<string, number>;
      assert.equal(progress.done, progress.total);
      assert.ok(progress.cancelled > 0);
    } finally {
      await closeViewers(member);
      await fake.close();
      await closeAll();
    }
  },
});
