-- The start transaction, trimmed (bench: deno task bench request-overhead, which measures
-- start-execution against the same rows written by one raw SQL transaction). Timed with
-- pgbench as the user, warm: writing 100 ledger rows cost 2.1 ms, of which 0.5 ms was the
-- per-row BEFORE trigger that looks up the execution's client for every row, although the
-- start trigger inserting them holds that client in new.client_id; the kick read Vault twice.
-- What each row ends up holding, and who may write what, is unchanged.

-- One Vault read instead of two (each decrypts).
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
  update public.workflow_executions set last_kicked_at = now() where id = p_execution_id;
  return v_request_id;
end
$$;
comment on function private.kick_execution(uuid) is 'Enqueues a pg_net POST {execution_id} to process-batch with the secret key from Vault (sent at commit); stamps last_kicked_at.';

-- The ledger rows name their client themselves: new.client_id is the execution's client (the
-- insert policy tied it to the workflow's), the same value the client_id trigger would copy.
create or replace function private.executions_after_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem jsonb;
begin
  -- Runs after RLS accepted the row, so a refused caller learns nothing about the workflow.
  select private.execution_input_problem(w.config, new.input_data) into v_problem
  from public.workflows w where w.id = new.workflow_id;
  if v_problem is not null then
    raise exception '%', v_problem ->> 'message'
      using errcode = 'MS422', hint = v_problem ->> 'code',
        detail = jsonb_build_array(jsonb_build_object(
          'field', v_problem ->> 'field', 'message', v_problem ->> 'message'))::text;
  end if;

  insert into public.workflow_batch_results
    (execution_id, client_id, batch_index, prompt_text, status, next_attempt_at)
  select new.id, new.client_id, (p.ord - 1)::integer, p.prompt, 'pending', now()
  from jsonb_array_elements_text(new.input_data -> 'prompts') with ordinality as p(prompt, ord);

  perform private.kick_execution(new.id);
  return null;
end
$$;
comment on function private.executions_after_insert() is 'AFTER INSERT of a pending execution: checks the workflow''s domain rules (MS422), writes one pending ledger row per prompt (with the execution''s client) and enqueues the first process-batch link.';

-- The copy now runs only for inserts issued at trigger depth 0, i.e. by a statement a caller
-- sent: an admin through RLS, service_role, the SQL editor, a function they call. Those still
-- get client_id overwritten from the execution whatever they wrote. An insert at depth > 0
-- comes from a trigger function, which only the schema owner can create; the one trigger that
-- writes ledger rows (executions_after_insert) sets the execution's own client_id. A nested
-- insert that leaves client_id null still gets the copy rather than a not-null error. Updates
-- keep the unconditional check (they are few, and admins move rows one by one).
drop trigger batch_result_client_id on public.workflow_batch_results;

create trigger batch_result_client_id
  before insert on public.workflow_batch_results
  for each row when (pg_trigger_depth() = 0 or new.client_id is null)
  execute function private.batch_result_client_id();
comment on trigger batch_result_client_id on public.workflow_batch_results is 'client_id of a row inserted by a caller''s statement is the execution''s client, whatever was sent (the read policy relies on it); the start trigger sets it itself.';

create trigger batch_result_client_id_update
  before update of execution_id, client_id on public.workflow_batch_results
  for each row execute function private.batch_result_client_id();
comment on trigger batch_result_client_id_update on public.workflow_batch_results is 'An update cannot move a result away from its execution''s client.';

comment on function private.batch_result_client_id() is 'BEFORE INSERT (caller statements) / UPDATE OF execution_id, client_id on workflow_batch_results: copies client_id from the execution, whatever the writer sent.';
