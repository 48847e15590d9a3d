-- Local stand-in for supabase/pg_net 0.19: the same objects, argument names, defaults and
-- grants, written in plain SQL. The real extension's C background worker is replaced by
-- stack/pgnet-worker.ts, an ordinary client that claims queue rows, sends them and writes
-- net._http_response. Differences that matter: the queue is a logged table (a crash cannot
-- drop committed requests), the worker is woken by NOTIFY on channel pg_net (sent only at
-- commit), and it connects with application_name 'pg_net worker'.

\echo use "create extension pg_net" to load this file. \quit

create schema if not exists net;
comment on schema net is 'pg_net (local stand-in): asynchronous HTTP requests from SQL.';

create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
comment on domain net.http_method is 'pg_net (local stand-in): HTTP methods the worker sends.';

-- Logged on purpose (the real one is unlogged): a committed request survives a crash.
create table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);
comment on table net.http_request_queue is
  'pg_net (local stand-in): requests waiting for stack/pgnet-worker.ts; a row is deleted in the same transaction that records its response.';

-- The worker claims the oldest rows first; without this the claim sorts the whole queue.
create index http_request_queue_id_idx on net.http_request_queue (id);
comment on index net.http_request_queue_id_idx is
  'pg_net (local stand-in): lets the worker claim the oldest requests by index.';

-- Unlogged as upstream: responses are disposable and written at the rate requests are sent.
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
  'pg_net (local stand-in): one row per sent request (same id); kept for pg_net.ttl (default 6 hours).';

create index _http_response_created_idx on net._http_response (created);
comment on index net._http_response_created_idx is
  'pg_net (local stand-in): lets the worker expire responses older than pg_net.ttl.';

-- Not in the real extension; callers look responses up by request id.
create index _http_response_id_idx on net._http_response (id);
comment on index net._http_response_id_idx is
  'pg_net (local stand-in): response lookup by request id.';

-- NOTIFY is queued with the transaction and delivered at commit, so a rolled-back request never
-- wakes the worker and never reaches it. Statement level: one wake-up per insert statement.
create function net._notify_worker()
  returns trigger
  language plpgsql
as $$
begin
  perform pg_notify('pg_net', '');
  return null;
end
$$;
comment on function net._notify_worker() is
  'pg_net (local stand-in): trigger function that wakes the worker when the inserting transaction commits.';

create trigger notify_worker
  after insert on net.http_request_queue
  for each statement
  execute function net._notify_worker();
comment on trigger notify_worker on net.http_request_queue is
  'pg_net (local stand-in): wakes stack/pgnet-worker.ts at commit.';

create function net.wake()
  returns void
  language sql
as $$
  select pg_notify('pg_net', '')
$$;
comment on function net.wake() is
  'pg_net (local stand-in): wakes the worker at commit (the queue trigger already does this).';

create function net.check_worker_is_up()
  returns void
  language plpgsql
as $$
begin
  if not exists (
    select 1 from pg_stat_activity
    where application_name = 'pg_net worker' or backend_type ilike '%pg_net%'
  ) then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail = 'the local stand-in worker (stack/pgnet-worker.ts) is not connected',
      hint = 'start the local stack (deno task stack up) or run stack/pgnet-worker.ts';
  end if;
end
$$;
comment on function net.check_worker_is_up() is
  'pg_net (local stand-in): raises if no stack/pgnet-worker.ts session is connected.';

create function net.worker_restart()
  returns bool
  language sql
as $$
  select coalesce(bool_or(pg_terminate_backend(pid)), false)
  from pg_stat_activity
  where application_name = 'pg_net worker'
$$;
comment on function net.worker_restart() is
  'pg_net (local stand-in): drops the worker''s sessions; it reconnects on its own.';

create function net.wait_until_running()
  returns void
  language plpgsql
as $$
begin
  for attempt in 1..600 loop
    if exists (select 1 from pg_stat_activity where application_name = 'pg_net worker') then
      return;
    end if;
    perform pg_sleep(0.05);
  end loop;
  perform net.check_worker_is_up();
end
$$;
comment on function net.wait_until_running() is
  'pg_net (local stand-in): waits up to 30 s for a stack/pgnet-worker.ts session.';

-- Same escaping as curl_easy_escape: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX.
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
        else '%' || upper(lpad(to_hex(b), 2, '0'))
      end, '' order by i)
    from (
      select i, get_byte(raw, i) as b
      from (select convert_to(string, 'UTF8') as raw) as s,
        generate_series(0, octet_length(raw) - 1) as i
    ) as bytes
  ), '') end
$$;
comment on function net._urlencode_string(varchar) is
  'pg_net (local stand-in): percent-encodes one query-string key or value.';

-- Appends already-encoded key=value pairs to the query, before any #fragment.
create function net._encode_url_with_params_array(url text, params_array text[])
  returns text
  language sql
  immutable
  parallel safe
as $$
  select case
    when coalesce(cardinality(params_array), 0) = 0 then url
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

create function net._params_array(params jsonb)
  returns text[]
  language sql
  immutable
  parallel safe
as $$
  select coalesce(
    array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)),
    '{}'
  )
  from jsonb_each_text(coalesce(params, '{}'::jsonb))
$$;
comment on function net._params_array(jsonb) is
  'pg_net (local stand-in): turns a params object into encoded key=value pairs.';

-- One queue insert behind every request function. The url is encoded into a variable before
-- the INSERT, as upstream does (there the encoder is C): inlined into the INSERT's VALUES, the
-- SQL encoder cost ~0.13 ms per call instead of ~7 µs, which every start-execution paid
-- through its kick.
create function net._enqueue(
  method net.http_method,
  url text,
  params jsonb,
  headers jsonb,
  body bytea,
  timeout_milliseconds int
)
  returns bigint
  language plpgsql
as $$
declare
  request_id bigint;
  full_url text := net._encode_url_with_params_array(url, net._params_array(params));
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, full_url, headers, body, timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;
comment on function net._enqueue(net.http_method, text, jsonb, jsonb, bytea, int) is
  'pg_net (local stand-in): queues one request (url encoded with its params); returns the request id.';

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
)
  returns bigint
  language sql
as $$
  select net._enqueue('GET', url, params, headers, null, timeout_milliseconds)
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
  content_type text;
begin
  select header_value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h(header_name, header_value)
  where lower(header_name) = 'content-type'
  limit 1;

  -- As upstream: a missing content type is added back, any other than JSON is refused.
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  return net._enqueue('POST', url, params, headers, convert_to(body::text, 'UTF8'),
    timeout_milliseconds);
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
  language sql
as $$
  select net._enqueue('DELETE', url, params, headers, convert_to(body::text, 'UTF8'),
    timeout_milliseconds)
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

create function net._await_response(request_id bigint)
  returns bool
  language plpgsql
as $$
begin
  while not exists (select 1 from net._http_response as r where r.id = request_id) loop
    perform pg_sleep(0.05);
  end loop;
  return true;
end
$$;
comment on function net._await_response(bigint) is
  'pg_net (local stand-in): blocks until the request''s response row exists.';

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

  select * into rec from net._http_response as r where r.id = request_id limit 1;

  if rec.id is null or rec.error_msg is not null then
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

-- The real extension's grants (0.12 onwards, which Supabase keeps): schema, tables and
-- sequences open to PUBLIC, functions security invoker with the default EXECUTE to PUBLIC.
-- Projects that want less revoke it in their own migrations.
grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
