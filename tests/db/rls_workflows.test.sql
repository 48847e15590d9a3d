-- RLS matrix for workflow_templates, workflows and workflow_requests: select / insert / update /
-- delete for admin, owner of A, collaborator of A, owner of B and a user without membership.
begin;
set local search_path = public, extensions;
select plan(85);

select tests.create_rls_fixtures();

-- workflow_templates: admin only, every operation -------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.workflow_templates'),
  array['tpl', 'tpl_spare'], 'workflow_templates select: admin sees templates');
select is(tests.visible_as(a, 'public.workflow_templates'),
  '{}'::text[], 'workflow_templates select: ' || a || ' sees none')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;

select is(
  tests.try_as(a, $$insert into public.workflow_templates (id, name, workflow_type, config) values (tests.fx('tpl_new'), 'T', 'nano_banana', '{"model":"m","max_prompts":1,"requires_api_key":false}')$$),
  'error:42501', 'workflow_templates insert: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(
  tests.try_as('admin@rls.test', $$insert into public.workflow_templates (id, name, workflow_type, config, revenue_per_execution) values (tests.fx('tpl_new'), 'T', 'nano_banana', '{"model":"gemini-3.1-flash-image","max_prompts":1,"requires_api_key":false}', 0.1)$$),
  'ok:1', 'workflow_templates insert: admin may insert');
select is((select name from public.workflow_templates where id = tests.fx('tpl_new')), 'T',
  'workflow_templates insert: only the admin''s row exists');

select is(tests.try_as(a, $$update public.workflow_templates set cost_per_execution = 0 where id = tests.fx('tpl')$$),
  'ok:0', 'workflow_templates update: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(tests.try_as('admin@rls.test', $$update public.workflow_templates set description = 'edited' where id = tests.fx('tpl')$$),
  'ok:1', 'workflow_templates update: admin may update');
select is((select description || '/' || cost_per_execution::text from public.workflow_templates where id = tests.fx('tpl')),
  'edited/0.0670', 'workflow_templates update: admin''s edit stored, refused edits not (cost is the catalogue''s 1K price)');

select is(tests.try_as(a, $$delete from public.workflow_templates where id = tests.fx('tpl_spare')$$),
  'ok:0', 'workflow_templates delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_templates where id = tests.fx('tpl_spare')), 1,
  'workflow_templates delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.workflow_templates where id = tests.fx('tpl_spare')$$),
  'ok:1', 'workflow_templates delete: admin may delete');
select is((select count(*)::int from public.workflow_templates where id = tests.fx('tpl_spare')), 0,
  'workflow_templates delete: the admin''s delete took effect');

-- workflows: members read, admins write -----------------------------------------------------
select is(tests.visible_as('admin@rls.test', 'public.workflows'),
  array['wf_a', 'wf_a_inactive', 'wf_a_spare', 'wf_b'], 'workflows select: admin sees all');
select is(tests.visible_as('owner-a@rls.test', 'public.workflows'),
  array['wf_a', 'wf_a_inactive', 'wf_a_spare'], 'workflows select: owner A sees A''s workflows');
select is(tests.visible_as('collab-a@rls.test', 'public.workflows'),
  array['wf_a', 'wf_a_inactive', 'wf_a_spare'], 'workflows select: collaborator A sees A''s workflows');
select is(tests.visible_as('owner-b@rls.test', 'public.workflows'),
  array['wf_b'], 'workflows select: owner B sees B''s workflow');
select is(tests.visible_as('loner@rls.test', 'public.workflows'),
  '{}'::text[], 'workflows select: user without membership sees none');

select is(
  tests.try_as(a, $$insert into public.workflows (id, name, client_id, config) values (tests.fx('wf_new'), 'W', tests.fx('client_a'), '{"max_prompts":100000}')$$),
  'error:42501', 'workflows insert: ' || a || ' cannot add a workflow to A')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is(
  tests.try_as('admin@rls.test', $$insert into public.workflows (id, name, client_id, template_id) values (tests.fx('wf_new'), 'W', tests.fx('client_a'), tests.fx('tpl'))$$),
  'ok:1', 'workflows insert: admin may assign a workflow');
select is((select config from public.workflows where id = tests.fx('wf_new')), '{}'::jsonb,
  'workflows insert: only the admin''s row exists');

select is(tests.try_as(a, $$update public.workflows set config = '{"max_prompts":100000}' where id = tests.fx('wf_a')$$),
  'ok:0', 'workflows update: ' || a || ' cannot edit A''s workflow')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select config from public.workflows where id = tests.fx('wf_a')), '{"model":"gemini-3.1-flash-image","max_prompts":100,"requires_api_key":false}'::jsonb,
  'workflows update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.workflows set status = 'inactive' where id = tests.fx('wf_b')$$),
  'ok:1', 'workflows update: admin may update');
select is((select status from public.workflows where id = tests.fx('wf_b')), 'inactive',
  'workflows update: the admin''s change is stored');

select is(tests.try_as(a, $$delete from public.workflows where id = tests.fx('wf_a_spare')$$),
  'ok:0', 'workflows delete: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflows where id = tests.fx('wf_a_spare')), 1,
  'workflows delete: refused deletes removed nothing');
select is(tests.try_as('admin@rls.test', $$delete from public.workflows where id = tests.fx('wf_a_spare')$$),
  'ok:1', 'workflows delete: admin may delete');
select is((select count(*)::int from public.workflows where id = tests.fx('wf_a_spare')), 0,
  'workflows delete: the admin''s delete took effect');

-- workflow_requests: owners file pending requests, admins decide ---------------------------------
select is(tests.visible_as('admin@rls.test', 'public.workflow_requests'),
  array['req_a_approved', 'req_a_pending', 'req_a_pending2', 'req_b_pending'], 'workflow_requests select: admin sees all');
select is(tests.visible_as('owner-a@rls.test', 'public.workflow_requests'),
  array['req_a_approved', 'req_a_pending', 'req_a_pending2'], 'workflow_requests select: owner A sees A''s requests');
select is(tests.visible_as('collab-a@rls.test', 'public.workflow_requests'),
  array['req_a_approved', 'req_a_pending', 'req_a_pending2'], 'workflow_requests select: collaborator A sees A''s requests');
select is(tests.visible_as('owner-b@rls.test', 'public.workflow_requests'),
  array['req_b_pending'], 'workflow_requests select: owner B sees B''s request');
select is(tests.visible_as('loner@rls.test', 'public.workflow_requests'),
  '{}'::text[], 'workflow_requests select: user without membership sees none');

select is(tests.try_as('owner-a@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, status, notes) values (tests.fx('client_a'), tests.fx('wf_a'), 'approved', 'self-approved')$$),
  'error:42501', 'workflow_requests insert: owner cannot file an already approved request');
select is(tests.try_as('owner-a@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, notes) values (tests.fx('client_a'), tests.fx('wf_b'), 'not ours')$$),
  'error:42501', 'workflow_requests insert: owner A cannot request B''s workflow');
select is(tests.try_as('owner-a@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, notes, requested_by) values (tests.fx('client_a'), tests.fx('wf_a'), 'not me', tests.fx('collab_a'))$$),
  'error:42501', 'workflow_requests insert: owner cannot file in someone else''s name');
select is(
  tests.try_as(a, $$insert into public.workflow_requests (client_id, workflow_id, notes) values (tests.fx('client_a'), tests.fx('wf_a'), 'outsider asks')$$),
  'error:42501', 'workflow_requests insert: ' || a || ' cannot file a request for A')
from unnest(array['owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_requests where notes in ('self-approved', 'outsider asks', 'not ours', 'not me')), 0,
  'workflow_requests insert: refused inserts wrote nothing');
-- Migration 20261123010400 (issue 3) widens the policy table's "owners": collaborators file too.
select is(tests.try_as('collab-a@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, notes) values (tests.fx('client_a'), tests.fx('wf_a'), 'from collab')$$),
  'ok:1', 'workflow_requests insert: collaborator files a pending request for own client');
select is((select status || '/' || requested_by::text from public.workflow_requests where notes = 'from collab'),
  'pending/' || tests.fx('collab_a'), 'workflow_requests insert: the collaborator''s request is stored as theirs');
select is(tests.try_as('owner-a@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, status, notes) values (tests.fx('client_a'), tests.fx('wf_a'), 'pending', 'please')$$),
  'ok:1', 'workflow_requests insert: owner files a pending request for own client');
select is((select status || '/' || notes from public.workflow_requests where notes = 'please'), 'pending/please',
  'workflow_requests insert: the owner''s request is stored');
select is(tests.try_as('admin@rls.test',
  $$insert into public.workflow_requests (client_id, workflow_id, status, notes) values (tests.fx('client_b'), tests.fx('wf_b'), 'approved', 'admin filed')$$),
  'ok:1', 'workflow_requests insert: admin may insert with any status');
select is((select status from public.workflow_requests where notes = 'admin filed'), 'approved',
  'workflow_requests insert: the admin''s request is stored');

select is(tests.try_as('owner-a@rls.test', $$update public.workflow_requests set notes = 'more detail' where id = tests.fx('req_a_pending')$$),
  'ok:1', 'workflow_requests update: owner edits the notes of a pending request');
select is((select notes from public.workflow_requests where id = tests.fx('req_a_pending')), 'more detail',
  'workflow_requests update: the owner''s notes are stored');
select is(tests.try_as('owner-a@rls.test', $$update public.workflow_requests set status = 'approved' where id = tests.fx('req_a_pending')$$),
  'error:42501', 'workflow_requests update: owner cannot approve own request');
select is(tests.try_as('owner-a@rls.test', $$update public.workflow_requests set workflow_id = tests.fx('wf_a_inactive') where id = tests.fx('req_a_pending')$$),
  'error:42501', 'workflow_requests update: owner cannot change the requested workflow');
select ok(tests.try_as('owner-a@rls.test', $$update public.workflow_requests set notes = 'late' where id = tests.fx('req_a_approved')$$)
    in ('ok:0', 'error:42501'),
  'workflow_requests update: owner cannot edit notes once decided');
select is(tests.try_as('collab-a@rls.test', $$update public.workflow_requests set notes = 'collab' where id = tests.fx('req_a_pending')$$),
  'ok:0', 'workflow_requests update: collaborator cannot edit requests');
select is(tests.try_as('owner-b@rls.test', $$update public.workflow_requests set notes = 'b' where id = tests.fx('req_a_pending')$$),
  'ok:0', 'workflow_requests update: owner B cannot edit A''s requests');
select is(tests.try_as('loner@rls.test', $$update public.workflow_requests set notes = 'x' where id = tests.fx('req_a_pending')$$),
  'ok:0', 'workflow_requests update: user without membership cannot edit requests');
select is(
  (select array_agg(status || '/' || notes || '/' || workflow_id::text order by notes) from public.workflow_requests
   where id in (tests.fx('req_a_pending'), tests.fx('req_a_approved'))),
  array['approved/decided/' || tests.fx('wf_a'), 'pending/more detail/' || tests.fx('wf_a')],
  'workflow_requests update: refused updates changed nothing');
select is(tests.try_as('admin@rls.test', $$update public.workflow_requests set status = 'approved' where id = tests.fx('req_b_pending')$$),
  'ok:1', 'workflow_requests update: admin decides a request');
select is((select status from public.workflow_requests where id = tests.fx('req_b_pending')), 'approved',
  'workflow_requests update: the admin''s decision is stored');

select is(tests.try_as('owner-a@rls.test', $$delete from public.workflow_requests where id = tests.fx('req_a_approved')$$),
  'ok:0', 'workflow_requests delete: owner cannot delete a decided request');
select is(tests.try_as(a, $$delete from public.workflow_requests where id = tests.fx('req_a_pending')$$),
  'ok:0', 'workflow_requests delete: ' || a || ' cannot delete A''s pending request')
from unnest(array['collab-a@rls.test', 'owner-b@rls.test', 'loner@rls.test']) a;
select is((select count(*)::int from public.workflow_requests where id in (tests.fx('req_a_approved'), tests.fx('req_a_pending'))), 2,
  'workflow_requests delete: refused deletes removed nothing');
select is(tests.try_as('owner-a@rls.test', $$delete from public.workflow_requests where id = tests.fx('req_a_pending2')$$),
  'ok:1', 'workflow_requests delete: owner withdraws a pending request');
select is(tests.try_as('admin@rls.test', $$delete from public.workflow_requests where id = tests.fx('req_b_pending')$$),
  'ok:1', 'workflow_requests delete: admin deletes any request');
select is((select count(*)::int from public.workflow_requests where id in (tests.fx('req_a_pending2'), tests.fx('req_b_pending'))), 0,
  'workflow_requests delete: the allowed deletes took effect');

select * from finish();
rollback;
