-- A start wrote its execution row twice: the INSERT, then kick_execution's UPDATE of
-- last_kicked_at on the row just inserted (a second row version, non-HOT because
-- last_kicked_at is indexed, and the update triggers). The start's row now carries the stamp
-- from its BEFORE trigger, and kick_execution only writes the stamp when it differs (the
-- sweep's and the waiting list's kicks, in later transactions). A start that could not be
-- kicked (Vault secrets missing) is un-stamped, so the sweep still kicks it at once.

create or replace function private.kick_execution(p_execution_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_request_id bigint;
begin
  select max(ds.decrypted_secret) filter (where ds.name = 'project_url'),
         max(ds.decrypted_secret) filter (where ds.name = 'secret_key')
  into v_url, v_key
  from vault.decrypted_secrets ds
  where ds.name in ('project_url', 'secret_key');
  if v_url is null or v_key is null then
    -- Not fatal: the sweep kicks again once the secrets exist.
    raise warning 'process-batch not kicked for %: vault secrets project_url / secret_key are missing', p_execution_id;
    -- A start stamped itself as kicked (executions_before_insert): it was not.
    update public.workflow_executions set last_kicked_at = null
    where id = p_execution_id and last_kicked_at = now();
    return null;
  end if;
  -- Short timeout: process-batch answers 202 at once, and pg_net's single worker must never
  -- be held by a slow link (head-of-line blocking). Delivery is at-least-once; links are
  -- idempotent (claims are leases), so duplicates only cost a claim query.
  v_request_id := net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/process-batch',
    body := jsonb_build_object('execution_id', p_execution_id),
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key),
    timeout_milliseconds := 3000
  );
  -- A start's row already says now() (executions_before_insert): no second row version.
  update public.workflow_executions set last_kicked_at = now()
  where id = p_execution_id and last_kicked_at is distinct from now();
  return v_request_id;
end
$$;
comment on function private.kick_execution(uuid) is 'Enqueues a pg_net POST {execution_id} to process-batch with the secret key from Vault (sent at commit); stamps last_kicked_at (a start''s row is stamped by executions_before_insert).';

create or replace function private.executions_before_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_config jsonb;
  v_cost numeric;
  v_revenue numeric;
  v_default integer;
begin
  -- Status, output and timing are guarded by the insert policy; these columns are ours and
  -- would otherwise be caller-chosen (a member could ask for concurrency 50 or price 0).
  select w.config, t.cost_per_execution, t.revenue_per_execution
  into v_config, v_cost, v_revenue
  from public.workflows w
  left join public.workflow_templates t on t.id = w.template_id
  where w.id = new.workflow_id;
  select s.default_concurrency into v_default from private.batch_settings s;

  new.concurrency := case
    when jsonb_typeof(v_config -> 'concurrency') = 'number'
      then least(greatest((v_config ->> 'concurrency')::numeric::integer, 1), 50)
    else coalesce(v_default, 10)
  end;
  new.unit_cost := coalesce(v_cost, 0);
  new.unit_revenue := coalesce(v_revenue, 0);
  -- A pending start is kicked by executions_after_insert in this statement: stamped here
  -- rather than by an UPDATE of the row just written (a second row version, its indexes and
  -- the update triggers: ~0.3 ms of every start, bench request-overhead).
  new.last_kicked_at := case when new.status = 'pending' then now() end;
  new.storage_reconciled_at := null;
  return new;
end
$$;
comment on function private.executions_before_insert() is 'BEFORE INSERT on workflow_executions: sets concurrency and the price snapshot from the workflow/template, whatever the caller sent, and stamps a pending start as kicked (its AFTER trigger kicks it).';
