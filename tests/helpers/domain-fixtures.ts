// Fixtures for the domain function tests (assign-template, manage-members, tickets): a
// throwaway world of users and clients with unique e-mails per test file, a supabase-js
// `functions.invoke` wrapper that returns status + JSON, and row counting as postgres.
import { FunctionsHttpError } from "@supabase/supabase-js";
import { anonClient, db, userClient } from "./stack.ts";

export interface World {
  tag: string;
  email: Record<Actor, string>;
  id: Record<Actor, string>;
  clientA: string;
  clientB: string;
  /** Removes everything this world created (rows first, then clients, then users). */
  cleanup(): Promise<void>;
}

export type Actor = "admin" | "ownerA" | "collabA" | "ownerB" | "outsider";
const actors: Actor[] = ["admin", "ownerA", "collabA", "ownerB", "outsider"];

/** Creates users (through auth.users, as a sign-up would), two clients and their members. */
export async function createWorld(prefix: string): Promise<World> {
  const tag = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const sql = db();
  const email = Object.fromEntries(
    actors.map((a) => [a, `${a.toLowerCase()}-${tag}@domain.test`]),
  ) as Record<
    Actor,
    string
  >;
  const id = {} as Record<Actor, string>;
  for (const actor of actors) {
    const appMeta = actor === "admin"
      ? { provider: "email", role: "admin" }
      : { provider: "email" };
    const [row] = await sql<{ id: string }[]>`
      insert into auth.users (id, aud, role, email, created_at, updated_at, raw_app_meta_data,
                              raw_user_meta_data)
      values (${crypto.randomUUID()}, 'authenticated', 'authenticated', ${
      email[actor]
    }, now(), now(), ${sql.json(appMeta)},
              ${sql.json({ name: `${actor} ${tag}` })})
      returning id`;
    id[actor] = row.id;
  }
  const [a] = await sql<{ id: string }[]>`insert into public.clients (name, email)
    values (${`A ${tag}`}, ${`a-${tag}@domain.test`}) returning id`;
  const [b] = await sql<{ id: string }[]>`insert into public.clients (name, email)
    values (${`B ${tag}`}, ${`b-${tag}@domain.test`}) returning id`;
  await sql`insert into public.client_members (client_id, user_id, role) values
    (${a.id}, ${id.ownerA}, 'owner'), (${a.id}, ${id.collabA}, 'collaborator'),
    (${b.id}, ${id.ownerB}, 'owner')`;
  const clients = [a.id, b.id];
  const users = Object.values(id);
  return {
    tag,
    email,
    id,
    clientA: a.id,
    clientB: b.id,
    async cleanup() {
      await sql`delete from public.support_tickets where client_id in ${sql(clients)}`;
      await sql`delete from public.workflow_requests where client_id in ${sql(clients)}`;
      await sql`delete from public.workflows where client_id in ${sql(clients)}`;
      await sql`delete from public.clients where id in ${sql(clients)}`;
      await sql`delete from public.audit_logs where client_id in ${sql(clients)}`;
      await sql`delete from auth.users where id in ${sql(users)}`;
    },
  };
}

export interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/**
 * Calls an Edge Function the way a frontend does (supabase-js functions.invoke), as `who`
 * (an e-mail) or anonymously (null), and returns the status and JSON body either way.
 */
export async function call(
  who: string | null,
  fn: string,
  options: { method?: "GET" | "POST" | "PATCH" | "DELETE"; path?: string; body?: unknown } = {},
): Promise<Answer> {
  const client = who ? await userClient(who) : anonClient();
  const path = options.path ?? "";
  const name = path === "" || path.startsWith("?") ? `${fn}${path}` : `${fn}/${path}`;
  const { data, error, response } = await client.functions.invoke(name, {
    method: options.method ?? "GET",
    body: options.body as Record<string, unknown> | undefined,
  });
  if (!error) return { status: response?.status ?? 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const response = error.context as Response;
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
  throw error;
}

/** A raw fetch for what invoke cannot send (wrong content type, malformed JSON). */
export async function callRaw(
  who: string | null,
  fn: string,
  options: {
    method?: string;
    path?: string;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const { stack, tokenFor } = await import("./stack.ts");
  const headers: Record<string, string> = {
    apikey: stack().anonKey,
    authorization: `Bearer ${who ? await tokenFor(who) : stack().anonKey}`,
    ...options.headers,
  };
  const path = options.path ? `/${options.path.replace(/^\//, "")}` : "";
  const response = await fetch(`${stack().apiUrl}/functions/v1/${fn}${path}`, {
    method: options.method ?? "GET",
    headers,
    body: options.body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Row count as postgres (ignores RLS): proves what a refused call did not write. */
export async function count(table: string, where: string, ...values: unknown[]): Promise<number> {
  const [row] = await db().unsafe(
    `select count(*)::int as n from ${table} where ${where}`,
    values as never[],
  );
  return row.n as number;
}
