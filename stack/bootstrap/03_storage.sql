-- Stand-in for Supabase Storage's tables. The stack's Storage API endpoints keep the bytes on
-- disk and the rows here, so that storage.objects policies decide reads as on Supabase.
-- Ownership as on hosted: schema storage is supabase_admin's, its objects
-- supabase_storage_admin's; postgres may read and write rows and add policies and triggers.
create schema if not exists storage authorization supabase_admin;
comment on schema storage is 'Supabase Storage schema (stand-in): buckets, objects and path helpers.';
grant all on schema storage to supabase_storage_admin with grant option;

set local role supabase_storage_admin;

create table storage.buckets (
  id text primary key,
  name text not null,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[]
);
comment on table storage.buckets is 'Storage buckets; a public bucket is served without any policy check.';
create unique index bname on storage.buckets (name);

create table storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  user_metadata jsonb
);
comment on table storage.objects is 'Stored objects (one row per file); RLS policies decide who may read or write.';
comment on column storage.objects.path_tokens is 'The object name split on "/", kept by Postgres.';
create unique index bucketid_objname on storage.objects (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

create or replace function storage.foldername(name text)
returns text[]
language plpgsql immutable
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1 : array_length(_parts, 1) - 1];
end
$$;
comment on function storage.foldername(text) is 'The folder segments of an object name (all but the last path segment).';

create or replace function storage.filename(name text)
returns text
language plpgsql immutable
as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;
comment on function storage.filename(text) is 'The last path segment of an object name.';

create or replace function storage.extension(name text)
returns text
language plpgsql immutable
as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;
comment on function storage.extension(text) is 'The file extension of an object name (text after the last dot).';

-- Supabase grants the API roles everything on these tables and lets RLS do the protecting;
-- postgres gets the same, with grant option, but no ownership (it cannot alter or comment on
-- them, nor on their policies).
grant usage on schema storage to anon, authenticated, service_role;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;

reset role;

grant usage on schema storage to postgres with grant option;
grant all on storage.buckets, storage.objects to postgres with grant option;
