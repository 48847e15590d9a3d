// The local mail outbox: every e-mail the Auth stand-in sends lands as one JSON file under
// `${stackDir}/mail/`, and the gateway lists them at /mail/api/v1/* in the shape of Mailpit's
// API (the mail catcher the Supabase CLI runs locally): GET messages, GET message/:ID,
// GET search?query=to:<address>, DELETE messages.
import { join } from "node:path";

export interface Mail {
  ID: string;
  MessageID: string;
  From: { Name: string; Address: string };
  To: { Name: string; Address: string }[];
  Subject: string;
  Created: string;
  Text: string;
  HTML: string;
  /** Which Auth template produced it (invite, magiclink, recovery, confirmation). */
  Template: string;
}

const sender = { Name: "Supabase Auth", Address: "noreply@mail.app.supabase.io" };

function outbox(stackDir: string): string {
  return join(stackDir, "mail");
}

export async function sendMail(
  stackDir: string,
  mail: { to: string; subject: string; html: string; text: string; template: string },
): Promise<Mail> {
  const dir = outbox(stackDir);
  await Deno.mkdir(dir, { recursive: true });
  const created = new Date();
  const id = crypto.randomUUID();
  const message: Mail = {
    ID: id,
    MessageID: `${id}@masstock.local`,
    From: sender,
    To: [{ Name: "", Address: mail.to }],
    Subject: mail.subject,
    Created: created.toISOString(),
    Text: mail.text,
    HTML: mail.html,
    Template: mail.template,
  };
  // Sortable names: the listing is newest first without reading every file.
  const name = `${String(created.getTime()).padStart(15, "0")}-${id}.json`;
  await Deno.writeTextFile(join(dir, name), JSON.stringify(message, null, 2) + "\n");
  return message;
}

async function readAll(stackDir: string): Promise<Mail[]> {
  const dir = outbox(stackDir);
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  names.sort().reverse();
  return await Promise.all(
    names.map(async (n) => JSON.parse(await Deno.readTextFile(join(dir, n))) as Mail),
  );
}

function summary(m: Mail) {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    From: m.From,
    To: m.To,
    Subject: m.Subject,
    Created: m.Created,
    Snippet: m.Text.replace(/\s+/g, " ").slice(0, 250),
  };
}

function list(messages: Mail[], total: number) {
  return Response.json({ total, count: messages.length, messages: messages.map(summary) });
}

/** The gateway's /mail/api/v1/* routes. */
export async function handleMail(req: Request, stackDir: string): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.replace(/^\/mail\/api\/v1/, "");
  if (req.method === "GET" && path === "/messages") {
    const all = await readAll(stackDir);
    const start = Number(url.searchParams.get("start") ?? 0) || 0;
    const limit = Number(url.searchParams.get("limit") ?? 50) || 50;
    return list(all.slice(start, start + limit), all.length);
  }
  if (req.method === "GET" && path === "/search") {
    const query = (url.searchParams.get("query") ?? "").trim().toLowerCase();
    const to = /^to:(\S+)$/.exec(query)?.[1];
    const all = await readAll(stackDir);
    const hits = all.filter((m) =>
      to
        ? m.To.some((t) => t.Address.toLowerCase() === to)
        : `${m.Subject} ${m.Text} ${m.To.map((t) => t.Address).join(" ")}`.toLowerCase()
          .includes(query)
    );
    return list(hits, hits.length);
  }
  const one = /^\/message\/([0-9a-f-]{36})$/.exec(path);
  if (req.method === "GET" && one) {
    const found = (await readAll(stackDir)).find((m) => m.ID === one[1]);
    if (!found) return new Response("message not found", { status: 404 });
    return Response.json({ ...found, Date: found.Created });
  }
  if (req.method === "DELETE" && path === "/messages") {
    await Deno.remove(outbox(stackDir), { recursive: true }).catch(() => {});
    return new Response("ok");
  }
  return new Response("page not found", { status: 404 });
}
