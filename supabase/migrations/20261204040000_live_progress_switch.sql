-- A switch for live progress (Realtime), so that its cost can be measured by switching it off
-- and on in one benchmark session on one stack (bench/chain-ab.ts), and so that an operator can
-- stop it if Realtime misbehaves. Off removes exactly the Realtime work: the three triggers
-- (item notice into the outbox, started, finished) are disabled and links stop publishing
-- (publish_execution_progress answers {disabled}); nothing else on the chain's path changes.
-- Messages missed while off are not sent afterwards (progress is advisory; GET
-- start-execution/:id always has the data).
--
-- A sent message also says when the next one may go (next_in_ms, the rate bound), so a link
-- does not ask again inside the window only to be told to retry: measured, about half of the
-- links' publish calls were such refusals.

alter table private.progress_settings add column enabled boolean not null default true;
comment on column private.progress_settings.enabled is 'Live progress on (default). Change it only through private.set_live_progress, which also switches the triggers.';

create or replace function private.publish_execution_progress(p_execution_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  cfg private.progress_settings;
  st private.execution_progress_state;
  v_wait_ms integer;
  v_items jsonb;
  v_snapshot jsonb;
  v_payload jsonb;
begin
  select * into cfg from private.progress_settings;
  if not cfg.enabled then
    -- Live progress switched off (private.set_live_progress): the link stops asking.
    return jsonb_build_object('sent', false, 'disabled', true);
  end if;
  insert into private.execution_progress_state (execution_id)
  select x.id from public.workflow_executions x where x.id = p_execution_id
  on conflict do nothing;
  select * into st from private.execution_progress_state s
  where s.execution_id = p_execution_id
  for update skip locked;
  if not found then
    -- Absent, or another publisher (or the finalising transaction) is at it right now.
    return case when exists (select 1 from public.workflow_executions x where x.id = p_execution_id)
      then jsonb_build_object('sent', false, 'retry_in_ms', 50)
      else jsonb_build_object('sent', false, 'missing', true) end;
  end if;
  if st.finished_at is not null then
    delete from private.execution_progress_outbox o where o.execution_id = p_execution_id;
    return jsonb_build_object('sent', false, 'finished', true);
  end if;

  v_wait_ms := case when st.last_sent_at is null then 0 else ceil(cfg.min_interval_ms
    - extract(epoch from clock_timestamp() - st.last_sent_at) * 1000)::integer end;
  if v_wait_ms > 0 then
    return jsonb_build_object('sent', false, 'retry_in_ms', v_wait_ms);
  end if;

  with drained as (
    delete from private.execution_progress_outbox o
    where o.id in (
      select q.id from private.execution_progress_outbox q
      where q.execution_id = p_execution_id
      order by q.id
      limit cfg.max_items_per_message
    )
    returning o.id, o.batch_index, o.status, o.storage_path
  )
  select jsonb_agg(jsonb_build_object('batch_index', d.batch_index, 'status', d.status,
      'storage_path', d.storage_path) order by d.id)
  into v_items
  from drained d;

  v_snapshot := private.execution_progress_snapshot(p_execution_id);
  if v_items is null and v_snapshot is not distinct from st.last_snapshot then
    return jsonb_build_object('sent', false, 'unchanged', true);
  end if;

  v_payload := v_snapshot || jsonb_build_object(
    'seq', st.seq + 1,
    'items', coalesce(v_items, '[]'::jsonb),
    'sent_at', clock_timestamp()
  );
  perform realtime.send(v_payload, 'progress', 'execution:' || p_execution_id, true);
  update private.execution_progress_state s
  set seq = st.seq + 1, last_sent_at = clock_timestamp(), last_snapshot = v_snapshot
  where s.execution_id = p_execution_id;
  return jsonb_build_object('sent', true, 'seq', st.seq + 1,
    'more', exists (select 1 from private.execution_progress_outbox o
                    where o.execution_id = p_execution_id),
    'next_in_ms', cfg.min_interval_ms);
end
$$;
comment on function private.publish_execution_progress(uuid) is 'Sends one coalesced progress message for an execution if something changed and the rate bound allows; returns {sent, seq, more, next_in_ms} or {sent: false, retry_in_ms | unchanged | finished | missing | disabled}.';
revoke all on function private.publish_execution_progress(uuid) from public, anon, authenticated;
grant execute on function private.publish_execution_progress(uuid) to service_role;

create or replace function private.set_live_progress(p_enabled boolean)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_was boolean;
begin
  select s.enabled into v_was from private.progress_settings s for update;
  update private.progress_settings set enabled = p_enabled;
  if p_enabled then
    alter table public.workflow_batch_results enable trigger batch_result_progress_notice;
    alter table public.workflow_executions enable trigger executions_announce_started;
    alter table public.workflow_executions enable trigger executions_announce_finished;
  else
    alter table public.workflow_batch_results disable trigger batch_result_progress_notice;
    alter table public.workflow_executions disable trigger executions_announce_started;
    alter table public.workflow_executions disable trigger executions_announce_finished;
    -- Notices queued before the switch would otherwise be sent by nobody, ever.
    delete from private.execution_progress_outbox;
  end if;
  return v_was;
end
$$;
comment on function private.set_live_progress(boolean) is 'Switches live progress (Realtime) on or off: the outbox, started and finished triggers and the links'' publishing. Returns the previous setting. For operators and the chain A/B benchmark; takes a short exclusive lock on workflow_executions and workflow_batch_results.';
revoke all on function private.set_live_progress(boolean) from public, anon, authenticated, service_role;
