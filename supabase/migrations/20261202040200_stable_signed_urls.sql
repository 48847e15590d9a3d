-- Stable result URLs. GET start-execution/:id answered a new signed URL for every image on
-- every call, so a frontend that follows live progress re-downloaded every image each time.
-- Signed URLs are now remembered per user and object and answered again until they get close
-- to their expiry (start-execution/view.ts: valid 1 h, reused while at least 15 min remain).
-- Per user, because Storage's RLS decided that user's URL; only the user's own entries are
-- ever answered, and only for the paths the caller already read through RLS. A signed URL is
-- a bearer credential for one object: kept where no API role can read it, removed once expired.

create table private.signed_url_cache (
  user_id uuid not null,
  object_path text not null check (length(object_path) between 1 and 1024),
  signed_url text not null check (length(signed_url) between 1 and 4096),
  expires_at timestamptz not null,
  primary key (user_id, object_path)
);
comment on table private.signed_url_cache is 'Signed download URLs already handed to a user, answered again until near expiry so images keep one URL.';
create index signed_url_cache_expires_at on private.signed_url_cache (expires_at);
comment on index private.signed_url_cache_expires_at is 'Cleanup of expired entries.';
revoke all on private.signed_url_cache from public, anon, authenticated, service_role;

create or replace function private.cached_signed_urls(p_paths text[], p_min_valid_seconds integer)
returns table (object_path text, signed_url text, expires_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select c.object_path, c.signed_url, c.expires_at
  from private.signed_url_cache c
  where c.user_id = (select auth.uid())
    and c.object_path = any (p_paths)
    and c.expires_at > now() + make_interval(secs => greatest(p_min_valid_seconds, 0))
$$;
comment on function private.cached_signed_urls(text[], integer) is 'The caller''s remembered signed URLs for these paths that stay valid at least p_min_valid_seconds.';
revoke all on function private.cached_signed_urls(text[], integer) from public, anon;
grant execute on function private.cached_signed_urls(text[], integer) to authenticated;

create or replace function private.remember_signed_urls(p_entries jsonb)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_count integer;
begin
  if v_user is null or jsonb_typeof(p_entries) <> 'array' then
    return 0;
  end if;
  if jsonb_array_length(p_entries) > 1000 then
    raise exception 'At most 1000 signed URLs at a time' using errcode = 'MS400', hint = 'too_many_urls';
  end if;
  delete from private.signed_url_cache c where c.user_id = v_user and c.expires_at <= now();
  insert into private.signed_url_cache as c (user_id, object_path, signed_url, expires_at)
  select v_user, e ->> 'path', e ->> 'url', (e ->> 'expires_at')::timestamptz
  from jsonb_array_elements(p_entries) e
  where e ->> 'path' is not null and e ->> 'url' is not null and e ->> 'expires_at' is not null
  on conflict (user_id, object_path) do update
    set signed_url = excluded.signed_url, expires_at = excluded.expires_at;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.remember_signed_urls(jsonb) is 'Stores [{path, url, expires_at}] as the caller''s signed URLs (and drops the caller''s expired ones).';
revoke all on function private.remember_signed_urls(jsonb) from public, anon;
grant execute on function private.remember_signed_urls(jsonb) to authenticated;

create or replace function private.cleanup_signed_url_cache()
returns integer
language sql
security definer
set search_path = ''
as $$
  with gone as (delete from private.signed_url_cache c where c.expires_at <= now() returning 1)
  select count(*)::integer from gone
$$;
comment on function private.cleanup_signed_url_cache() is 'Deletes expired signed URLs of every user (pg_cron).';
revoke all on function private.cleanup_signed_url_cache() from public, anon, authenticated;
grant execute on function private.cleanup_signed_url_cache() to service_role;

select cron.schedule('masstock-signed-url-cleanup', '17 * * * *',
  'select private.cleanup_signed_url_cache()');
