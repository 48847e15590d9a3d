-- The batch ledger's SQL: start trigger (ledger rows + first pg_net call), API key storage,
-- claim caps and leases, lease-guarded outcomes, retries, fatal errors, exactly-once
-- finalisation, cancel by member vs non-member, and the sweep. Seeded users and Acme's
-- workflow; everything rolls back.
begin;
set local search_path = public, extensions;
select plan(62);

-- fixtures: a second Acme workflow with concurrency 2 and a key requirement, a Globex one
insert into public.workflows (id, name, status, config, client_id, template_id) values
  ('e1000000-0000-4000-8000-000000000001', 'Acme BYOK', 'active',
   '{"model":"gemini-3-pro-image","max_prompts":5,"requires_api_key":true,"concurrency":2,"image_sizes":["1K"]}',
   'c0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002');
update private.batch_settings set max_attempts = 2, backoff_base_ms = 1000, client_concurrency = 20;

create temporary table ids (name text primary key, id uuid) on commit drop;
grant all on ids to authenticated, service_role;
create temporary table claims (n serial, c jsonb) on commit drop;
grant all on claims to authenticated, service_role;
grant usage on sequence claims_n_seq to authenticated, service_role;

-- start: as the collaborator, through RLS ------------------------------------------------------
select tests.authenticate_as('collaborator@acme.test');
with e as (
  -- (naming concurrency or unit_cost here is refused outright: tests/db/direct_inserts.test.sql)
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
          auth.uid(), '{"prompts":["p0","p1","p2","p3","p4"]}')
  returning id)
insert into ids select 'flash', id from e;
select tests.clear_authentication();

select is((select count(*)::int from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'flash'),
  5, 'start: one ledger row per prompt');
select is((select array_agg(status || ':' || batch_index || ':' || prompt_text order by batch_index)
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'flash'),
  array['pending:0:p0', 'pending:1:p1', 'pending:2:p2', 'pending:3:p3', 'pending:4:p4'],
  'start: ledger rows are pending, in prompt order');
select is((select concurrency from workflow_executions e join ids using (id) where ids.name = 'flash'),
  10, 'start: concurrency comes from the workflow/default, not the caller');
select is((select unit_cost::text || '/' || unit_revenue::text from workflow_executions e join ids using (id) where ids.name = 'flash'),
  '0.0670/0.1000', 'start: price snapshot comes from the catalogue (1K price) and the template, not the caller');
select ok((select last_kicked_at is not null from workflow_executions e join ids using (id) where ids.name = 'flash'),
  'start: the execution is marked kicked');
select is((select count(*)::int from net.http_request_queue q, ids
           where ids.name = 'flash' and q.url like '%/functions/v1/process-batch'
             and convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text
             and q.headers ->> 'apikey' = (select decrypted_secret from vault.decrypted_secrets where name = 'secret_key')),
  1, 'start: the first process-batch call is queued in pg_net with the secret key');

select tests.authenticate_as('collaborator@acme.test');
select throws_ok($$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(),
  jsonb_build_object('prompts', (select jsonb_agg('p' || g) from generate_series(1, 101) g)))$$,
  'MS422', 'This workflow accepts at most 100 prompts per execution (got 101)', 'start: more prompts than max_prompts is a 422');
select throws_ok($$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e1000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(), '{"prompts":["a"]}')$$,
  'MS422', 'This workflow runs on your own Gemini API key: send api_key', 'start: a BYOK workflow without a key is a 422');
select throws_ok($$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(), '{"prompts":["a"],"image_size":"8K"}')$$,
  'MS422', null, 'start: an image size the workflow does not offer is a 422');
select tests.clear_authentication();
select is((select count(*)::int from workflow_executions
           where triggered_by_user_id = 'a0000000-0000-4000-8000-000000000003' and created_at = now()),
  1, 'start: refused starts wrote nothing');

-- API key storage ----------------------------------------------------------------------------
select tests.authenticate_as('collaborator@acme.test');
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e1000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(),
          '{"prompts":["k0","k1","k2","k3"],"uses_client_api_key":true}')
  returning id)
insert into ids select 'byok', id from e;
select lives_ok($$select private.store_execution_api_key((select id from ids where name = 'byok'), 'v1.aaaa.bbbb')$$,
  'secrets: the starter stores the encrypted key');
select throws_ok($$select private.store_execution_api_key((select id from ids where name = 'byok'), 'v1.cccc.dddd')$$,
  'MS409', null, 'secrets: a second key for the same execution is refused');
select throws_ok($$select count(*) from private.execution_secrets$$, '42501', null,
  'secrets: authenticated cannot select the secrets table');
select tests.authenticate_as('owner@acme.test');
select throws_ok($$select private.store_execution_api_key((select id from ids where name = 'byok'), 'v1.eeee.ffff')$$,
  'MS404', null, 'secrets: another member cannot attach a key to someone else''s run');
select tests.authenticate_as_service_role();
select throws_ok($$select count(*) from private.execution_secrets$$, '42501', null,
  'secrets: service_role cannot select the table directly either');
select is((select private.execution_job(id) ->> 'api_key_ciphertext' from ids where name = 'byok'), 'v1.aaaa.bbbb',
  'secrets: the service reads the ciphertext through execution_job');
select tests.clear_authentication();
select ok((select input_data::text not like '%v1.aaaa%' from workflow_executions e join ids using (id) where ids.name = 'byok'),
  'secrets: input_data does not carry the key');

-- claim caps and leases ------------------------------------------------------------------------
select tests.authenticate_as_service_role();
insert into claims (c) select private.claim_batch_items(id, 10) from ids where name = 'byok';
select is((select jsonb_array_length(c -> 'items') from claims where n = 1), 2,
  'claim: at most the execution''s concurrency (2) items');
select is((select array_agg(i ->> 'batch_index' order by i ->> 'batch_index') from claims, jsonb_array_elements(c -> 'items') i where n = 1),
  array['0', '1'], 'claim: in batch order');
select is((select c ->> 'at_share' from claims where n = 1), 'false',
  'claim: at_share is false while the client is below its share (the execution''s cap bound)');
insert into claims (c) select private.claim_batch_items(id, 10) from ids where name = 'byok';
select is((select jsonb_array_length(c -> 'items') || '/' || (c ->> 'capped_by') from claims where n = 2), '0/execution',
  'claim: nothing more while the execution is at its cap');
select is((select r.status || '/' || r.attempts || '/' || e.status from workflow_executions e, workflow_batch_results r, ids
           where ids.name = 'byok' and e.id = ids.id and r.execution_id = e.id and r.batch_index = 0),
  'processing/1/processing', 'claim: the item is processing with one attempt; the execution too');
select ok((select bool_and(r.leased_until > now() and r.lease_token is not null and r.pending_storage_path like ids.id || '/' || r.batch_index || '\_%')
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok' where r.status = 'processing'),
  'claim: leased items carry a lease, a token and their object name');

select tests.clear_authentication();
-- whatever else of Acme is in flight (other test files' runs) counts too
update private.batch_settings set client_concurrency = 1 + (
  select count(*) from workflow_batch_results r join workflow_executions e on e.id = r.execution_id
  where e.client_id = 'c0000000-0000-4000-8000-000000000001' and r.status = 'processing' and r.leased_until > now());
select tests.authenticate_as_service_role();
insert into claims (c) select private.claim_batch_items(id, 10) from ids where name = 'flash';
select is((select jsonb_array_length(c -> 'items') from claims where n = 3), 1,
  'claim: the client cap (two in flight elsewhere) limits another execution of the client');
select is((select c ->> 'at_share' from claims where n = 3), 'true',
  'claim: at_share once the client holds its cap, this claim''s item included');
insert into claims (c) select private.claim_batch_items(id, 10) from ids where name = 'flash';
select is((select c ->> 'capped_by' from claims where n = 4), 'client', 'claim: reports the client cap');
select tests.clear_authentication();
update private.batch_settings set client_concurrency = 20;

-- fair share of the global cap: ceil(global / clients with unfinished executions) per client
insert into public.workflows (id, name, status, config, client_id, template_id) values
  ('e1000000-0000-4000-8000-000000000002', 'Globex Flash', 'active', '{"max_prompts":5}',
   'c0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000001');
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  select 'e1000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002', u.id,
         '{"prompts":["g0","g1","g2"]}'
  from public.users u where u.email = 'owner@globex.test'
  returning id)
insert into ids select 'globex', id from e;
-- Acme (3+ in flight here) is at its share; the global cap itself is not reached.
create temporary table share on commit drop as
select (select count(distinct client_id) from workflow_executions where completed_at is null and status in ('pending', 'processing')) as clients,
       (select count(*) from workflow_batch_results where client_id = 'c0000000-0000-4000-8000-000000000001' and status = 'processing' and leased_until > now()) as acme_busy,
       (select count(*) from workflow_batch_results where status = 'processing' and leased_until > now()) as all_busy;
grant select on share to service_role;
create temporary table fair_claims (name text primary key, c jsonb) on commit drop;
grant all on fair_claims to service_role;
update private.batch_settings set client_concurrency = 100,
  global_concurrency = (select clients * acme_busy from share);
select tests.authenticate_as_service_role();
select ok((select all_busy < clients * acme_busy from share), 'fair share: setup, the global cap has free slots');
insert into fair_claims select name, private.claim_batch_items(id, 10) from ids where name = 'flash';
select is((select jsonb_array_length(c -> 'items') || '/' || (c ->> 'capped_by') from fair_claims where name = 'flash'), '0/global',
  'fair share: a client at its share of the global cap gets nothing, reported as the global cap');
select is((select c ->> 'at_share' from fair_claims where name = 'flash'), 'true',
  'fair share: the claim tells the link its client holds its whole share');
select is((select count(*)::int from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'flash' where r.status = 'processing'),
  1, 'fair share: the refused claim leased no row');
insert into fair_claims select name, private.claim_batch_items(id, 10) from ids where name = 'globex';
select is((select jsonb_array_length(c -> 'items') from fair_claims where name = 'globex'), 3,
  'fair share: another client below its share still claims');
select tests.clear_authentication();
update private.batch_settings set client_concurrency = 20, global_concurrency = 100;

-- lease-guarded outcomes -----------------------------------------------------------------------
select tests.authenticate_as_service_role();
select is((select private.complete_batch_item((i ->> 'id')::uuid, gen_random_uuid(), (i ->> 'storage_stem') || '.png', 10) ->> 'committed'
           from claims, jsonb_array_elements(c -> 'items') i where n = 1 and i ->> 'batch_index' = '0'),
  'false', 'lease: a wrong token writes nothing');
select is((select private.complete_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, 'elsewhere/0_1.png', 10) ->> 'committed'
           from claims, jsonb_array_elements(c -> 'items') i where n = 1 and i ->> 'batch_index' = '0'),
  'false', 'lease: an object name other than the recorded one is refused');
select is((select private.complete_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, (i ->> 'storage_stem') || '.png', 10) ->> 'committed'
           from claims, jsonb_array_elements(c -> 'items') i where n = 1 and i ->> 'batch_index' = '0'),
  'true', 'lease: the current token commits');
select tests.clear_authentication();
select is((select status || '/' || (result_storage_path like '%.png') || '/' || coalesce(pending_storage_path, 'null') || '/' || processing_time_ms
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok' where batch_index = 0),
  'completed/true/null/10', 'lease: the result is recorded');
select is((select private.complete_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, (i ->> 'storage_stem') || '.png', 10) ->> 'committed'
           from claims, jsonb_array_elements(c -> 'items') i where n = 1 and i ->> 'batch_index' = '0'),
  'false', 'lease: committing twice writes nothing the second time');

-- an expired lease is re-claimed; the stale holder can no longer write
update workflow_batch_results r set leased_until = now() - interval '1 second'
from ids where ids.name = 'byok' and r.execution_id = ids.id and r.batch_index = 1;
select tests.authenticate_as_service_role();
insert into claims (c) select private.claim_batch_items(id, 1) from ids where name = 'byok';
select is((select (i ->> 'batch_index') || '/' || (i ->> 'attempts') || '/' || ((i ->> 'stale_stem') is not null)
           from claims, jsonb_array_elements(c -> 'items') i where n = 5),
  '1/2/true', 'lease: an expired item is claimed again, with its previous object name to clean');
select is((select private.fail_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, 'transient', 'late') ->> 'committed'
           from claims, jsonb_array_elements(c -> 'items') i where n = 1 and i ->> 'batch_index' = '1'),
  'false', 'lease: the stale holder''s outcome is ignored');

-- retries: transient -> pending with backoff; exhausted -> failed
select is((select private.fail_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, 'transient', '503 overloaded', 5000) ->> 'status'
           from claims, jsonb_array_elements(c -> 'items') i where n = 5),
  'failed', 'retry: the last allowed attempt (2 of 2) failing transiently fails the item');
select is((select error_message from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok' where batch_index = 1),
  'Gave up after 2 attempts: 503 overloaded', 'retry: the message says it gave up and why');
insert into claims (c) select private.claim_batch_items(id, 1) from ids where name = 'byok';
select is((select private.fail_batch_item((i ->> 'id')::uuid, (i ->> 'lease_token')::uuid, 'transient', '429 quota', 5000) ->> 'status'
           from claims, jsonb_array_elements(c -> 'items') i where n = 6),
  'pending', 'retry: a first transient failure goes back to pending');
select ok((select next_attempt_at >= now() + interval '5 seconds' and attempts = 1
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok' where batch_index = 2),
  'retry: not before the provider''s retry delay');
select is((select jsonb_array_length(private.claim_batch_items(id, 5) -> 'items') from ids where name = 'byok'), 1,
  'retry: an item waiting for its retry is not claimed (only the other pending one is)');

-- fatal: the whole execution fails fast
select is((select private.fail_batch_item(r.id, r.lease_token, 'fatal', 'API key not valid (API_KEY_INVALID)') ->> 'finalised'
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok' where r.status = 'processing'),
  'true', 'fatal: failing with a bad key finalises the execution at once');
select is((select array_agg(status || ':' || coalesce(error_message, '') order by batch_index)
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'byok'),
  array['completed:', 'failed:Gave up after 2 attempts: 503 overloaded',
        'failed:Not processed: API key not valid (API_KEY_INVALID)', 'failed:API key not valid (API_KEY_INVALID)'],
  'fatal: the waiting items fail with the reason');
select is((select status || '/' || (output_data ->> 'successful') || '/' || (output_data ->> 'failed') || '/' || (output_data ->> 'total')
                  || '/' || provider_cost::text || '/' || (output_data ->> 'revenue')
           from workflow_executions e join ids using (id) where ids.name = 'byok'),
  'completed/1/3/4/0.1340/0.2500', 'finalise: counts, cost and revenue from the price snapshot');
select ok((select completed_at is not null and started_at is not null and duration_seconds is not null and error_message like 'API key not valid%'
           from workflow_executions e join ids using (id) where ids.name = 'byok'),
  'finalise: timing and the fatal reason are recorded');
select tests.clear_authentication();
select is((select count(*)::int from private.execution_secrets s join ids on ids.id = s.execution_id), 0,
  'finalise: the client''s key is deleted with the run');
select is((select private.finalize_execution(id) from ids where name = 'byok'), null,
  'finalise: exactly once (a second call does nothing)');

-- cancel -------------------------------------------------------------------------------------
select tests.authenticate_as('owner@globex.test');
select throws_ok($$select private.cancel_execution((select id from ids where name = 'flash'))$$,
  'MS404', null, 'cancel: a member of another client gets 404');
select tests.authenticate_as('owner@acme.test');
select is((select private.cancel_execution(id) ->> 'status' from ids where name = 'flash'), 'cancelled',
  'cancel: a member of the client (not the starter) cancels');
select tests.clear_authentication();
select is((select array_agg(status order by batch_index) from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'flash'),
  array['processing', 'cancelled', 'cancelled', 'cancelled', 'cancelled'], 'cancel: pending items are cancelled, in-flight ones continue');
select is((select completed_at from workflow_executions e join ids using (id) where ids.name = 'flash'), null,
  'cancel: not finalised while an item is in flight');
select tests.authenticate_as_service_role();
select is((select jsonb_array_length(private.claim_batch_items(id, 5) -> 'items') from ids where name = 'flash'), 0,
  'cancel: nothing more is claimed');
select is((select private.complete_batch_item(r.id, r.lease_token, r.pending_storage_path || '.png', 5) ->> 'finalised'
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'flash' where r.status = 'processing'),
  'true', 'cancel: the in-flight item finishes and finalises the run');
select is((select status || '/' || (output_data ->> 'successful') || '/' || (output_data ->> 'cancelled')
           from workflow_executions e join ids using (id) where ids.name = 'flash'),
  'cancelled/1/4', 'cancel: the run stays cancelled, with its counts');
select tests.authenticate_as('collaborator@acme.test');
select throws_ok($$select private.cancel_execution((select id from ids where name = 'byok'))$$,
  'MS409', null, 'cancel: a finished run cannot be cancelled');

-- sweep ----------------------------------------------------------------------------------------
with e as (
  insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(), '{"prompts":["s0","s1"]}')
  returning id)
insert into ids select 'swept', id from e;
select tests.authenticate_as_service_role();
select is((select jsonb_array_length(private.claim_batch_items(id, 5) -> 'items') from ids where name = 'swept'), 2,
  'sweep: setup, both items claimed');
-- the link died: leases expired, and its kick is long past
update workflow_batch_results r set leased_until = now() - interval '1 second' from ids where ids.name = 'swept' and r.execution_id = ids.id;
update workflow_executions e set last_kicked_at = now() - interval '1 hour' from ids where ids.name = 'swept' and e.id = ids.id;
select tests.clear_authentication();
create temporary table sweep_result on commit drop as select private.sweep_batches() as r;
select ok((select (r ->> 'requeued')::int >= 2 and (r ->> 'kicked')::int >= 1 from sweep_result),
  'sweep: expired leases are requeued and the execution re-kicked');
select is((select array_agg(status || '/' || attempts order by batch_index) from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'swept'),
  array['pending/1', 'pending/1'], 'sweep: the items are pending again, attempts kept');
select is((select count(*)::int from net.http_request_queue q, ids where ids.name = 'swept'
           and convert_from(q.body, 'UTF8')::jsonb ->> 'execution_id' = ids.id::text), 2,
  'sweep: a second process-batch call is queued');
select tests.authenticate_as('collaborator@acme.test');
select throws_ok($$select private.sweep_batches()$$, '42501', null, 'sweep: not callable by users');

select * from finish();
rollback;
