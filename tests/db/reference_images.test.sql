-- Reference images in Storage, from the database's side: the bucket's limits, who may upload
-- into and read a client's folder (storage.objects policies of bucket reference-images), the
-- catalogue's limits and their caps, the start check on named objects (direct inserts too),
-- the upload plan, and what deletion queues for removal.
begin;
set local search_path = public, extensions;
select plan(28);

select tests.create_rls_fixtures();
update public.workflows set config = config || '{"supports_reference_images": true, "max_reference_images": 2}'
where id = tests.fx('wf_a');

create table tests.ref_paths (label text primary key, name text not null);
insert into tests.ref_paths values
  ('a1', tests.fx('client_a') || '/' || gen_random_uuid() || '.png'),
  ('a2', tests.fx('client_a') || '/' || gen_random_uuid() || '.png'),
  ('b1', tests.fx('client_b') || '/' || gen_random_uuid() || '.png');
grant select on tests.ref_paths to anon, authenticated;

-- the bucket ----------------------------------------------------------------------------------
select is(
  (select row(public, file_size_limit, allowed_mime_types)::text from storage.buckets where id = 'reference-images'),
  row(false, 4194304::bigint, array['image/png', 'image/jpeg', 'image/webp'])::text,
  'bucket reference-images: private, 4 MiB, png/jpeg/webp');

-- uploads -------------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$insert into storage.objects (bucket_id, name, owner, metadata)
    select 'reference-images', name, auth.uid(), '{"size": 1000, "mimetype": "image/png"}' from tests.ref_paths where label = 'a1'$$),
  'ok:1', 'objects insert: a member uploads into their client''s folder');
select is(tests.try_as('owner-a@rls.test', $$insert into storage.objects (bucket_id, name, owner, metadata)
    select 'reference-images', name, auth.uid(), '{"size": 5000000, "mimetype": "image/png"}' from tests.ref_paths where label = 'a2'$$),
  'ok:1', 'objects insert: another member of the client too');
select is(tests.try_as('owner-b@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    values ('reference-images', tests.fx('client_a') || '/' || gen_random_uuid() || '.png', auth.uid())$$),
  'error:42501', 'objects insert: another client''s member cannot upload into the folder');
select is(tests.try_as('collab-a@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    values ('reference-images', tests.fx('client_a') || '/x/' || gen_random_uuid() || '.png', auth.uid())$$),
  'error:42501', 'objects insert: no nested folder');
select is(tests.try_as('collab-a@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    values ('reference-images', 'not-a-uuid/' || gen_random_uuid() || '.png', auth.uid())$$),
  'error:42501', 'objects insert: a folder that is not a client id is refused (no cast error)');
select is(tests.try_as('loner@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    values ('reference-images', tests.fx('client_a') || '/' || gen_random_uuid() || '.png', auth.uid())$$),
  'error:42501', 'objects insert: a user of no client cannot upload');
select is(tests.try_as('anon', $$insert into storage.objects (bucket_id, name)
    values ('reference-images', tests.fx('client_a') || '/' || gen_random_uuid() || '.png')$$),
  'error:42501', 'objects insert: anon cannot upload');
select is(tests.try_as('owner-b@rls.test', $$insert into storage.objects (bucket_id, name, owner, metadata)
    select 'reference-images', name, auth.uid(), '{"size": 10, "mimetype": "image/png"}' from tests.ref_paths where label = 'b1'$$),
  'ok:1', 'objects insert: B uploads into B''s folder');
select is(tests.try_as('collab-a@rls.test', $$update storage.objects set metadata = '{}' where bucket_id = 'reference-images'$$),
  'ok:0', 'objects update: nobody replaces an uploaded image');
select is(tests.try_as('collab-a@rls.test', $$delete from storage.objects where bucket_id = 'reference-images'$$),
  'error:42501', 'objects delete: members remove nothing through the database API');

-- reads ---------------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$select 1 from storage.objects o join tests.ref_paths p on p.name = o.name
    where o.bucket_id = 'reference-images'$$),
  'ok:2', 'objects select: a member reads their client''s folder');
select is(tests.try_as('collab-a@rls.test', $$select 1 from storage.objects
    where bucket_id = 'reference-images' and name like tests.fx('client_b') || '/%'$$),
  'ok:0', 'objects select: and no other client''s');
select is(tests.try_as('owner-b@rls.test', $$select 1 from storage.objects where bucket_id = 'reference-images'$$),
  'ok:1', 'objects select: B reads only B''s');
select is(tests.try_as(a, $$select 1 from storage.objects where bucket_id = 'reference-images'$$),
  'ok:0', 'objects select: ' || a || ' reads none')
from unnest(array['loner@rls.test', 'anon']) a;
select is(tests.try_as('admin@rls.test', $$select 1 from storage.objects o join tests.ref_paths p on p.name = o.name
    where o.bucket_id = 'reference-images'$$),
  'ok:3', 'objects select: admins read every folder');

-- the catalogue -------------------------------------------------------------------------------
select throws_ok($$update public.image_models set max_reference_images = 15 where id = 'gemini-3-pro-image'$$,
  '23514', null, 'catalogue: at most 14 reference images (Gemini''s cap)');
select throws_ok($$update public.image_models set max_reference_image_bytes = 4194305 where id = 'gemini-3-pro-image'$$,
  '23514', null, 'catalogue: per-image bytes never above the bucket''s limit');
select throws_ok($$update public.image_models set reference_mime_types = array['image/gif'] where id = 'gemini-3-pro-image'$$,
  '23514', null, 'catalogue: only the bucket''s types');

-- starting with stored references (direct inserts through the database API) -------------------
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, auth.uid(), jsonb_build_object('prompts', jsonb_build_array('p'),
      'reference_images', jsonb_build_array(jsonb_build_object('path', (select name from tests.ref_paths where label = 'a1'), 'mime_type', 'image/png'))))$$,
    tests.fx('wf_a'), tests.fx('client_a'))),
  'ok:1', 'start: an uploaded image of the client''s folder is accepted');
select is((select input_bytes > 1000 from public.workflow_executions
           where input_data -> 'reference_images' -> 0 ->> 'path' = (select name from tests.ref_paths where label = 'a1')),
  true, 'start: the stored image''s bytes count in input_bytes');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, auth.uid(), jsonb_build_object('prompts', jsonb_build_array('p'),
      'reference_images', jsonb_build_array(jsonb_build_object('path', (select name from tests.ref_paths where label = 'b1'), 'mime_type', 'image/png'))))$$,
    tests.fx('wf_a'), tests.fx('client_a'))),
  'error:MS400', 'start: another client''s object is refused by the shape check');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, auth.uid(), jsonb_build_object('prompts', jsonb_build_array('p'),
      'reference_images', jsonb_build_array(jsonb_build_object('path', (select name from tests.ref_paths where label = 'a2'), 'mime_type', 'image/png'))))$$,
    tests.fx('wf_a'), tests.fx('client_a'))),
  'error:MS422', 'start: an object over the model''s bytes per image is refused');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, %L, auth.uid(), jsonb_build_object('prompts', jsonb_build_array('p'),
      'reference_images', jsonb_build_array(jsonb_build_object('path', %L, 'mime_type', 'image/png'))))$$,
    tests.fx('wf_a'), tests.fx('client_a'), tests.fx('client_a') || '/' || gen_random_uuid() || '.png')),
  'error:MS422', 'start: a path with no object is refused');

-- the upload plan ------------------------------------------------------------------------------
select is(tests.try_as('owner-b@rls.test', format($$select private.plan_reference_uploads(%L,
    '[{"mime_type": "image/png", "size_bytes": 10}]')$$, tests.fx('wf_a'))),
  'error:MS404', 'plan: another client''s workflow is not found');
select is(tests.try_as('collab-a@rls.test', format($$select private.plan_reference_uploads(%L,
    '[{"mime_type": "image/png", "size_bytes": 10}, {"mime_type": "image/png", "size_bytes": 10}, {"mime_type": "image/png", "size_bytes": 10}]')$$, tests.fx('wf_a'))),
  'error:MS422', 'plan: more images than the workflow config allows (2) are refused');

-- deletion ------------------------------------------------------------------------------------
delete from public.workflow_executions
where input_data -> 'reference_images' -> 0 ->> 'path' = (select name from tests.ref_paths where label = 'a1');
select is((select count(*)::int from private.storage_garbage g join tests.ref_paths p on p.name = g.name
           where g.bucket_id = 'reference-images' and p.label = 'a1'),
  1, 'deleting an execution queues its reference for removal through the Storage API');

select * from finish();
rollback;
