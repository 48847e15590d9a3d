// What GET /:id shows beside the ticket, read as the caller so RLS decides every row: its
// attachments (internal ones only for admins) with the stored object's size, type and upload
// time once the bytes are in Storage, and a summary of the execution it names (null when it
// names none, or the caller may not see it).
import type { Tx } from "../../../shared/db/db.ts";

export function ticketAttachments(tx: Tx, ticketId: string) {
  return tx`
    select a.id, a.comment_id, a.is_internal, a.uploaded_by, a.file_name, a.mime_type,
           a.size_bytes, a.object_path as path, a.created_at,
           o.created_at as uploaded_at,
           (o.metadata ->> 'size')::bigint as stored_bytes,
           o.metadata ->> 'mimetype' as stored_mime_type
    from public.ticket_attachments a
    left join storage.objects o on o.bucket_id = 'ticket-attachments' and o.name = a.object_path
    where a.ticket_id = ${ticketId}
    order by a.created_at, a.id`;
}

export async function executionSummary(tx: Tx, executionId: string) {
  const [execution] = await tx`
    select e.id, e.workflow_id, e.status, e.model, e.created_at, e.started_at, e.completed_at,
           e.error_code, e.error_message,
           json_build_object(
             'total', count(r.id),
             'completed', count(r.id) filter (where r.status = 'completed'),
             'failed', count(r.id) filter (where r.status = 'failed')
           ) as progress
    from public.workflow_executions e
    left join public.workflow_batch_results r on r.execution_id = e.id
    where e.id = ${executionId}
    group by e.id`;
  return execution ?? null;
}
