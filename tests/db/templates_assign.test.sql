-- Template config check, assign_template and the workflow request review rules (issue 3),
-- on the shared RLS fixture world: allowed and refused callers, and what each wrote.
begin;
set local search_path = public, extensions;
select plan(34);

select tests.create_rls_fixtures();
update public.workflow_templates
set config = config || '{"overridable":["max_prompts","aspect_ratios"]}'
where id = tests.fx('tpl');

-- config check -------------------------------------------------------------------------------
select is(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":10,"requires_api_key":true}'),
  null, 'config check: minimal nano_banana config passes');
select is(private.template_config_problem('pro_banana',
  '{"workflow_type":"pro_banana","model":"m","max_prompts":1000,"requires_api_key":false,"image_sizes":["1K","4K"],"concurrency":50,"overridable":["image_sizes"]}'),
  null, 'config check: full pro_banana config passes');
select isnt(private.template_config_problem('nano_banana', '{"max_prompts":10,"requires_api_key":true}'),
  null, 'config check: model is required');
select isnt(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":1001,"requires_api_key":true}'),
  null, 'config check: max_prompts above 1000 refused');
select isnt(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":"10","requires_api_key":true}'),
  null, 'config check: max_prompts as a string refused');
select is(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":10,"requires_api_key":true,"image_sizes":["512","4K"],"aspect_ratios":["1:8","8:1"]}'),
  null, 'config check: image_sizes (512 included) and the 3.1 Flash ratios pass for nano_banana: the catalogue decides per model');
select isnt(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":10,"requires_api_key":true,"image_sizes":["8K"]}'),
  null, 'config check: an image size outside Gemini''s vocabulary is refused');
select isnt(private.template_config_problem('nano_banana', '{"model":"m","max_prompts":10,"requires_api_key":true,"surprise":1}'),
  null, 'config check: unknown keys refused');
select isnt(private.template_config_problem('dall_e', '{"model":"m","max_prompts":10,"requires_api_key":true}'),
  null, 'config check: unknown workflow_type refused');
select is(
  tests.try_as('admin@rls.test', $$insert into public.workflow_templates (name, workflow_type, config) values ('Bad', 'nano_banana', '{"model":"m"}')$$),
  'error:23514', 'config check: the table refuses an incomplete config, even from an admin');

-- assign_template ----------------------------------------------------------------------------
select is(
  tests.try_as(a, format($$select public.assign_template(%L, %L)$$, tests.fx('tpl'), tests.fx('client_a'))),
  'error:MS403', 'assign_template: ' || a || ' is refused')
from unnest(array['owner-a@rls.test', 'collab-a@rls.test', 'loner@rls.test']) a;
select is(
  tests.try_as('anon', format($$select public.assign_template(%L, %L)$$, tests.fx('tpl'), tests.fx('client_a'))),
  'error:42501', 'assign_template: anon cannot even call it');
select is((select count(*)::int from public.workflows where client_id = tests.fx('client_a')), 3,
  'assign_template: refused calls wrote nothing');

select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, null, null, '{"max_prompts":5}')$$,
    tests.fx('tpl'), tests.fx('client_b'))),
  'ok:1', 'assign_template: admin assigns with an allowed override');
select is(
  (select name || '|' || (config ->> 'max_prompts') || '|' || (config ->> 'workflow_type') || '|' || (config ->> 'model')
   from public.workflows where client_id = tests.fx('client_b') and name like '% - %'),
  'Client B - RLS Template|5|nano_banana|gemini-3.1-flash-image',
  'assign_template: default name, template config copied with the override and the type');

select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, 'X', null, '{"model":"other"}')$$,
    tests.fx('tpl'), tests.fx('client_a'))),
  'error:MS422', 'assign_template: overriding a key the template does not list is refused');
select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, 'X', null, '{"max_prompts":0}')$$,
    tests.fx('tpl'), tests.fx('client_a'))),
  'error:MS422', 'assign_template: an override that breaks the config is refused');
update public.workflow_templates set is_active = false where id = tests.fx('tpl_spare');
select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, 'X')$$, tests.fx('tpl_spare'), tests.fx('client_a'))),
  'error:MS422', 'assign_template: an inactive template is refused');
update public.clients set status = 'suspended' where id = tests.fx('client_b');
select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, 'X')$$, tests.fx('tpl'), tests.fx('client_b'))),
  'error:MS422', 'assign_template: a suspended client is refused');
update public.clients set status = 'active' where id = tests.fx('client_b');
select is(
  tests.try_as('admin@rls.test', format($$select public.assign_template(%L, %L, 'X')$$, gen_random_uuid(), tests.fx('client_a'))),
  'error:MS404', 'assign_template: an unknown template is 404');
select is((select count(*)::int from public.workflows where name = 'X'), 0,
  'assign_template: refused assignments wrote nothing');

-- workflow requests --------------------------------------------------------------------------
select is(
  tests.try_as('collab-a@rls.test', format($$insert into public.workflow_requests (client_id, workflow_id, notes) values (%L, %L, 'collab asks')$$,
    tests.fx('client_a'), tests.fx('wf_a'))),
  'ok:1', 'requests: a collaborator files a request for their client (issue 3)');
select is(
  (select requested_by from public.workflow_requests where notes = 'collab asks'), tests.fx('collab_a'),
  'requests: requested_by is the caller');
select is(
  tests.try_as('collab-a@rls.test', format($$insert into public.workflow_requests (client_id, workflow_id, notes) values (%L, %L, 'cross')$$,
    tests.fx('client_a'), tests.fx('wf_b'))),
  'error:42501', 'requests: a request naming another client''s workflow is refused');
select is(
  tests.try_as('collab-a@rls.test', format($$insert into public.workflow_requests (client_id, workflow_id, notes, requested_by) values (%L, %L, 'forged', %L)$$,
    tests.fx('client_a'), tests.fx('wf_a'), tests.fx('owner_a'))),
  'error:42501', 'requests: filing in someone else''s name is refused');
select is(
  tests.try_as('owner-a@rls.test', format($$insert into public.workflow_requests (client_id, workflow_id, notes, admin_notes) values (%L, %L, 'self-answer', 'yes')$$,
    tests.fx('client_a'), tests.fx('wf_a'))),
  'error:MS403', 'requests: a member cannot write admin_notes');
select is((select count(*)::int from public.workflow_requests where notes in ('cross', 'forged', 'self-answer')), 0,
  'requests: refused inserts wrote nothing');

select is(
  tests.try_as('owner-a@rls.test', format($$update public.workflow_requests set status = 'approved' where id = %L$$, tests.fx('req_a_pending'))),
  'error:42501', 'requests: an owner cannot approve');
select is(
  tests.try_as('admin@rls.test', format($$update public.workflow_requests set status = 'rejected', admin_notes = 'no budget' where id = %L$$, tests.fx('req_a_pending'))),
  'ok:1', 'requests: an admin rejects with notes');
select is(
  (select status || '|' || admin_notes || '|' || (reviewed_by = tests.fx('admin'))::text || '|' || (reviewed_at is not null)::text
   from public.workflow_requests where id = tests.fx('req_a_pending')),
  'rejected|no budget|true|true', 'requests: the decision is stamped with reviewer and time');
select is(
  tests.try_as('admin@rls.test', format($$update public.workflow_requests set status = 'approved' where id = %L$$, tests.fx('req_a_pending'))),
  'error:MS422', 'requests: a decision is final');
select is((select status from public.workflow_requests where id = tests.fx('req_a_pending')), 'rejected',
  'requests: the refused re-decision changed nothing');

select * from finish();
rollback;
