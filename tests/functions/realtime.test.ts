// Contract of the Realtime stand-in (stack/realtime-api.ts) with supabase-js's own channel()
// API and, for framing details, a bare websocket: private channels are authorized by the RLS
// policies on realtime.messages evaluated as the joining user (members of the topic's client
// and admins; other clients' members, suspended users and anon are refused, after Realtime's
// 5 s CHANNEL_ERROR_BACKOFF_MS), Broadcast from the database (realtime.send) reaches allowed
// channels only, an access_token push re-runs the policies, an expired token closes the
// channel, clients cannot broadcast on these topics, and the socket speaks Phoenix v1 and v2.
import assert from "node:assert/strict";
import { type Actor, createWorld, type World } from "../helpers/domain-fixtures.ts";
import { createWorkflow, delay, waitFor } from "../helpers/executions.ts";
import { closeViewers, type Viewer, viewer, watch } from "../helpers/realtime.ts";
import { closeAll, db, stack, tokenFor } from "../helpers/stack.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const REFUSAL_BACKOFF_MS = 5000;

function unauthorized(topic: string): string {
  return `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;
}

async function send(topic: string, event: string, payload: Record<string, unknown>) {
  await db()`select realtime.send(${db().json(payload as never)}, ${event}, ${topic}, true)`;
}

async function executionOf(clientId: string): Promise<string> {
  const workflowId = await createWorkflow(
    { model: "gemini-3.1-flash-image", max_prompts: 10, requires_api_key: false },
    { clientId, name: "realtime test" },
  );
  // Inserted finished, so no chain starts: only its topic matters here.
  const [e] = await db()<{ id: string }[]>`
    insert into public.workflow_executions (workflow_id, client_id, status, input_data, completed_at)
    values (${workflowId}, ${clientId}, 'completed', '{"prompts": ["watched"]}', now())
    returning id`;
  return e.id;
}

Deno.test({
  name: "realtime: private channels are authorized by RLS on realtime.messages",
  ...options,
  async fn(t) {
    const world: World = await createWorld("rt");
    const viewers: Viewer[] = [];
    const as = async (actor: Actor | null, extra: Record<string, unknown> = {}) => {
      const token = actor === null
        ? null
        : await tokenFor(world.email[actor], { extraClaims: extra });
      const v = await viewer(token);
      viewers.push(v);
      return v;
    };
    try {
      // The outsider becomes a member of client A, then is suspended: a valid token, no access.
      await db()`insert into public.client_members (client_id, user_id, role)
                 values (${world.clientA}, ${world.id.outsider}, 'collaborator')`;
      await db()`update public.users set status = 'suspended' where id = ${world.id.outsider}`;
      const clientTopic = `client:${world.clientA}`;
      const execution = await executionOf(world.clientA);
      const executionTopic = `execution:${execution}`;

      await t.step(
        "members and admins join; others, suspended users and anon are refused",
        async () => {
          const member = watch(await as("collabA"), clientTopic);
          const admin = watch(await as("admin"), clientTopic);
          const memberOnExecution = watch(await as("ownerA"), executionTopic);
          const otherClient = watch(await as("ownerB"), clientTopic);
          const otherOnExecution = watch(await as("ownerB"), executionTopic);
          const suspended = watch(await as("outsider"), clientTopic);
          const anon = watch(await as(null), clientTopic);
          const publicJoin = watch(await as("collabA"), clientTopic, { private: false });

          for (const w of [member, admin, memberOnExecution, publicJoin]) {
            const joined = await w.joined;
            assert.equal(joined.status, "SUBSCRIBED", joined.error ?? "");
            assert.ok(joined.ms < REFUSAL_BACKOFF_MS, `allowed join took ${joined.ms} ms`);
          }
          const refused: [typeof member, string][] = [
            [otherClient, clientTopic],
            [otherOnExecution, executionTopic],
            [suspended, clientTopic],
            [anon, clientTopic],
          ];
          for (const [w, topic] of refused) {
            const joined = await w.joined;
            assert.equal(joined.status, "CHANNEL_ERROR");
            assert.equal(joined.error, unauthorized(topic));
            // Realtime answers a refused join only after CHANNEL_ERROR_BACKOFF_MS.
            assert.ok(joined.ms >= REFUSAL_BACKOFF_MS - 100, `refusal after ${joined.ms} ms`);
          }

          await send(clientTopic, "started", { execution_id: "x1" });
          await send(executionTopic, "progress", { seq: 1 });
          const started = await member.next("started");
          assert.equal(started.payload.execution_id, "x1");
          // realtime.send adds the message id to the payload; Realtime repeats it as meta.id.
          assert.equal(typeof started.payload.id, "string");
          assert.equal(started.meta?.id, started.payload.id);
          assert.equal((await admin.next("started")).payload.execution_id, "x1");
          assert.equal((await memberOnExecution.next("progress")).payload.seq, 1);
          await delay(500);
          for (const [w] of refused) assert.deepEqual(w.messages, []);
          // A private message never reaches a public channel of the same topic.
          assert.deepEqual(publicJoin.messages, []);
          // The row is where Realtime reads it from.
          const [row] = await db()<{ extension: string; private: boolean; event: string }[]>`
          select extension, private, event from realtime.messages
          where id = ${started.payload.id as string}`;
          assert.deepEqual(row, { extension: "broadcast", private: true, event: "started" });
        },
      );

      await t.step(
        "an access_token push runs the policies again and can close the channel",
        async () => {
          const v = await as("collabA");
          const w = watch(v, clientTopic);
          assert.equal((await w.joined).status, "SUBSCRIBED");
          // Same user, new token: still a member, the channel keeps receiving.
          v.token = await tokenFor(world.email.collabA, { extraClaims: { session_id: "renewed" } });
          await v.refresh();
          await send(clientTopic, "started", { execution_id: "x2" });
          assert.equal((await w.next("started")).payload.execution_id, "x2");
          // Now a token of another client's member: refused, the server closes the channel.
          v.token = await tokenFor(world.email.ownerB);
          await v.refresh();
          await waitFor(
            "the channel to close",
            () => Promise.resolve(w.statuses.includes("CLOSED")),
          );
          assert.deepEqual(w.system.at(-1), {
            extension: "system",
            status: "error",
            message: `You do not have permissions to read from this Channel topic: ${clientTopic}`,
            channel: clientTopic,
          });
          const before = w.messages.length;
          await send(clientTopic, "started", { execution_id: "x3" });
          await delay(400);
          assert.equal(w.messages.length, before);
        },
      );

      await t.step("the channel closes when its access token expires", async () => {
        const v = await viewer(await tokenFor(world.email.collabA, { expiresInSeconds: 2 }));
        viewers.push(v);
        const w = watch(v, clientTopic);
        assert.equal((await w.joined).status, "SUBSCRIBED");
        await waitFor(
          "the expiry to close the channel",
          () => Promise.resolve(w.statuses.includes("CLOSED")),
          10_000,
        );
        assert.match(String(w.system.at(-1)?.message), /^Token has expired \d+ seconds ago$/);
      });

      await t.step("clients cannot broadcast on these topics; a public topic relays", async () => {
        const sender = watch(await as("collabA"), clientTopic, { self: true });
        const listener = watch(await as("ownerA"), clientTopic);
        const lobby = `lobby:${crypto.randomUUID()}`;
        const publicSender = watch(await as("collabA"), lobby, { private: false });
        const publicListener = watch(await as("ownerA"), lobby, { private: false });
        for (const w of [sender, listener, publicSender, publicListener]) {
          assert.equal((await w.joined).status, "SUBSCRIBED");
        }
        const channelOf = (w: typeof sender) => w.client.getChannels().at(-1)!;
        await channelOf(sender).send({
          type: "broadcast",
          event: "finished",
          payload: { fake: 1 },
        });
        await channelOf(publicSender).send({
          type: "broadcast",
          event: "hello",
          payload: { n: 1 },
        });
        assert.deepEqual((await publicListener.next("hello")).payload, { n: 1 });
        await delay(400);
        // No INSERT policy on realtime.messages: nobody, not even the sender, gets a spoof.
        assert.deepEqual(listener.messages, []);
        assert.deepEqual(sender.messages, []);
      });
    } finally {
      await closeViewers(...viewers);
      await db()`delete from public.workflow_executions where client_id = ${world.clientA}`;
      await world.cleanup();
      await closeAll();
    }
  },
});

function socketUrl(params: Record<string, string>): string {
  const url = new URL("/realtime/v1/websocket", stack().apiUrl.replace(/^http/, "ws"));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** A bare websocket: frames in, frames out, for what supabase-js hides. */
async function rawSocket(params: Record<string, string>) {
  const ws = new WebSocket(socketUrl(params));
  ws.binaryType = "arraybuffer";
  const frames: (string | ArrayBuffer)[] = [];
  const waiters: (() => void)[] = [];
  ws.onmessage = (e) => {
    frames.push(e.data);
    waiters.splice(0).forEach((w) => w());
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("websocket did not open"));
  });
  return {
    ws,
    send: (frame: unknown) => ws.send(JSON.stringify(frame)),
    async next(timeoutMs = 10_000): Promise<string | ArrayBuffer> {
      const deadline = Date.now() + timeoutMs;
      while (frames.length === 0) {
        if (Date.now() > deadline) throw new Error("no frame");
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return frames.shift()!;
    },
    close: () => ws.close(),
  };
}

Deno.test({
  name: "realtime: gateway key check and Phoenix framing",
  ...options,
  async fn(t) {
    const world = await createWorld("rtp");
    try {
      const topic = `client:${world.clientA}`;
      await t.step("the upgrade needs a project key in the query string", async () => {
        const url = socketUrl({}).replace(/^ws/, "http");
        const missing = await fetch(url, { headers: { upgrade: "websocket" } });
        assert.equal(missing.status, 401);
        assert.deepEqual(await missing.json(), { error: "API key is missing" });
        const bad = await fetch(`${url}?apikey=nope`, { headers: { upgrade: "websocket" } });
        assert.equal(bad.status, 401);
        assert.deepEqual(await bad.json(), { error: "The token provided is not a valid JWT" });
      });

      await t.step("vsn 2.0.0: arrays, heartbeat, unmatched topic, binary broadcasts", async () => {
        const s = await rawSocket({ apikey: stack().publishableKey, vsn: "2.0.0" });
        try {
          s.send([null, "1", "phoenix", "heartbeat", {}]);
          assert.equal(
            await s.next(),
            JSON.stringify([null, "1", "phoenix", "phx_reply", { status: "ok", response: {} }]),
          );
          s.send(["2", "2", "no-prefix", "phx_join", {}]);
          assert.deepEqual(JSON.parse(await s.next() as string), [
            "2",
            "2",
            "no-prefix",
            "phx_reply",
            { status: "error", response: { reason: "unmatched topic" } },
          ]);
          const token = await tokenFor(world.email.collabA);
          s.send(["3", "3", `realtime:${topic}`, "phx_join", {
            config: { private: true, broadcast: { ack: false, self: false } },
            access_token: token,
          }]);
          assert.deepEqual(JSON.parse(await s.next() as string), [
            "3",
            "3",
            `realtime:${topic}`,
            "phx_reply",
            { status: "ok", response: { postgres_changes: [] } },
          ]);
          await send(topic, "started", { n: 7 });
          const frame = new Uint8Array(await s.next() as ArrayBuffer);
          // kind 4 (user broadcast), then topic, event and metadata lengths, encoding 1 (JSON)
          assert.equal(frame[0], 4);
          const dec = new TextDecoder();
          let at = 5;
          const take = (n: number) => dec.decode(frame.subarray(at, at += n));
          assert.equal(take(frame[1]), `realtime:${topic}`);
          assert.equal(take(frame[2]), "started");
          const meta = JSON.parse(take(frame[3]));
          assert.equal(frame[4], 1);
          const payload = JSON.parse(dec.decode(frame.subarray(at)));
          assert.equal(payload.n, 7);
          assert.equal(meta.id, payload.id);
          s.send(["3", "4", `realtime:${topic}`, "phx_leave", {}]);
          assert.deepEqual(JSON.parse(await s.next() as string), [
            "3",
            "4",
            `realtime:${topic}`,
            "phx_reply",
            { status: "ok", response: {} },
          ]);
          assert.deepEqual(JSON.parse(await s.next() as string), [
            "3",
            "3",
            `realtime:${topic}`,
            "phx_close",
            {},
          ]);
        } finally {
          s.close();
        }
      });

      await t.step("vsn 1.0.0 (also without vsn): JSON objects, broadcasts as text", async () => {
        const s = await rawSocket({ apikey: stack().anonKey });
        try {
          s.send({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "1" });
          assert.deepEqual(JSON.parse(await s.next() as string), {
            event: "phx_reply",
            payload: { status: "ok", response: {} },
            ref: "1",
            topic: "phoenix",
          });
          s.send({
            topic: `realtime:${topic}`,
            event: "phx_join",
            payload: {
              config: { private: true },
              access_token: await tokenFor(world.email.ownerA),
            },
            ref: "2",
            join_ref: "2",
          });
          const reply = JSON.parse(await s.next() as string);
          assert.equal(reply.payload.status, "ok");
          await send(topic, "finished", { n: 8 });
          const message = JSON.parse(await s.next() as string);
          assert.equal(message.event, "broadcast");
          assert.equal(message.topic, `realtime:${topic}`);
          assert.equal(message.ref, null);
          assert.equal(message.payload.type, "broadcast");
          assert.equal(message.payload.event, "finished");
          assert.equal(message.payload.payload.n, 8);
          assert.equal(message.payload.meta.id, message.payload.payload.id);
        } finally {
          s.close();
        }
      });
    } finally {
      await world.cleanup();
      await closeAll();
    }
  },
});
