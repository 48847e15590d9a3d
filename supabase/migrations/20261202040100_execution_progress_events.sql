-- Live progress through Realtime Broadcast (realtime.send), coalesced so a burst of item
-- completions is not one message per item:
--
--   execution:<id>  'progress'  counts by status, cost so far, and the items that finished since
--                               the previous message ({batch_index, status, storage_path}; never
--                               a signed URL). At most one per progress_settings.min_interval_ms
--                               (250 ms: <= 4 per second per execution), enforced here under a
--                               row lock whoever asks (links, the sweep).
--                   'finished'  once, in the transaction that finalises the execution: final
--                               status, counts, cost, output_data and the items not yet announced.
--                               Always the topic's last message.
--   client:<id>     'started'   when an execution is inserted; 'finished' when it is finalised.
--
-- An item's own transaction only appends a row to an unlogged outbox (no lock shared with
-- other items, no WAL, failure swallowed); the message is built and sent later in a separate
-- transaction (private.publish_execution_progress, called by the process-batch link after its
-- claims and outcomes, and by a pg_cron flush for links that died). Progress is advisory: a
-- crash may lose unannounced item notices (the outbox is unlogged), never the 'finished' event
-- or the data, which GET start-execution/:id always has.

create table private.progress_settings (
  id boolean primary key default true check (id),
  min_interval_ms integer not null default 250 check (min_interval_ms between 0 and 60000),
  max_items_per_message integer not null default 250 check (max_items_per_message between 1 and 1000)
);
comment on table private.progress_settings is 'Live progress knobs (single row).';
comment on column private.progress_settings.min_interval_ms is 'Least time between two progress messages of one execution (250 ms: at most 4 per second).';
comment on column private.progress_settings.max_items_per_message is 'Item notices per message; the rest wait for the next message (a finished event counts them as omitted).';
insert into private.progress_settings default values;
revoke all on private.progress_settings from public, anon, authenticated, service_role;

create unlogged table private.execution_progress_outbox (
  id bigint generated always as identity primary key,
  execution_id uuid not null,
  batch_index integer not null,
  status text not null,
  storage_path text,
  created_at timestamptz not null default now()
);
comment on table private.execution_progress_outbox is 'Item outcomes not yet announced on Realtime. Unlogged and constraint-free so that writing it can neither fail nor slow the item''s transaction.';
create index execution_progress_outbox_execution
  on private.execution_progress_outbox (execution_id, id);
comment on index private.execution_progress_outbox_execution is 'The publisher drains one execution''s notices in order.';
revoke all on private.execution_progress_outbox from public, anon, authenticated, service_role;

create table private.execution_progress_state (
  execution_id uuid primary key references public.workflow_executions (id) on delete cascade,
  seq integer not null default 0,
  last_sent_at timestamptz,
  last_snapshot jsonb,
  finished_at timestamptz
);
comment on table private.execution_progress_state is 'Per execution: messages sent (seq), when the last went out (the rate bound), what it said (nothing new, nothing sent), and whether finished went out.';
revoke all on private.execution_progress_state from public, anon, authenticated, service_role;

create or replace function private.execution_progress_snapshot(p_execution_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'execution_id', e.id,
    'status', e.status,
    'progress', jsonb_build_object(
      'total', c.total, 'pending', c.pending, 'processing', c.processing,
      'completed', c.completed, 'failed', c.failed, 'cancelled', c.cancelled,
      'done', c.completed + c.failed + c.cancelled,
      'percent', case when c.total = 0 then 100
        else floor((c.completed + c.failed + c.cancelled) * 100.0 / c.total)::integer end
    ),
    'cost', jsonb_build_object(
      'currency', 'USD',
      'unit_cost', e.unit_cost,
      'unit_revenue', e.unit_revenue,
      'cost_so_far', round(c.completed * e.unit_cost, 4),
      'revenue_so_far', round(c.completed * e.unit_revenue, 4)
    )
  )
  from public.workflow_executions e
  cross join lateral (
    select count(*)::integer as total,
           count(*) filter (where r.status = 'pending')::integer as pending,
           count(*) filter (where r.status = 'processing')::integer as processing,
           count(*) filter (where r.status = 'completed')::integer as completed,
           count(*) filter (where r.status = 'failed')::integer as failed,
           count(*) filter (where r.status = 'cancelled')::integer as cancelled
    from public.workflow_batch_results r
    where r.execution_id = e.id
  ) c
  where e.id = p_execution_id
$$;
comment on function private.execution_progress_snapshot(uuid) is 'Status, counts by status and cost so far of an execution, in the shape GET start-execution/:id answers (progress, cost).';
revoke all on function private.execution_progress_snapshot(uuid) from public, anon, authenticated;

-- Item outcomes -------------------------------------------------------------------------

create or replace function private.queue_item_progress()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    insert into private.execution_progress_outbox (execution_id, batch_index, status, storage_path)
    values (new.execution_id, new.batch_index, new.status, new.result_storage_path);
  exception when others then
    raise warning 'progress notice for item % not queued: %', new.id, sqlerrm;
  end;
  return null;
end
$$;
comment on function private.queue_item_progress() is 'AFTER UPDATE of a ledger row that reached a final status: appends its notice to the outbox (never fails the item''s write).';
revoke all on function private.queue_item_progress() from public, anon, authenticated;

create trigger batch_result_progress_notice
  after update of status on public.workflow_batch_results
  for each row
  when (old.status is distinct from new.status
    and new.status in ('completed', 'failed', 'cancelled'))
  execute function private.queue_item_progress();
comment on trigger batch_result_progress_notice on public.workflow_batch_results is 'Queues the item''s outcome for the next coalesced progress message.';

-- Coalesced progress ----------------------------------------------------------------------

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
                    where o.execution_id = p_execution_id));
end
$$;
comment on function private.publish_execution_progress(uuid) is 'Sends one coalesced progress message for an execution if something changed and the rate bound allows; returns {sent, seq, more} or {sent: false, retry_in_ms | unchanged | finished | missing}.';
revoke all on function private.publish_execution_progress(uuid) from public, anon, authenticated;
grant execute on function private.publish_execution_progress(uuid) to service_role;

-- Start and finish ------------------------------------------------------------------------

create or replace function private.announce_execution_started()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'execution_id', new.id,
      'workflow_id', new.workflow_id,
      'status', new.status,
      'total', jsonb_array_length(coalesce(new.input_data -> 'prompts', '[]'::jsonb)),
      'triggered_by_user_id', new.triggered_by_user_id,
      'created_at', new.created_at
    ),
    'started', 'client:' || new.client_id, true);
  return null;
exception when others then
  raise warning 'execution % started but its realtime announcement failed: %', new.id, sqlerrm;
  return null;
end
$$;
comment on function private.announce_execution_started() is 'AFTER INSERT on workflow_executions: broadcasts started on the client''s topic (never fails the start).';
revoke all on function private.announce_execution_started() from public, anon, authenticated;

create trigger executions_announce_started
  after insert on public.workflow_executions
  for each row
  execute function private.announce_execution_started();
comment on trigger executions_announce_started on public.workflow_executions is 'List views learn of new executions from the client topic.';

create or replace function private.send_execution_finished(e public.workflow_executions)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  cfg private.progress_settings;
  st private.execution_progress_state;
  v_items jsonb;
  v_total_items integer;
  v_payload jsonb;
begin
  select * into cfg from private.progress_settings;
  insert into private.execution_progress_state (execution_id) values (e.id) on conflict do nothing;
  -- Waits for a publisher that is sending right now (one short transaction), so that its
  -- message is committed, and delivered, before this one: finished is always the last.
  select * into st from private.execution_progress_state s where s.execution_id = e.id for update;
  if st.finished_at is not null then
    return;
  end if;

  with drained as (
    delete from private.execution_progress_outbox o where o.execution_id = e.id
    returning o.id, o.batch_index, o.status, o.storage_path
  ), numbered as (
    select d.*, row_number() over (order by d.id) as n, count(*) over () as total from drained d
  )
  select jsonb_agg(jsonb_build_object('batch_index', x.batch_index, 'status', x.status,
      'storage_path', x.storage_path) order by x.id) filter (where x.n <= cfg.max_items_per_message),
    coalesce(max(x.total), 0)
  into v_items, v_total_items
  from numbered x;

  v_payload := private.execution_progress_snapshot(e.id) || jsonb_build_object(
    'seq', st.seq + 1,
    'items', coalesce(v_items, '[]'::jsonb),
    'items_omitted', greatest(v_total_items - cfg.max_items_per_message, 0),
    'output_data', e.output_data,
    'error_message', e.error_message,
    'started_at', e.started_at,
    'completed_at', e.completed_at,
    'duration_seconds', e.duration_seconds,
    'sent_at', clock_timestamp()
  );
  perform realtime.send(v_payload, 'finished', 'execution:' || e.id, true);
  perform realtime.send(
    jsonb_build_object('execution_id', e.id, 'workflow_id', e.workflow_id, 'status', e.status,
      'output_data', e.output_data, 'completed_at', e.completed_at),
    'finished', 'client:' || e.client_id, true);
  update private.execution_progress_state s
  set seq = st.seq + 1, last_sent_at = clock_timestamp(), finished_at = clock_timestamp()
  where s.execution_id = e.id;
end
$$;
comment on function private.send_execution_finished(public.workflow_executions) is 'Broadcasts finished on the execution''s topic (with the items not yet announced) and on its client''s topic, once.';
revoke all on function private.send_execution_finished(public.workflow_executions) from public, anon, authenticated;

create or replace function private.announce_execution_finished()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    perform private.send_execution_finished(new);
  exception when others then
    raise warning 'execution % finished but its realtime announcement failed: %', new.id, sqlerrm;
  end;
  return null;
end
$$;
comment on function private.announce_execution_finished() is 'AFTER UPDATE that finalises an execution: its finished event (never fails the finalisation).';
revoke all on function private.announce_execution_finished() from public, anon, authenticated;

create trigger executions_announce_finished
  after update of completed_at on public.workflow_executions
  for each row
  when (old.completed_at is null and new.completed_at is not null)
  execute function private.announce_execution_finished();
comment on trigger executions_announce_finished on public.workflow_executions is 'The finalising transaction announces the end, atomically with it.';

-- Safety net ---------------------------------------------------------------------------------

create or replace function private.flush_execution_progress()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v record;
  v_sent integer := 0;
begin
  -- Notices a link did not publish (it died, or its last publish failed): older than 2 s, so
  -- live links, which publish within 250 ms, are left to it.
  for v in
    select o.execution_id
    from private.execution_progress_outbox o
    group by o.execution_id
    having min(o.created_at) < now() - interval '2 seconds'
    limit 200
  loop
    if (private.publish_execution_progress(v.execution_id) ->> 'sent')::boolean then
      v_sent := v_sent + 1;
    end if;
  end loop;
  return v_sent;
end
$$;
comment on function private.flush_execution_progress() is 'Publishes progress for executions whose notices waited more than 2 s (their link is gone). Called by pg_cron; returns how many messages it sent.';
revoke all on function private.flush_execution_progress() from public, anon, authenticated;
grant execute on function private.flush_execution_progress() to service_role;

do $$
begin
  begin
    perform cron.schedule('masstock-progress-flush', '10 seconds',
      'select private.flush_execution_progress()');
  exception when others then
    perform cron.schedule('masstock-progress-flush', '* * * * *',
      'select private.flush_execution_progress()');
  end;
end
$$;
