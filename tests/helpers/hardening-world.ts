// The throwaway world the hardening suites attack: two active clients (A, the victim, and B,
// the attacker), one suspended client, and users in every state that must lose access
// (suspended, deleted, member of a suspended client, suspended admin), each with one row of
// every kind an id-taking route can name. Rows are arranged as postgres, not through the API,
// so the suites depend only on the schema. E-mails are unique per world.
import { mintAccessToken } from "../../stack/keys.ts";
import { db, keys, stack } from "./stack.ts";

export type Actor =
  | "admin"
  | "ownerA"
  | "collabA"
  | "ownerB"
  | "suspendedA"
  | "deletedA"
  | "goneA"
  | "ownerS"
  | "suspendedAdmin";

export type IdKind =
  | "client"
  | "user"
  | "template"
  | "workflow"
  | "request"
  | "ticket"
  | "invitation"
  | "execution";

/** Ids of one tenant's rows (A or B); templates are global, so both sides use their own. */
export type Ids = Record<IdKind, string>;

export interface World {
  tag: string;
  email: Record<Actor, string>;
  userId: Record<Actor, string>;
  /** Rows of A (the victim), B (the attacker) and S (the suspended client). */
  a: Ids;
  b: Ids;
  s: Ids;
}

const actors: Actor[] = [
  "admin",
  "ownerA",
  "collabA",
  "ownerB",
  "suspendedA",
  "deletedA",
  "goneA",
  "ownerS",
  "suspendedAdmin",
];

const FLASH_TEMPLATE = "d0000000-0000-4000-8000-000000000001";

async function one(query: Promise<{ id: string }[]>): Promise<string> {
  const [row] = await query;
  return row.id;
}

async function tenant(
  tag: string,
  side: "a" | "b" | "s",
  clientId: string,
  ownerId: string,
  memberId: string,
): Promise<Ids> {
  const sql = db();
  const template = await one(sql`
    insert into public.workflow_templates
      (name, workflow_type, config, revenue_per_execution, revenue_per_size)
    select ${`hardening ${side} ${tag}`}, workflow_type, config, revenue_per_execution,
      revenue_per_size
    from public.workflow_templates where id = ${FLASH_TEMPLATE} returning id`);
  const workflow = await one(sql`
    insert into public.workflows (name, status, config, client_id, template_id)
    select ${`hardening ${side} ${tag}`}, 'active', config, ${clientId}, id
    from public.workflow_templates where id = ${FLASH_TEMPLATE} returning id`);
  const request = await one(sql`
    insert into public.workflow_requests (client_id, workflow_id, notes)
    values (${clientId}, ${workflow}, 'hardening fixture') returning id`);
  const ticket = await one(sql`
    insert into public.support_tickets (client_id, user_id, subject, description)
    values (${clientId}, ${ownerId}, 'hardening fixture', 'hardening fixture') returning id`);
  const invitation = await one(sql`
    insert into public.client_invitations (client_id, email, role, token_hash, invited_by)
    values (${clientId}, ${`invitee-${side}-${tag}@hardening.test`}, 'collaborator',
            ${crypto.randomUUID()}, ${ownerId}) returning id`);
  // Completed, so no chain is kicked: the execution only has to exist.
  const execution = await one(sql`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
       started_at, completed_at)
    values (${workflow}, ${clientId}, ${ownerId}, 'completed',
            ${sql.json({ prompts: ["hardening fixture"] })},
            ${sql.json({ successful: 0, failed: 1, total: 1 })}, now(), now())
    returning id`);
  return {
    client: clientId,
    user: memberId,
    template,
    workflow,
    request,
    ticket,
    invitation,
    execution,
  };
}

export async function createWorld(): Promise<World> {
  const tag = crypto.randomUUID().slice(0, 8);
  const sql = db();
  const email = Object.fromEntries(
    actors.map((a) => [a, `${a.toLowerCase()}-${tag}@hardening.test`]),
  ) as Record<Actor, string>;
  const userId = {} as Record<Actor, string>;
  for (const actor of actors) {
    const admin = actor === "admin" || actor === "suspendedAdmin";
    userId[actor] = await one(sql`
      insert into auth.users (id, aud, role, email, created_at, updated_at, raw_app_meta_data,
                              raw_user_meta_data)
      values (${crypto.randomUUID()}, 'authenticated', 'authenticated', ${
      email[actor]
    }, now(), now(),
              ${sql.json(admin ? { provider: "email", role: "admin" } : { provider: "email" })},
              ${sql.json({ name: `${actor} ${tag}` })})
      returning id`);
  }
  const client = (name: string, status = "active") =>
    one(sql`insert into public.clients (name, email, status)
            values (${`${name} ${tag}`}, ${`${name.toLowerCase()}-${tag}@hardening.test`},
                    ${status}) returning id`);
  const clientA = await client("A");
  const clientB = await client("B");
  const clientS = await client("S");
  await sql`insert into public.client_members (client_id, user_id, role) values
    (${clientA}, ${userId.ownerA}, 'owner'), (${clientA}, ${userId.collabA}, 'collaborator'),
    (${clientA}, ${userId.suspendedA}, 'owner'), (${clientA}, ${userId.deletedA}, 'owner'),
    (${clientA}, ${userId.goneA}, 'collaborator'),
    (${clientB}, ${userId.ownerB}, 'owner'), (${clientS}, ${userId.ownerS}, 'owner')`;
  const a = await tenant(tag, "a", clientA, userId.ownerA, userId.collabA);
  const b = await tenant(tag, "b", clientB, userId.ownerB, userId.ownerB);
  const s = await tenant(tag, "s", clientS, userId.ownerS, userId.ownerS);
  // Lose access only now, so the rows above could be arranged with them as members.
  await sql`update public.clients set status = 'suspended' where id = ${clientS}`;
  await sql`update public.users set status = 'suspended'
            where id in (${userId.suspendedA}, ${userId.suspendedAdmin})`;
  // A deleted user keeps a validly signed token until it expires: only the data layer stops it.
  await sql`update public.users set status = 'deleted' where id = ${userId.deletedA}`;
  // Hard-deleted from Auth (membership and profile cascade away); its token outlives it.
  await sql`delete from auth.users where id = ${userId.goneA}`;
  return { tag, email, userId, a, b, s };
}

/** An access token for a world user, minted from the stored id (it works for goneA too). */
export async function tokenOf(world: World, actor: Actor): Promise<string> {
  return await mintAccessToken(await keys(), {
    sub: world.userId[actor],
    email: world.email[actor],
    extraClaims: { iss: `${stack().apiUrl}/auth/v1` },
  });
}
