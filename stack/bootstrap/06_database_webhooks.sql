-- Database Webhooks, as every Supabase project has them since webhooks were enabled by
-- default (supabase/postgres migration 20240822021428_enable_webhooks_by_default): schema
-- supabase_functions, its audit table `hooks`, and the trigger function `http_request` that
-- the dashboard's "Database Webhooks" attach to a table:
--   create trigger <name> after insert on <table> for each row execute function
--     supabase_functions.http_request('<url>', 'POST', '<headers json>', '<params json>', '<timeout ms>');
-- A POST sends {type, table, schema, record, old_record} through pg_net (only if the
-- transaction commits). pg_net itself comes from the project's own `create extension`.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin noinherit createrole login noreplication;
  end if;
end
$$;
comment on role supabase_functions_admin is 'Owns the supabase_functions schema objects (Database Webhooks).';

create schema if not exists supabase_functions;
comment on schema supabase_functions is 'Supabase Database Webhooks: the http_request trigger function and its audit table.';

grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
alter default privileges in schema supabase_functions
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema supabase_functions
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema supabase_functions
  grant all on sequences to postgres, anon, authenticated, service_role;

create table supabase_functions.migrations (
  version text primary key,
  inserted_at timestamptz not null default now()
);
comment on table supabase_functions.migrations is 'Versions of the supabase_functions schema applied by the platform.';
insert into supabase_functions.migrations (version)
values ('initial'), ('20210809183423_update_grants');

create table supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz not null default now(),
  request_id bigint
);
create index supabase_functions_hooks_request_id_idx on supabase_functions.hooks using btree (request_id);
create index supabase_functions_hooks_h_table_id_h_name_idx
  on supabase_functions.hooks using btree (hook_table_id, hook_name);
comment on table supabase_functions.hooks is 'Supabase Functions Hooks: Audit trail for triggered hooks.';

create function supabase_functions.http_request()
  returns trigger
  language plpgsql
  security definer
  set search_path = supabase_functions
as $$
declare
  request_id bigint;
  payload jsonb;
  url text := tg_argv[0]::text;
  method text := tg_argv[1]::text;
  headers jsonb default '{}'::jsonb;
  params jsonb default '{}'::jsonb;
  timeout_ms integer default 1000;
begin
  if url is null or url = 'null' then
    raise exception 'url argument is missing';
  end if;

  if method is null or method = 'null' then
    raise exception 'method argument is missing';
  end if;

  if tg_argv[2] is null or tg_argv[2] = 'null' then
    headers = '{"Content-Type": "application/json"}'::jsonb;
  else
    headers = tg_argv[2]::jsonb;
  end if;

  if tg_argv[3] is null or tg_argv[3] = 'null' then
    params = '{}'::jsonb;
  else
    params = tg_argv[3]::jsonb;
  end if;

  if tg_argv[4] is null or tg_argv[4] = 'null' then
    timeout_ms = 1000;
  else
    timeout_ms = tg_argv[4]::integer;
  end if;

  case
    when method = 'GET' then
      select http_get into request_id from net.http_get(url, params, headers, timeout_ms);
    when method = 'POST' then
      payload = jsonb_build_object(
        'old_record', old,
        'record', new,
        'type', tg_op,
        'table', tg_table_name,
        'schema', tg_table_schema
      );
      select http_post into request_id from net.http_post(url, payload, params, headers, timeout_ms);
    else
      raise exception 'method argument % is invalid', method;
  end case;

  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
  values (tg_relid, tg_name, request_id);

  return new;
end
$$;
comment on function supabase_functions.http_request() is
  'Database Webhook trigger: sends the row change (or a GET) through pg_net; arguments url, method, headers, params, timeout_ms.';

grant all privileges on schema supabase_functions to supabase_functions_admin;
grant all privileges on all tables in schema supabase_functions to supabase_functions_admin;
grant all privileges on all sequences in schema supabase_functions to supabase_functions_admin;
alter role supabase_functions_admin set search_path = supabase_functions;
alter table supabase_functions.migrations owner to supabase_functions_admin;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
grant supabase_functions_admin to postgres;

revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request() to postgres, anon, authenticated, service_role;
