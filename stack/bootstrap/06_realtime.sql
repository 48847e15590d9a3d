-- Supabase Realtime's objects in the project database, as the Realtime service's own tenant
-- migrations leave them on a hosted project (supabase/realtime,
-- lib/realtime/tenants/repo/migrations: the 2026-04 squash plus the default partition, the
-- ownership move to supabase_realtime_admin and broadcasted_at). Platform-owned: product
-- migrations only add policies on realtime.messages and call realtime.send. The local
-- Realtime stand-in (stack/realtime-api.ts) reads inserts of realtime.messages through logical
-- replication and authorizes joins with these policies, as the real service does.
-- Only what Broadcast needs is here: no realtime.subscription (postgres_changes), no
-- send_binary.

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit noreplication;
  end if;
end
$$;
comment on role supabase_realtime_admin is 'Owner of the realtime schema''s objects (Supabase Realtime manages them).';
-- Realtime's own migration grants it to postgres, which is how postgres may create policies
-- on realtime.messages without owning it.
grant supabase_realtime_admin to postgres;

create schema if not exists realtime;
comment on schema realtime is 'Supabase Realtime: broadcast messages (realtime.messages) and their helpers.';

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  broadcasted_at timestamp without time zone,
  constraint messages_pkey primary key (id, inserted_at)
) partition by range (inserted_at);
comment on table realtime.messages is 'Broadcast and presence messages; inserts are streamed to channel subscribers, RLS on it authorizes private channels.';

-- Realtime creates a partition per day (yesterday, today, tomorrow) whenever it connects and
-- drops those older than 72 hours; the default partition takes anything else.
create table if not exists realtime.messages_default partition of realtime.messages default;

create index if not exists messages_inserted_at_topic_index
  on only realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;

alter table realtime.messages enable row level security;

create or replace function realtime.topic()
returns text
language sql
stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
comment on function realtime.topic() is 'The channel topic being authorized (set by Realtime while it evaluates realtime.messages policies).';

create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;
comment on function realtime.send(jsonb, text, text, boolean) is 'Broadcasts payload as event on topic (private by default) by inserting into realtime.messages; never raises, a failure is a warning.';

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation = 'INSERT' or operation = 'UPDATE' or operation = 'DELETE' then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
      'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
exception
  when others then
    raise exception 'Failed to process the row: %', sqlerrm;
end;
$$;
comment on function realtime.broadcast_changes(text, text, text, text, text, record, record, text) is 'Trigger helper: broadcasts a row change {record, old_record, operation, table, schema} on a private topic.';

alter table realtime.messages owner to supabase_realtime_admin;
alter table realtime.messages_default owner to supabase_realtime_admin;
alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  owner to supabase_realtime_admin;

grant usage on schema realtime to postgres, anon, authenticated, service_role, supabase_realtime_admin;
grant create on schema realtime to supabase_realtime_admin;
grant all on all tables in schema realtime to supabase_realtime_admin;
grant all on all functions in schema realtime to supabase_realtime_admin;
-- Functions are executable by PUBLIC on hosted (Postgres's default, which our migrations
-- revoke only for objects they create): policies call realtime.topic() as the joining user.
grant execute on all functions in schema realtime to public;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;
grant delete, truncate, references, trigger on realtime.messages to postgres;
