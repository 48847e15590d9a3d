-- Storage's delete protection (supabase/storage tenant migration "prevent-direct-deletes"):
-- a statement trigger refuses every DELETE on storage.buckets and storage.objects unless the
-- transaction set storage.allow_delete_query, which the Storage API does for its own deletes.
-- A row deleted in SQL would leave its file behind in the bucket; delete through the API.
create or replace function storage.protect_delete()
  returns trigger
  language plpgsql
as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), 'false') != 'true' then
    raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
      using hint = 'This prevents accidental data loss from orphaned objects.',
            errcode = '42501';
  end if;
  return null;
end
$$;
comment on function storage.protect_delete() is
  'Refuses deletes on Storage tables unless the Storage API set storage.allow_delete_query.';

create trigger protect_buckets_delete
  before delete on storage.buckets
  for each statement
  execute function storage.protect_delete();
comment on trigger protect_buckets_delete on storage.buckets is
  'Buckets are deleted through the Storage API only.';

create trigger protect_objects_delete
  before delete on storage.objects
  for each statement
  execute function storage.protect_delete();
comment on trigger protect_objects_delete on storage.objects is
  'Objects are deleted through the Storage API only, so no file is orphaned.';

-- Owned like the rest of the storage schema where the platform has a Storage admin role.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
    alter function storage.protect_delete() owner to supabase_storage_admin;
  end if;
end
$$;
