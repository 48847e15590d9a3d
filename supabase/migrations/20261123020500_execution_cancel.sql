-- Cancelling an execution: members of its client (and admins) may stop a run. Pending items
-- are never processed; items already in flight finish and are recorded (their cost is real),
-- then the last of them finalises the run, which stays 'cancelled'. A checked function rather
-- than an update policy, because members may change nothing else on the billing record.

create or replace function private.cancel_execution(p_execution_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_status text;
  v_cancelled integer;
begin
  select x.status into v_status
  from public.workflow_executions x
  where x.id = p_execution_id
    and ((select private.is_admin()) or x.client_id in (select private.my_client_ids()))
  for no key update;
  if not found then
    raise exception 'No such execution' using errcode = 'MS404', hint = 'not_found';
  end if;
  if v_status in ('completed', 'failed') then
    raise exception 'This execution has already finished (%)', v_status
      using errcode = 'MS409', hint = 'already_finished';
  end if;

  if v_status <> 'cancelled' then
    update public.workflow_executions x
    set status = 'cancelled',
        error_message = coalesce(x.error_message, 'Cancelled by ' ||
          coalesce((select auth.jwt()) ->> 'email', 'a member'))
    where x.id = p_execution_id;
    update public.workflow_batch_results r
    set status = 'cancelled',
        error_message = 'Cancelled before processing',
        completed_at = now()
    where r.execution_id = p_execution_id and r.status = 'pending';
    get diagnostics v_cancelled = row_count;
    perform private.finalize_execution(p_execution_id);
  end if;

  return (
    select jsonb_build_object(
      'id', x.id,
      'status', x.status,
      'cancelled_items', coalesce(v_cancelled, 0),
      'in_flight', (select count(*) from public.workflow_batch_results r
                    where r.execution_id = x.id and r.status = 'processing'),
      'completed_at', x.completed_at
    )
    from public.workflow_executions x where x.id = p_execution_id
  );
end
$$;
comment on function private.cancel_execution(uuid) is 'Cancels an unfinished execution the caller may see as a member (or admin): pending items become cancelled, in-flight items finish. Idempotent; 404 when not visible, 409 when already finished.';
revoke all on function private.cancel_execution(uuid) from public, anon;
grant execute on function private.cancel_execution(uuid) to authenticated;
