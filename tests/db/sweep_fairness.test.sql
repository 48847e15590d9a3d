-- The 500-row attack on the recovery sweep: one tenant (Globex) holds 600 stalled executions,
-- the oldest rows of the table, never kicked. Another tenant's (Acme's) stalled chain must
-- still be restarted by the next sweep, its expired lease requeued, and the flood may use
-- only its per-client share of each pass.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(8);

insert into public.workflows (id, name, status, config, client_id, template_id)
select 'e2000000-0000-4000-8000-000000000001', 'Globex flood', 'active', w.config,
  'c0000000-0000-4000-8000-000000000002', w.template_id
from public.workflows w where w.id = 'e0000000-0000-4000-8000-000000000001';

-- The flood, inserted by the test (members can no longer date rows; 600 real stalled runs of
-- one tenant would sort first by age just the same).
insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, status, input_data, created_at, started_at)
select 'e2000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002',
  (select id from auth.users where email = 'owner@globex.test'), 'processing', '{"prompts":["flood"]}',
  timestamptz '1970-01-01' + g * interval '1 second', now()
from generate_series(1, 600) g;
insert into public.workflow_batch_results (execution_id, batch_index, prompt_text, status, next_attempt_at)
select x.id, 0, 'flood', 'pending', now() - interval '1 minute'
from public.workflow_executions x where x.workflow_id = 'e2000000-0000-4000-8000-000000000001';

-- The victims: a stalled chain (due work, last kicked an hour ago) and a dead link's lease.
create temporary table victim (name text primary key, id uuid) on commit drop;
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, status, input_data, started_at)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          (select id from auth.users where email = 'collaborator@acme.test'), 'processing', '{"prompts":["stalled"]}', now()),
         ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          (select id from auth.users where email = 'collaborator@acme.test'), 'processing', '{"prompts":["lease"]}', now())
  returning id, input_data -> 'prompts' ->> 0 as name)
insert into victim select name, id from e;
update public.workflow_executions set last_kicked_at = now() - interval '1 hour'
where id in (select id from victim);
insert into public.workflow_batch_results (execution_id, batch_index, prompt_text, status, next_attempt_at, attempts, leased_until, lease_token)
select id, 0, name,
  case name when 'stalled' then 'pending' else 'processing' end,
  now() - interval '1 minute',
  case name when 'stalled' then 0 else 1 end,
  case name when 'lease' then now() - interval '1 second' end,
  case name when 'lease' then gen_random_uuid() end
from victim;
-- The lease victim still has a link's recent kick: only its expired lease makes it stalled.
update public.workflow_executions set last_kicked_at = now() where id = (select id from victim where name = 'lease');

select ok((select count(*) from public.workflow_executions where completed_at is null
           and created_at < (select min(created_at) from public.workflow_executions where id in (select id from victim))) >= 600,
  'setup: 600 older unfinished executions of another tenant come first by age');

create temporary table pass1 on commit drop as select private.sweep_batches() as r;

select is((select last_kicked_at = now() from public.workflow_executions where id = (select id from victim where name = 'stalled')),
  true, 'the other tenant''s stalled chain is re-kicked by the first sweep');
select ok(exists (select 1 from net.http_request_queue q where q.id > 0
                  and convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = (select id::text from victim where name = 'stalled')),
  'a process-batch link is queued for it');
select is((select status from public.workflow_batch_results where execution_id = (select id from victim where name = 'lease')),
  'pending', 'the expired lease is requeued (found by its lease end)');
select is((select count(*)::int from public.workflow_executions
           where client_id = 'c0000000-0000-4000-8000-000000000002' and last_kicked_at = now()),
  (select sweep_per_client from private.batch_settings),
  'the flooding tenant gets only its per-client share of the pass');
select ok((select (r ->> 'kicked')::int <= (select sweep_per_client from private.batch_settings) + 2 from pass1),
  'and the pass kicked nothing else');

-- The next pass moves on to the flood's next share (least recently kicked first).
create temporary table pass2 on commit drop as select private.sweep_batches() as r;
select is((select count(*)::int from public.workflow_executions
           where client_id = 'c0000000-0000-4000-8000-000000000002' and last_kicked_at = now()),
  2 * (select sweep_per_client from private.batch_settings),
  'a second pass kicks the flood''s next share, not the same rows again');
select is((select count(*)::int from public.workflow_executions
           where id in (select id from victim) and completed_at is null), 2,
  'nothing was finalised by mistake');

select * from finish();
rollback;
