-- Generated images. The schema document wanted a public bucket, but a public bucket is
-- served to anyone with the URL and skips every storage.objects policy, so clients could
-- fetch each other's results by guessing paths. Private it is: reads go through the policy
-- below, and the API hands out signed URLs.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values (
  'workflow-results',
  'workflow-results',
  false,
  10485760,
  array['image/png', 'image/jpeg', 'image/webp']
)
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- Object names are <execution_id>/<batch_index>_<timestamp>.<ext>: the first folder ties the
-- file to an execution, and through it to a client. Only the processor (service_role,
-- which bypasses RLS) writes here, so there are no insert/update/delete policies.
-- workflow_results_select: result images are readable by members of the execution's client
-- and by admins. (Documented here, not with `comment on policy`: storage.objects belongs to
-- supabase_storage_admin, and on hosted Supabase postgres may create policies on it but not
-- comment on them.)
create policy workflow_results_select on storage.objects for select to authenticated
  using (
    bucket_id = 'workflow-results'
    and (
      (select private.is_admin())
      or (storage.foldername(name))[1] in (
        select e.id::text from public.workflow_executions e
        where e.client_id in (select private.my_client_ids())
      )
    )
  );
