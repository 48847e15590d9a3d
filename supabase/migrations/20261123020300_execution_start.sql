-- Starting an execution is one INSERT (as the user, RLS decides who may start what). These
-- triggers turn it into work: server-owned columns are filled from the workflow, the domain
-- rules that depend on the workflow config are checked, one ledger row per prompt is written
-- and the first process-batch link is enqueued through pg_net, which sends only if the
-- transaction commits. Any other insert path (PostgREST, SQL editor) gets the same treatment.

-- One Vault read for both secrets (each read decrypts).
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
revoke all on function private.kick_execution(uuid) from public, anon, authenticated;
grant execute on function private.kick_execution(uuid) to service_role;

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
  new.last_kicked_at := null;
  new.storage_reconciled_at := null;
  return new;
end
$$;
comment on function private.executions_before_insert() is 'BEFORE INSERT on workflow_executions: sets concurrency and the price snapshot from the workflow/template, whatever the caller sent.';
revoke all on function private.executions_before_insert() from public;

create trigger executions_before_insert before insert on public.workflow_executions
  for each row execute function private.executions_before_insert();
comment on trigger executions_before_insert on public.workflow_executions is 'Server-owned columns come from the workflow, not the caller.';

create or replace function private.execution_input_problem(p_config jsonb, p_input jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_prompts jsonb := p_input -> 'prompts';
  v_images jsonb := p_input -> 'reference_images';
  v_count integer;
  v_max integer;
  v_requires boolean := coalesce((p_config ->> 'requires_api_key')::boolean, false);
  v_brings boolean := coalesce((p_input ->> 'uses_client_api_key')::boolean, false);
begin
  if v_prompts is null or jsonb_typeof(v_prompts) <> 'array' or jsonb_array_length(v_prompts) = 0 then
    return jsonb_build_object('field', 'prompts', 'code', 'no_prompts',
      'message', 'prompts must be a non-empty list');
  end if;
  v_count := jsonb_array_length(v_prompts);
  v_max := coalesce((p_config ->> 'max_prompts')::numeric::integer, 100);
  if v_count > v_max then
    return jsonb_build_object('field', 'prompts', 'code', 'too_many_prompts',
      'message', format('This workflow accepts at most %s prompts per execution (got %s)', v_max, v_count));
  end if;
  if exists (
    select 1 from jsonb_array_elements(v_prompts) p
    where jsonb_typeof(p) <> 'string' or length(trim(p #>> '{}')) = 0 or length(p #>> '{}') > 2000
  ) then
    return jsonb_build_object('field', 'prompts', 'code', 'invalid_prompt',
      'message', 'every prompt must be a non-empty text of at most 2000 characters');
  end if;
  if v_images is not null and jsonb_typeof(v_images) = 'array' and jsonb_array_length(v_images) > 0 then
    if not coalesce((p_config ->> 'supports_reference_images')::boolean, false) then
      return jsonb_build_object('field', 'reference_images', 'code', 'reference_images_not_supported',
        'message', 'This workflow does not take reference images');
    end if;
    v_max := coalesce((p_config ->> 'max_reference_images')::numeric::integer, 3);
    if jsonb_array_length(v_images) > v_max then
      return jsonb_build_object('field', 'reference_images', 'code', 'too_many_reference_images',
        'message', format('This workflow takes at most %s reference images', v_max));
    end if;
  end if;
  if p_input ? 'aspect_ratio' and p_config ? 'aspect_ratios'
    and not (p_config -> 'aspect_ratios') ? (p_input ->> 'aspect_ratio') then
    return jsonb_build_object('field', 'aspect_ratio', 'code', 'aspect_ratio_not_supported',
      'message', format('This workflow does not offer aspect ratio %s', p_input ->> 'aspect_ratio'));
  end if;
  if p_input ? 'image_size'
    and not coalesce((p_config -> 'image_sizes') ? (p_input ->> 'image_size'), false) then
    return jsonb_build_object('field', 'image_size', 'code', 'image_size_not_supported',
      'message', format('This workflow''s model does not offer image size %s', p_input ->> 'image_size'));
  end if;
  if v_requires and not v_brings then
    return jsonb_build_object('field', 'api_key', 'code', 'api_key_required',
      'message', 'This workflow runs on your own Gemini API key: send api_key');
  end if;
  if v_brings and not v_requires then
    return jsonb_build_object('field', 'api_key', 'code', 'api_key_not_accepted',
      'message', 'This workflow runs on the platform''s Gemini key: do not send api_key');
  end if;
  return null;
end
$$;
comment on function private.execution_input_problem(jsonb, jsonb) is 'Domain rules of a start request against the workflow config ({field, code, message} of the first problem, or null).';
revoke all on function private.execution_input_problem(jsonb, jsonb) from public, anon;

-- The ledger rows name their client themselves: new.client_id is the execution's client (the
-- insert policy tied it to the workflow's), so the per-row copy trigger need not look it up.
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
revoke all on function private.executions_after_insert() from public;

create trigger executions_after_insert after insert on public.workflow_executions
  for each row when (new.status = 'pending')
  execute function private.executions_after_insert();
comment on trigger executions_after_insert on public.workflow_executions is 'A started execution gets its ledger and its first link in the same transaction.';
