// The conditions the ticket list and the per-status counts share, against the table alias `t`:
// assignee (me / none / a user), priority, client and a case-insensitive subject search. RLS
// still decides which tickets exist for the caller; these only narrow.
import type postgres from "postgres";
import type { Tx } from "../../../shared/db/db.ts";
import type { TicketCountsQuery } from "../../../shared/validation.ts";

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export function ticketFilters(
  tx: Tx,
  q: TicketCountsQuery,
): postgres.PendingQuery<postgres.Row[]> {
  const assignee = q.assigned_to === undefined
    ? tx``
    : q.assigned_to === "me"
    ? tx`and t.assigned_to = (select auth.uid())`
    : q.assigned_to === "none"
    ? tx`and t.assigned_to is null`
    : tx`and t.assigned_to = ${q.assigned_to}`;
  return tx`${assignee}
    ${q.priority ? tx`and t.priority = ${q.priority}` : tx``}
    ${q.client_id ? tx`and t.client_id = ${q.client_id}` : tx``}
    ${q.q ? tx`and t.subject ilike ${`%${likeEscape(q.q)}%`}` : tx``}`;
}
