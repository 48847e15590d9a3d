-- The model catalogue (issue 11): who reads and writes public.image_models, the facts it
-- holds, configs held to it (templates, workflows, the catalogue's own changes), execution
-- starts refused on retired/unknown models or options the model lacks, per-size price
-- snapshots, running executions keeping their model, the batch engine's model_unavailable
-- failure, propagation (dry run and real) and the at-risk view. Seeded users and Acme's
-- workflow; everything rolls back.
begin;
set local search_path = public, extensions;
select plan(73);

-- Like tests.try_as, but also says which domain rule refused (the hint is the error code).
create function pg_temp.try_hint(actor text, statement text)
returns text
language plpgsql
as $$
declare
  affected bigint;
  v_state text;
  v_hint text;
begin
  begin
    perform tests.act_as(actor);
    execute statement;
    get diagnostics affected = row_count;
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint;
    return 'error:' || v_state || coalesce(':' || nullif(v_hint, ''), '');
  end;
  perform tests.clear_authentication();
  return 'ok:' || affected;
end
$$;

-- The entry of a propagation answer for one workflow.
create function pg_temp.entry(r jsonb, p_id text)
returns jsonb language sql as $$
  select w from jsonb_array_elements(r -> 'workflows') w where w ->> 'id' = p_id
$$;

create temporary table ids (name text primary key, id uuid) on commit drop;
grant all on ids to authenticated, service_role;

-- the catalogue: facts and who sees them -----------------------------------------------------
select is(
  (select array_agg(id || ':' || private.model_lifecycle_now(lifecycle, retires_on) order by id) from image_models where id like 'gemini-%'),
  array['gemini-2.5-flash-image:retired', 'gemini-3-pro-image:available', 'gemini-3-pro-image-preview:retired',
        'gemini-3.1-flash-image:available', 'gemini-3.1-flash-image-preview:retired'],
  'catalogue: current ids available, the shut-down ones retired');
select is((select image_sizes || aspect_ratios[array_length(aspect_ratios, 1) - 3:] from image_models where id = 'gemini-3.1-flash-image'),
  array['512', '1K', '2K', '4K', '8:1', '9:16', '16:9', '21:9'], 'catalogue: 3.1 Flash Image offers 512 to 4K');
select ok((select array['1:4', '4:1', '1:8', '8:1'] <@ aspect_ratios from image_models where id = 'gemini-3.1-flash-image'),
  'catalogue: 3.1 Flash Image offers 1:4, 4:1, 1:8, 8:1');
select ok((select not aspect_ratios && array['1:4', '4:1', '1:8', '8:1'] and not '512' = any (image_sizes)
           from image_models where id = 'gemini-3-pro-image'),
  'catalogue: 3 Pro Image offers neither the extreme ratios nor 512');
select is((select replacement || '/' || retires_on from image_models where id = 'gemini-2.5-flash-image'),
  'gemini-3.1-flash-image/2026-10-02', 'catalogue: 2.5 Flash Image retired on 2026-10-02 for 3.1 Flash Image');

select is(tests.try_as('admin@masstock.test', 'select * from public.image_models'),
  'ok:' || (select count(*) from image_models),
  'catalogue: the admin reads every model');
select is(tests.try_as(u, 'select * from public.image_models'), 'ok:0',
  'catalogue: ' || u || ' reads none (prices are cost data)')
from unnest(array['owner@acme.test', 'collaborator@acme.test']) u;
select is(pg_temp.try_hint('anon', $$select 1 from public.image_models$$), 'error:42501',
  'catalogue: anon has no privilege at all');
select is(pg_temp.try_hint('owner@acme.test', $$update public.image_models set lifecycle = 'retired', retires_on = '2026-01-01' where id = 'gemini-3-pro-image'$$),
  'ok:0', 'catalogue: an owner cannot retire a model');
select is(pg_temp.try_hint('owner@acme.test', $$insert into public.image_models (id, family, display_name, aspect_ratios, image_sizes, default_image_size, price_per_image, source, checked_on)
  values ('evil-model', 'flash', 'x', '{1:1}', '{1K}', '1K', '{"1K": 0}', 'x', current_date)$$),
  'error:42501', 'catalogue: an owner cannot add a model');
select is(pg_temp.try_hint('admin@masstock.test', $$delete from public.image_models where id = 'gemini-2.5-flash-image'$$),
  'error:42501', 'catalogue: not even an admin deletes a model');
select is(pg_temp.try_hint('service_role', $$update public.image_models set checked_on = '2026-12-02' where id = 'gemini-3-pro-image'$$),
  'error:42501', 'catalogue: no service caller writes it');
select is(pg_temp.try_hint('admin@masstock.test', $$update public.image_models set checked_on = '2026-12-02' where id = 'gemini-3-pro-image'$$),
  'ok:1', 'catalogue: an admin records a check');

-- the catalogue's own rules
select is(pg_temp.try_hint('postgres', $$update public.image_models set price_per_image = '{"1K": 0.134}' where id = 'gemini-3-pro-image'$$),
  'error:23514', 'catalogue: a price per offered size, no fewer');
select is(pg_temp.try_hint('postgres', $$update public.image_models set lifecycle = 'deprecated' where id = 'gemini-3-pro-image'$$),
  'error:23514', 'catalogue: deprecated needs retires_on');
select is(pg_temp.try_hint('postgres', $$update public.image_models set aspect_ratios = '{7:3}' where id = 'gemini-3-pro-image'$$),
  'error:23514', 'catalogue: aspect ratios come from Gemini''s vocabulary');
select is(private.model_lifecycle_now('deprecated', current_date), 'retired',
  'lifecycle: a deprecated model is retired on its shutdown date');
select is(private.model_lifecycle_now('deprecated', current_date + 1), 'deprecated',
  'lifecycle: and deprecated the day before');

-- templates held to the catalogue -----------------------------------------------------------
create function pg_temp.new_template(p_type text, p_config text, p_revenue numeric, p_per_size text default '{}')
returns text language sql as $$
  select format($q$insert into public.workflow_templates (name, workflow_type, config, revenue_per_execution, revenue_per_size, cost_per_execution)
    values ('catalogue test', %L, %L, %s, %L, 0)$q$, p_type, p_config, p_revenue, p_per_size)
$$;
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('nano_banana', '{"model":"gemini-9-imaginary","max_prompts":5,"requires_api_key":false}', 0.1)),
  'error:MS422:model_unavailable', 'template: a model the catalogue does not know is refused');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('nano_banana', '{"model":"gemini-2.5-flash-image","max_prompts":5,"requires_api_key":false}', 0.1)),
  'error:MS422:model_unavailable', 'template: a retired model is refused');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('nano_banana', '{"model":"gemini-3-pro-image","max_prompts":5,"requires_api_key":false}', 0.5)),
  'error:MS422:model_family_mismatch', 'template: nano_banana runs on a flash model');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('pro_banana', '{"model":"gemini-3-pro-image","max_prompts":5,"requires_api_key":false,"aspect_ratios":["1:1","1:8"]}', 0.5)),
  'error:MS422:aspect_ratio_not_supported', 'template: an aspect ratio the model lacks is refused');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('pro_banana', '{"model":"gemini-3-pro-image","max_prompts":5,"requires_api_key":false,"image_sizes":["512"]}', 0.5)),
  'error:MS422:image_size_not_supported', 'template: a size the model lacks is refused');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('nano_banana', '{"model":"gemini-3.1-flash-image","max_prompts":5,"requires_api_key":false,"image_sizes":["1K","4K"]}', 0.1)),
  'error:MS422:revenue_below_cost', 'template: charging $0.10 for a $0.151 4K image is refused');
select is((select count(*)::int from workflow_templates where name = 'catalogue test'), 0,
  'template: refused inserts wrote nothing');
select is(pg_temp.try_hint('admin@masstock.test', pg_temp.new_template('nano_banana', '{"model":"gemini-3.1-flash-image","max_prompts":5,"requires_api_key":false,"image_sizes":["512","1K","4K"],"aspect_ratios":["1:8","8:1"]}', 0.1, '{"4K": 0.2}')),
  'ok:1', 'template: 512/1K/4K with the extreme ratios on 3.1 Flash, 4K charged $0.20, is accepted');
select is((select cost_per_execution::text from workflow_templates where name = 'catalogue test'), '0.0670',
  'template: cost_per_execution is the catalogue''s 1K price, not the 0 sent');
insert into ids select 'tpl', id from workflow_templates where name = 'catalogue test';
select is(pg_temp.try_hint('admin@masstock.test', $$update public.workflow_templates set revenue_per_size = '{}' where name = 'catalogue test'$$),
  'error:MS422:revenue_below_cost', 'template: dropping the 4K revenue below cost is refused');
select is(pg_temp.try_hint('admin@masstock.test', $$update public.workflow_templates set description = 'renamed' where name = 'catalogue test'$$),
  'ok:1', 'template: other edits pass');

-- assigned workflows keep their margin when the template's revenue moves ---------------------
select tests.authenticate_as('admin@masstock.test');
insert into ids select 'wf', w.id from public.assign_template(
  (select id from ids where name = 'tpl'), 'c0000000-0000-4000-8000-000000000002', 'Globex catalogue wf') w;
select tests.clear_authentication();
select is((select template_config = (select config from workflow_templates t where t.id = (select id from ids where name = 'tpl'))
           from workflows w join ids on ids.id = w.id and ids.name = 'wf'),
  true, 'assignment: the workflow remembers the template config it copied');
select is(pg_temp.try_hint('admin@masstock.test', $$update public.workflow_templates set revenue_per_execution = 0.05 where name = 'catalogue test'$$),
  'error:MS422:revenue_below_cost', 'template: a revenue cut that leaves an assigned workflow below cost is refused');

-- workflows held to the catalogue ------------------------------------------------------------
select is(pg_temp.try_hint('admin@masstock.test', format($$update public.workflows set config = config || '{"model":"gemini-2.5-flash-image"}' where id = %L$$, (select id from ids where name = 'wf'))),
  'error:MS422:model_unavailable', 'workflow: moving to a retired model is refused');
select is(pg_temp.try_hint('admin@masstock.test', format($$update public.workflows set config = config || '{"image_sizes":["2K"]}' where id = %L$$, (select id from ids where name = 'wf'))),
  'error:MS422:revenue_below_cost', 'workflow: offering 2K at the template''s $0.10 (cost $0.101) is refused');
select is(pg_temp.try_hint('admin@masstock.test', format($$update public.workflows set config = config || '{"max_prompts":"many"}' where id = %L$$, (select id from ids where name = 'wf'))),
  'error:MS422:invalid_config', 'workflow: a malformed config is refused like a template''s');
select is(pg_temp.try_hint('owner@globex.test', format($$update public.workflows set config = config || '{"model":"gemini-9"}' where id = %L$$, (select id from ids where name = 'wf'))),
  'ok:0', 'workflow: a member''s config change is RLS''s to refuse (nothing learned about the catalogue)');
select is(pg_temp.try_hint('admin@masstock.test', format($$update public.workflows set config = config || '{"max_prompts":3}' where id = %L$$, (select id from ids where name = 'wf'))),
  'ok:1', 'workflow: a valid change passes');

-- the catalogue's own changes keep every user valid ------------------------------------------
select is(pg_temp.try_hint('admin@masstock.test', $$update public.image_models set price_per_image = price_per_image || '{"4K": 0.25}' where id = 'gemini-3.1-flash-image'$$),
  'error:MS422:revenue_below_cost', 'catalogue: a 4K price rise above what a template charges is refused');
select is((select (price_per_image ->> '4K') from image_models where id = 'gemini-3.1-flash-image'), '0.151',
  'catalogue: the refused price is not stored');
update workflow_templates set revenue_per_execution = 0.2, revenue_per_size = '{"4K": 0.3}' where id = (select id from ids where name = 'tpl');
update workflow_templates set revenue_per_size = revenue_per_size || '{"4K": 0.4}' where id = 'd0000000-0000-4000-8000-000000000001';
update image_models set price_per_image = price_per_image || '{"1K": 0.07, "4K": 0.25}' where id = 'gemini-3.1-flash-image';
select is((select cost_per_execution::text from workflow_templates where id = 'd0000000-0000-4000-8000-000000000001'), '0.0700',
  'catalogue: once revenues allow it, the price moves and templates'' cost follows');

-- starts: snapshot and refusals ---------------------------------------------------------------
create function pg_temp.start(p_workflow uuid, p_input text)
returns text language sql as $$
  select format($q$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    select w.id, w.client_id, auth.uid(), %L from public.workflows w where w.id = %L$q$, p_input, p_workflow)
$$;
select tests.authenticate_as('collaborator@acme.test');
with e as (insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(),
          '{"prompts":["a","b"],"image_size":"4K","aspect_ratio":"8:1"}') returning id)
insert into ids select 'run4k', id from e;
with e as (insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(),
          '{"prompts":["a"],"image_size":"512"}') returning id)
insert into ids select 'run512', id from e;
with e as (insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
  values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(),
          '{"prompts":["a"]}') returning id)
insert into ids select 'run1k', id from e;
select tests.clear_authentication();
select is((select array_agg(ids.name || ':' || e.model || ':' || e.image_size || ':' || e.unit_cost || ':' || e.unit_revenue order by ids.name)
           from workflow_executions e join ids using (id) where ids.name like 'run%'),
  array['run1k:gemini-3.1-flash-image:1K:0.0700:0.1000', 'run4k:gemini-3.1-flash-image:4K:0.2500:0.4000',
        'run512:gemini-3.1-flash-image:512:0.0450:0.1000'],
  'start: model, billed size and the per-size cost and revenue are snapshotted, whatever the caller sent');

select is(pg_temp.try_hint('collaborator@acme.test', pg_temp.start('e0000000-0000-4000-8000-000000000001', '{"prompts":["a"],"aspect_ratio":"7:3"}')),
  'error:MS422:aspect_ratio_not_supported', 'start: an aspect ratio the model lacks is refused');
-- Globex's workflow without a ratio list of its own: the model's list decides.
update workflows set config = config - 'aspect_ratios' where id = (select id from ids where name = 'wf');
select is(pg_temp.try_hint('owner@globex.test', pg_temp.start((select id from ids where name = 'wf'), '{"prompts":["a"],"aspect_ratio":"7:3"}')),
  'error:MS422:aspect_ratio_not_supported', 'start: without a ratio list in the config, the model''s own ratios decide');

-- retire the model under running executions ----------------------------------------------------
create temporary table before_retire as
  select (select count(*) from workflow_executions) as executions, (select count(*) from workflow_batch_results) as items;
update image_models set lifecycle = 'deprecated', retires_on = current_date - 1 where id = 'gemini-3.1-flash-image';
select is(pg_temp.try_hint('collaborator@acme.test', pg_temp.start('e0000000-0000-4000-8000-000000000001', '{"prompts":["a"]}')),
  'error:MS422:model_unavailable', 'start: a model past its shutdown date is refused with model_unavailable');
select throws_ok(
  $$select tests.authenticate_as('collaborator@acme.test'); insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(), '{"prompts":["a"]}')$$,
  'MS422', format('This workflow''s model gemini-3.1-flash-image was retired on %s and is no longer available; ask MasStock to move the workflow to a current model', current_date - 1),
  'start: the refusal names the model and its shutdown date');
select tests.clear_authentication();
select is((select (select count(*) from workflow_executions) - executions + (select count(*) from workflow_batch_results) - items from before_retire)::int,
  0, 'start: refused starts wrote no execution and no item');
select is(pg_temp.try_hint('owner@globex.test', pg_temp.start('e0000000-0000-4000-8000-000000000001', '{"prompts":["a"]}')),
  'ok:0', 'start: another client''s workflow is invisible, so nothing about its model is said');
select is(pg_temp.try_hint('owner@globex.test', $$insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values ('e0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', auth.uid(), '{"prompts":["a"]}')$$),
  'error:42501', 'start: naming it directly, RLS refuses before the model is checked');

select is(pg_temp.try_hint('admin@masstock.test', $$update public.workflows set config = config || '{"max_prompts":90}' where id = 'e0000000-0000-4000-8000-000000000001'$$),
  'ok:1', 'workflow: one left on a retired model may still be edited (to be moved or switched off)');
select is(pg_temp.try_hint('admin@masstock.test', $$update public.workflow_templates set config = config || '{"max_prompts":90}' where id = 'd0000000-0000-4000-8000-000000000001'$$),
  'ok:1', 'template: likewise');

select is((select private.execution_model(id) from ids where name = 'run1k'),
  jsonb_build_object('model', 'gemini-3.1-flash-image', 'model_unavailable',
    format('Model gemini-3.1-flash-image was retired on %s', current_date - 1)),
  'batch: a run started before the shutdown is told its model is gone');

-- the batch engine's failure: one item fails, every pending one with it, no retry --------------
create temporary table claimed as select private.claim_batch_items((select id from ids where name = 'run4k'), 1) as c;
select is((select private.fail_batch_item_model_unavailable((c -> 'items' -> 0 ->> 'id')::uuid,
             (c -> 'items' -> 0 ->> 'lease_token')::uuid, 'Gemini model gemini-3.1-flash-image is not available (404 NOT_FOUND)') ->> 'finalised'
           from claimed), 'true', 'batch: model_unavailable finalises the execution at once');
select is((select array_agg(status || ':' || attempts || ':' || error_code order by batch_index)
           from workflow_batch_results r join ids on ids.id = r.execution_id and ids.name = 'run4k'),
  array['failed:1:model_unavailable', 'failed:0:model_unavailable'],
  'batch: both items failed with model_unavailable, the second never attempted');
select is((select status || ':' || error_code || ':' || error_message from workflow_executions e join ids using (id) where ids.name = 'run4k'),
  'failed:model_unavailable:Gemini model gemini-3.1-flash-image is not available (404 NOT_FOUND)',
  'batch: the execution failed with model_unavailable, naming the model');

-- a running execution keeps its model when the workflow moves ---------------------------------
update image_models set lifecycle = 'available', retires_on = null where id = 'gemini-3.1-flash-image';
insert into image_models (id, family, display_name, aspect_ratios, image_sizes, default_image_size, price_per_image, source, checked_on)
values ('test-flash-next', 'flash', 'Test Flash Next', '{1:1,16:9}', '{1K}', '1K', '{"1K": 0.05}', 'test', current_date);
update workflows set config = (config || '{"model":"test-flash-next"}') - 'aspect_ratios' - 'image_sizes'
where id = 'e0000000-0000-4000-8000-000000000001';
select is((select model from workflow_executions e join ids using (id) where ids.name = 'run1k'), 'gemini-3.1-flash-image',
  'running: a started execution keeps the model it started with');
select is((select private.execution_model(id) ->> 'model' from ids where name = 'run1k'), 'gemini-3.1-flash-image',
  'running: and the batch engine generates with it');

-- propagation ---------------------------------------------------------------------------------
update workflows set config = (select config from workflow_templates where id = 'd0000000-0000-4000-8000-000000000001') || '{"max_prompts":7}'
where id = 'e0000000-0000-4000-8000-000000000001';
update workflows set template_config = (select config from workflow_templates where id = 'd0000000-0000-4000-8000-000000000001')
where id = 'e0000000-0000-4000-8000-000000000001';
-- The template moves to a model with two ratios; Acme keeps its own max_prompts.
update workflow_templates set config = (config || '{"model":"test-flash-next","aspect_ratios":["1:1"]}') - 'image_sizes'
where id = 'd0000000-0000-4000-8000-000000000001';
create temporary table snapshot as select id, config from workflows;
select is(pg_temp.try_hint('owner@acme.test', $$select public.propagate_template('d0000000-0000-4000-8000-000000000001', true)$$),
  'error:MS403:admin_only', 'propagate: members are refused');
select tests.authenticate_as('admin@masstock.test');
create temporary table dry as select public.propagate_template('d0000000-0000-4000-8000-000000000001', true) as r;
select tests.clear_authentication();
select is((select pg_temp.entry(r, 'e0000000-0000-4000-8000-000000000001') -> 'changes' -> 'model' from dry),
  '{"from": "gemini-3.1-flash-image", "to": "test-flash-next"}'::jsonb, 'dry run: lists the model change');
select is((select pg_temp.entry(r, 'e0000000-0000-4000-8000-000000000001') -> 'kept_overrides' from dry), '{"max_prompts": 7}'::jsonb,
  'dry run: keeps the workflow''s own max_prompts');
select is((select jsonb_path_query_array(pg_temp.entry(r, 'e0000000-0000-4000-8000-000000000001'), '$.running_executions[*].model') from dry),
  '["gemini-3.1-flash-image", "gemini-3.1-flash-image"]'::jsonb,
  'dry run: lists the running executions, still on their own model');
select is((select count(*)::int from workflows w join snapshot s using (id) where w.config is distinct from s.config), 0,
  'dry run: writes nothing');
select tests.authenticate_as('admin@masstock.test');
create temporary table real_run as select public.propagate_template('d0000000-0000-4000-8000-000000000001', false) as r;
select tests.clear_authentication();
select is((select (r ->> 'dry_run') || '/' || (pg_temp.entry(r, 'e0000000-0000-4000-8000-000000000001') ->> 'problem' is null) from real_run),
  'false/true', 'propagate: the real run changes the workflow');
select is((select config ->> 'model' || '/' || (config ->> 'max_prompts') || '/' || (config -> 'aspect_ratios')::text
           from workflows where id = 'e0000000-0000-4000-8000-000000000001'),
  'test-flash-next/7/["1:1"]', 'propagate: new model and options, own max_prompts kept');
select is((select model from workflow_executions e join ids using (id) where ids.name = 'run1k'), 'gemini-3.1-flash-image',
  'propagate: the running execution still has its model');

-- a propagation one workflow cannot take is refused whole
update workflows set config = config || '{"aspect_ratios":["16:9"]}' where id = 'e0000000-0000-4000-8000-000000000001';
insert into image_models (id, family, display_name, aspect_ratios, image_sizes, default_image_size, price_per_image, source, checked_on)
values ('test-flash-square', 'flash', 'Test Flash Square', '{1:1}', '{1K}', '1K', '{"1K": 0.05}', 'test', current_date);
update workflow_templates set config = config || '{"model":"test-flash-square","aspect_ratios":["1:1"]}'
where id = 'd0000000-0000-4000-8000-000000000001';
truncate snapshot;
insert into snapshot select id, config from workflows;
select tests.authenticate_as('admin@masstock.test');
create temporary table dry2 as select public.propagate_template('d0000000-0000-4000-8000-000000000001', true) as r;
select tests.clear_authentication();
select is((select ((r ->> 'blocked')::int >= 1) || '/' || (pg_temp.entry(r, 'e0000000-0000-4000-8000-000000000001') -> 'problem' ->> 'code') from dry2),
  'true/aspect_ratio_not_supported', 'dry run: names the workflow whose own 16:9 the new model lacks');
select is(pg_temp.try_hint('admin@masstock.test', $$select public.propagate_template('d0000000-0000-4000-8000-000000000001', false)$$),
  'error:MS422:propagation_blocked', 'propagate: the real run is refused');
select is((select count(*)::int from workflows w join snapshot s using (id) where w.config is distinct from s.config), 0,
  'propagate: and writes nothing');

-- at risk -------------------------------------------------------------------------------------
update image_models set lifecycle = 'deprecated', retires_on = current_date + 30 where id = 'test-flash-next';
select is(pg_temp.try_hint('owner@acme.test', $$select * from public.workflows_at_risk()$$),
  'error:MS403:admin_only', 'at risk: members are refused');
select tests.authenticate_as('admin@masstock.test');
select is((select array_agg(workflow_name || ':' || model || ':' || lifecycle || ':' || days_left || ':' || running_executions)
           from public.workflows_at_risk() where workflow_id = 'e0000000-0000-4000-8000-000000000001'),
  array['Acme Corp - Flash Image Gen:test-flash-next:deprecated:30:2'],
  'at risk: a workflow whose model retires in 30 days is listed, with its running executions');
select is((select count(*)::int from public.workflows_at_risk(20) where workflow_id = 'e0000000-0000-4000-8000-000000000001'), 0,
  'at risk: not within 20 days');
select tests.clear_authentication();
update image_models set retires_on = current_date + 90 where id = 'test-flash-next';
select tests.authenticate_as('admin@masstock.test');
select is((select count(*)::int from public.workflows_at_risk() where workflow_id = 'e0000000-0000-4000-8000-000000000001'), 0,
  'at risk: a shutdown 90 days out is not within the default 60');
select tests.clear_authentication();
update image_models set lifecycle = 'retired', retires_on = current_date where id = 'test-flash-next';
select tests.authenticate_as('admin@masstock.test');
select is((select lifecycle from public.workflows_at_risk() where workflow_id = 'e0000000-0000-4000-8000-000000000001'), 'retired',
  'at risk: a retired model heads the list');
select tests.clear_authentication();
select is(pg_temp.try_hint('admin@masstock.test', $$select * from public.workflows_at_risk(-1)$$),
  'error:MS400:invalid_request', 'at risk: a negative window is a bad request');

select * from finish();
rollback;
