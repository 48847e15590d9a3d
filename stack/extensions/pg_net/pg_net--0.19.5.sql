-- Local stand-in for supabase/pg_net 0.19.5: the same objects, argument names, defaults,
-- table persistence and grants as upstream's sql/pg_net.sql, in plain SQL. Upstream's C
-- background worker is replaced by stack/pgnet-worker.ts, an ordinary client that follows the
-- same loop (see that file). Where upstream calls C, this file has SQL doing the same thing:
-- net.wake() queues a NOTIFY (delivered at commit only, like upstream's commit callback) and
-- the url encoder writes the lower-case hex upstream produces.

\echo use "create extension pg_net" to load this file. \quit

create schema if not exists net;
comment on schema net is 'pg_net (local stand-in): asynchronous HTTP requests from SQL.';

create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
comment on domain net.http_method is 'pg_net (local stand-in): HTTP methods the worker sends.';

-- Unlogged as upstream: crash recovery empties it, so a committed request the worker had not
-- sent yet is lost when Postgres crashes.
create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);
comment on table net.http_request_queue is
  'pg_net (local stand-in): requests waiting for the worker; unlogged, so a crash drops what it holds.';

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
comment on table net._http_response is
  'pg_net (local stand-in): one row per sent request (same id), kept for pg_net.ttl; unlogged like the queue.';

create index on net._http_response (created);

-- Upstream's worker reports itself as application "pg_net <version>"; so does the stand-in.
create function net.check_worker_is_up()
  returns void
  language plpgsql
as $$
begin
  if not exists (
    select 1 from pg_stat_activity
    where backend_type ilike '%pg_net%' or application_name = 'pg_net 0.19.5'
  ) then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail = 'the pg_net background worker is down due to an internal error and cannot process requests',
      hint = 'make sure that you didn''t modify any of pg_net internal tables';
  end if;
end
$$;
comment on function net.check_worker_is_up() is
  'raises an exception if the pg_net background worker is not up, otherwise it doesn''t return anything';

create function net._await_response(request_id bigint)
  returns bool
  language plpgsql
as $$
declare
  rec net._http_response;
begin
  while rec is null loop
    select * into rec from net._http_response where id = request_id;
    if rec is null then
      perform pg_sleep(0.05);
    end if;
  end loop;
  return true;
end
$$;
comment on function net._await_response(bigint) is
  'pg_net (local stand-in): blocks until the request''s response row exists.';

-- curl_escape's set of unreserved bytes; the escapes come out in lower-case hex, as upstream
-- sends them (measured: ü becomes %c3%bc).
create function net._urlencode_string(string varchar)
  returns text
  language sql
  immutable
  parallel safe
as $$
  select case when string is null then null else coalesce((
    select string_agg(
      case
        when b between 48 and 57 or b between 65 and 90 or b between 97 and 122
          or b in (45, 46, 95, 126) then chr(b)
        else '%' || lpad(to_hex(b), 2, '0')
      end, '' order by i)
    from (
      select i, get_byte(raw, i) as b
      from (select convert_to(string, 'UTF8') as raw) as s,
        generate_series(0, octet_length(raw) - 1) as i
    ) as bytes
  ), '') end
$$;
comment on function net._urlencode_string(varchar) is
  'pg_net (local stand-in): percent-encodes one query-string key or value (lower-case hex).';

-- Appends already-encoded key=value pairs to the query, before any #fragment.
create function net._encode_url_with_params_array(url text, params_array text[])
  returns text
  language sql
  immutable
  parallel safe
as $$
  select case
    when url is null or params_array is null then null
    when cardinality(params_array) = 0 then url
    else base
      || case
        when strpos(base, '?') = 0 then '?'
        when right(base, 1) in ('?', '&') then ''
        else '&'
      end
      || array_to_string(params_array, '&')
      || case when strpos(url, '#') > 0 then substr(url, strpos(url, '#')) else '' end
  end
  from (select split_part(url, '#', 1) as base) as parts
$$;
comment on function net._encode_url_with_params_array(text, text[]) is
  'pg_net (local stand-in): appends encoded params to a url''s query string.';

create function net.worker_restart()
  returns bool
  language sql
as $$
  select coalesce(bool_or(pg_terminate_backend(pid)), false)
  from pg_stat_activity
  where application_name = 'pg_net 0.19.5'
$$;
comment on function net.worker_restart() is
  'pg_net (local stand-in): drops the worker''s sessions; it reconnects and starts over.';

create function net.wait_until_running()
  returns void
  language plpgsql
as $$
begin
  for attempt in 1..600 loop
    -- pg_stat_activity is read once per transaction unless the snapshot is dropped.
    perform pg_stat_clear_snapshot();
    if exists (select 1 from pg_stat_activity where application_name = 'pg_net 0.19.5') then
      return;
    end if;
    perform pg_sleep(0.05);
  end loop;
  perform net.check_worker_is_up();
end
$$;
comment on function net.wait_until_running() is 'waits until the worker is running';

-- Upstream registers a commit callback that sets the worker's latch; a rolled-back transaction
-- never wakes it. NOTIFY has the same transaction semantics: queued now, delivered at commit.
create function net.wake()
  returns void
  language sql
as $$
  select pg_notify('pg_net', '')
$$;
comment on function net.wake() is
  'pg_net (local stand-in): wakes the worker when the calling transaction commits.';

-- The request functions, as upstream: insert one queue row, then net.wake(). The url is
-- encoded into a variable first (upstream's encoder is C; the SQL one inlined into the
-- INSERT cost ~0.13 ms per call).
create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
)
  returns bigint
  language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
  full_url text;
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);
  full_url := net._encode_url_with_params_array(url, params_array);

  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', full_url, headers, timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end
$$;
comment on function net.http_get(text, jsonb, jsonb, int) is
  'pg_net (local stand-in): queues a GET, sent by the worker only if the transaction commits; returns the request id.';

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
)
  returns bigint
  language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
  content_type text;
  full_url text;
begin
  select header_value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as r(header_name, header_value)
  where lower(header_name) = 'content-type'
  limit 1;

  -- As upstream: a missing content type is added back, any other than JSON is refused.
  if content_type is null then
    select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
  end if;

  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);
  full_url := net._encode_url_with_params_array(url, params_array);

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', full_url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end
$$;
comment on function net.http_post(text, jsonb, jsonb, jsonb, int) is
  'pg_net (local stand-in): queues a JSON POST, sent by the worker only if the transaction commits; returns the request id.';

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
)
  returns bigint
  language plpgsql
as $$
declare
  request_id bigint;
  params_array text[];
  full_url text;
begin
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);
  full_url := net._encode_url_with_params_array(url, params_array);

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', full_url, headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;

  perform net.wake();
  return request_id;
end
$$;
comment on function net.http_delete(text, jsonb, jsonb, int, jsonb) is
  'pg_net (local stand-in): queues a DELETE, sent by the worker only if the transaction commits; returns the request id.';

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
comment on type net.request_status is 'pg_net (local stand-in): lifecycle state of a request.';

create type net.http_response as (
  status_code integer,
  headers jsonb,
  body text
);
comment on type net.http_response is 'pg_net (local stand-in): a response from an HTTP server.';

create type net.http_response_result as (
  status net.request_status,
  message text,
  response net.http_response
);
comment on type net.http_response_result is
  'pg_net (local stand-in): a response wrapped with its request state.';

create function net._http_collect_response(request_id bigint, async bool default true)
  returns net.http_response_result
  language plpgsql
as $$
declare
  rec net._http_response;
begin
  if not async then
    perform net._await_response(request_id);
  end if;

  select * into rec from net._http_response where id = request_id;

  if rec is null or rec.error_msg is not null then
    return (
      'ERROR',
      coalesce(rec.error_msg, 'request matching request_id not found'),
      null
    )::net.http_response_result;
  end if;

  return (
    'SUCCESS',
    'ok',
    (rec.status_code, rec.headers, rec.content)::net.http_response
  )::net.http_response_result;
end
$$;
comment on function net._http_collect_response(bigint, bool) is
  'pg_net (local stand-in): a request''s response, or ERROR while pending or failed.';

create function net.http_collect_response(request_id bigint, async bool default true)
  returns net.http_response_result
  language plpgsql
as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  return net._http_collect_response(request_id, async);
end
$$;
comment on function net.http_collect_response(bigint, bool) is
  'pg_net (local stand-in): deprecated alias of net._http_collect_response.';

-- Upstream's grants: schema, tables and sequences open to PUBLIC, functions security invoker
-- with the default EXECUTE to PUBLIC. Projects that want less revoke it in their migrations.
grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
