-- Local stand-in for the parts of Supabase's supautils that migrations meet. supautils is a C
-- library hooked into Postgres's utility processing; it is not packaged for Debian, so the
-- same behaviour is rebuilt here from event triggers, driven by the same settings hosted
-- uses (written to postgresql.conf by stack/postgres.ts, read from the file so a session's
-- `set` cannot widen them):
--
--   supautils.privileged_extensions (+ _superuser, extensions_parameter_overrides,
--   extension_custom_scripts_path): `create extension` of a listed extension by the
--   privileged role (postgres) runs as supabase_admin, with hosted's parameter overrides
--   (pg_cron goes to pg_catalog) and its after-create script (grants back to postgres).
--
--   supautils.policy_grants / drop_trigger_grants: postgres may create, alter and drop
--   policies and drop triggers on Auth's and Storage's tables without owning them.
--
-- Differences from the real thing, all on the refusing side or invisible to migrations:
--   * The extension is created just before Postgres runs the statement, which then finds it
--     installed: the statement must say `if not exists` (otherwise: a clear error here).
--     `alter extension ... update` and `drop extension` of privileged extensions are not
--     delegated.
--   * Postgres checks table ownership for policies, so postgres is made a member of
--     supabase_auth_admin and supabase_storage_admin, and the guard below refuses every
--     other DDL on their objects (comment on policy/trigger, alter table, create index,
--     create function in auth, drop, ...) with hosted's "must be owner" error. What no event
--     trigger sees stays open locally: `set role supabase_auth_admin`, grants of those roles.

create schema supautils_local;
comment on schema supautils_local is 'Local stand-in for supautils (event triggers); not on hosted Supabase, never exposed.';
revoke all on schema supautils_local from public;
grant usage on schema supautils_local to public;

-- The value in postgresql.conf, never a session override.
create function supautils_local.setting(setting_name text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select f.setting
  from pg_catalog.pg_file_settings as f
  where f.name = setting_name and setting_name like 'supautils.%'
  order by f.seqno desc
  limit 1
$$;
comment on function supautils_local.setting(text) is 'A supautils.* setting as written in postgresql.conf (sessions cannot override it).';
revoke all on function supautils_local.setting(text) from public;
grant execute on function supautils_local.setting(text) to public;

create function supautils_local.listed(list text, item text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select item = any (pg_catalog.regexp_split_to_array(pg_catalog.btrim(coalesce(list, '')), '\s*,\s*'))
$$;
comment on function supautils_local.listed(text, text) is 'Whether item is in a comma-separated supautils list.';
grant execute on function supautils_local.listed(text, text) to public;

-- Runs <path>/<extension>/<event>.sql as supabase_admin when the file exists, as supautils does.
create function supautils_local.run_custom_script(extension_name text, event text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  dir text := supautils_local.setting('supautils.extension_custom_scripts_path');
  script text;
begin
  if dir is null then
    return;
  end if;
  begin
    script := pg_catalog.pg_read_file(dir || '/' || extension_name || '/' || event || '.sql');
  exception when undefined_file then
    return;
  end;
  execute script;
end
$$;
comment on function supautils_local.run_custom_script(text, text) is 'Runs an extension''s before-create / after-create script as supabase_admin, if it has one.';
revoke all on function supautils_local.run_custom_script(text, text) from public;

create function supautils_local.create_privileged_extension(
  extension_name text,
  schema_name text,
  with_cascade boolean
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  overrides jsonb := coalesce(
    nullif(supautils_local.setting('supautils.extensions_parameter_overrides'), ''), '{}'
  )::jsonb;
  target_schema text := coalesce(overrides -> extension_name ->> 'schema', schema_name);
begin
  if not supautils_local.listed(supautils_local.setting('supautils.privileged_extensions'), extension_name) then
    raise exception 'extension % is not a privileged extension', extension_name;
  end if;
  perform supautils_local.run_custom_script(extension_name, 'before-create');
  execute format('create extension if not exists %I', extension_name)
    || case when target_schema is null then '' else format(' schema %I', target_schema) end
    || case when with_cascade then ' cascade' else '' end;
  perform supautils_local.run_custom_script(extension_name, 'after-create');
end
$$;
comment on function supautils_local.create_privileged_extension(text, text, boolean) is 'Creates a privileged extension as supabase_admin with hosted''s overrides and after-create script.';
revoke all on function supautils_local.create_privileged_extension(text, text, boolean) from public;
grant execute on function supautils_local.create_privileged_extension(text, text, boolean) to postgres;

-- Unquotes an identifier as the parser would.
create function supautils_local.ident(raw text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when raw is null then null
    when left(raw, 1) = '"' then replace(substr(raw, 2, length(raw) - 2), '""', '"')
    else lower(raw)
  end
$$;
comment on function supautils_local.ident(text) is 'An SQL identifier as Postgres resolves it (quoted kept, unquoted folded to lower case).';
grant execute on function supautils_local.ident(text) to public;

-- ddl_command_start of CREATE EXTENSION: the parse tree is not visible to SQL, so the
-- statement is read from the query text. Each firing handles the first CREATE EXTENSION in
-- that text whose extension is not installed yet, which is the statement being run.
-- The schema an extension lands in when the statement names none: the first existing schema
-- of the caller's search path (its session default; a function cannot see a `set` made by the
-- caller, since its own search_path is pinned).
create function supautils_local.default_creation_schema()
returns text
language sql
stable
set search_path = ''
as $$
  select n.nspname::text
  from pg_catalog.unnest(pg_catalog.string_to_array(
    (select s.reset_val from pg_catalog.pg_settings as s where s.name = 'search_path'), ','
  )) with ordinality as p(entry, position)
  join pg_catalog.pg_namespace as n
    on n.nspname = case
      when pg_catalog.btrim(p.entry, ' "') = '$user' then current_user::text
      else pg_catalog.btrim(p.entry, ' "')
    end
  order by p.position
  limit 1
$$;
comment on function supautils_local.default_creation_schema() is 'First existing schema of the caller''s default search_path, where Postgres would create an extension.';
grant execute on function supautils_local.default_creation_schema() to public;

create function supautils_local.on_create_extension()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  query text;
  found text[];
  extension_name text;
  options text;
begin
  if (select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = current_user) then
    return;
  end if;
  if current_user::text is distinct from supautils_local.setting('supautils.privileged_role') then
    return;
  end if;
  query := pg_catalog.regexp_replace(pg_catalog.current_query(), '/\*.*?\*/', ' ', 'g');
  query := pg_catalog.regexp_replace(query, '--[^\n]*', ' ', 'g');
  for found in
    select m
    from pg_catalog.regexp_matches(
      query,
      'create\s+extension\s+(if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_]*)([^;]*)',
      'gi'
    ) as m
  loop
    extension_name := supautils_local.ident(found[2]);
    continue when exists (select 1 from pg_catalog.pg_extension as e where e.extname = extension_name);
    if not supautils_local.listed(supautils_local.setting('supautils.privileged_extensions'), extension_name) then
      return;
    end if;
    options := found[3];
    -- Supabase's before-create script: only administrators pick versions.
    if options ~* '\mversion\M' then
      raise exception 'Only administrators can specify VERSION when creating extensions. Please use: CREATE EXTENSION % WITH SCHEMA %;',
        extension_name, coalesce(supautils_local.ident(substring(options from '(?i)schema\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_]*)')), 'extensions');
    end if;
    if found[1] is null then
      raise exception 'local stack: write "create extension if not exists %" (privileged extensions are created as supabase_admin just before the statement runs)', extension_name
        using hint = 'On hosted Supabase both forms work; the local supautils stand-in needs IF NOT EXISTS.';
    end if;
    perform supautils_local.create_privileged_extension(
      extension_name,
      coalesce(
        supautils_local.ident(substring(options from '(?i)schema\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_]*)')),
        (select v.schema::text
         from pg_catalog.pg_available_extensions as a
         join pg_catalog.pg_available_extension_versions as v
           on v.name = a.name and v.version = a.default_version
         where a.name = extension_name),
        supautils_local.default_creation_schema()
      ),
      options ~* '\mcascade\M'
    );
    return;
  end loop;
end
$$;
comment on function supautils_local.on_create_extension() is 'supautils privileged_extensions: creates the extension as supabase_admin when postgres asks.';

create event trigger supautils_privileged_extensions on ddl_command_start
  when tag in ('CREATE EXTENSION')
  execute function supautils_local.on_create_extension();
comment on event trigger supautils_privileged_extensions is 'Local supautils stand-in: privileged extensions are created as supabase_admin.';

-- Whether the current role reaches Auth's or Storage's owners only through the local
-- membership (postgres), which the guards below then narrow to what hosted allows.
create function supautils_local.guarded_role()
returns boolean
language sql
stable
set search_path = ''
as $$
  select not coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = current_user), false)
    and current_user::text not in ('supabase_auth_admin', 'supabase_storage_admin')
    and (pg_catalog.pg_has_role(current_user, 'supabase_auth_admin', 'USAGE')
      or pg_catalog.pg_has_role(current_user, 'supabase_storage_admin', 'USAGE'))
$$;
comment on function supautils_local.guarded_role() is 'True for roles (postgres) that own Auth/Storage objects only through the local membership.';
grant execute on function supautils_local.guarded_role() to public;

create function supautils_local.granted(grants_setting text, relation regclass)
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (nullif(supautils_local.setting(grants_setting), '')::jsonb -> current_user::text)
      ? (select n.nspname || '.' || c.relname
         from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
         where c.oid = relation),
    false
  )
$$;
comment on function supautils_local.granted(text, regclass) is 'Whether supautils.policy_grants / drop_trigger_grants lists the table for the current role.';
grant execute on function supautils_local.granted(text, regclass) to public;

create function supautils_local.refuse(object_kind text, object_name text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'must be owner of % %', object_kind, object_name
    using errcode = '42501',
      detail = 'Auth and Storage objects belong to supabase_auth_admin / supabase_storage_admin; on hosted Supabase postgres may only create/alter/drop their policies and create/drop their triggers.';
end
$$;
comment on function supautils_local.refuse(text, text) is 'Raises hosted''s "must be owner" error.';
grant execute on function supautils_local.refuse(text, text) to public;

create function supautils_local.guard_service_schemas()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  cmd record;
  rel oid;
  target_schema text;
begin
  if not supautils_local.guarded_role() then
    return;
  end if;
  for cmd in select * from pg_catalog.pg_event_trigger_ddl_commands() loop
    continue when cmd.command_tag in ('GRANT', 'REVOKE');
    if cmd.command_tag = 'ALTER DEFAULT PRIVILEGES' then
      if pg_catalog.current_query() ~* 'for\s+(role|user)\s+"?(supabase_auth_admin|supabase_storage_admin)\M' then
        raise exception 'permission denied to change default privileges' using errcode = '42501';
      end if;
      continue;
    end if;
    rel := case cmd.classid
      when 'pg_catalog.pg_policy'::regclass then (select p.polrelid from pg_catalog.pg_policy as p where p.oid = cmd.objid)
      when 'pg_catalog.pg_trigger'::regclass then (select t.tgrelid from pg_catalog.pg_trigger as t where t.oid = cmd.objid)
      when 'pg_catalog.pg_constraint'::regclass then (select c.conrelid from pg_catalog.pg_constraint as c where c.oid = cmd.objid)
      when 'pg_catalog.pg_rewrite'::regclass then (select r.ev_class from pg_catalog.pg_rewrite as r where r.oid = cmd.objid)
      when 'pg_catalog.pg_class'::regclass then cmd.objid
    end;
    target_schema := coalesce(
      (select n.nspname from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace where c.oid = rel),
      case when cmd.classid = 'pg_catalog.pg_namespace'::regclass
        then (select n.nspname from pg_catalog.pg_namespace as n where n.oid = cmd.objid) end,
      cmd.schema_name
    );
    continue when target_schema is null or target_schema not in ('auth', 'storage');
    continue when cmd.command_tag in ('CREATE POLICY', 'ALTER POLICY')
      and rel is not null and supautils_local.granted('supautils.policy_grants', rel::regclass);
    -- Hosted grants postgres every table privilege on these tables, TRIGGER included.
    continue when cmd.command_tag = 'CREATE TRIGGER' and rel is not null;
    if rel is not null then
      perform supautils_local.refuse('relation', (select c.relname::text from pg_catalog.pg_class as c where c.oid = rel));
    elsif cmd.classid = 'pg_catalog.pg_namespace'::regclass then
      perform supautils_local.refuse('schema', target_schema);
    else
      perform supautils_local.refuse(lower(cmd.object_type), cmd.object_identity);
    end if;
  end loop;
end
$$;
comment on function supautils_local.guard_service_schemas() is 'Refuses DDL on Auth/Storage objects that hosted postgres does not own (all but policies and triggers).';

create event trigger supautils_guard_service_schemas on ddl_command_end
  execute function supautils_local.guard_service_schemas();
comment on event trigger supautils_guard_service_schemas is 'Local supautils stand-in: postgres may not alter Auth/Storage objects, as on hosted.';

create function supautils_local.guard_service_drops()
returns event_trigger
language plpgsql
set search_path = ''
as $$
declare
  obj record;
begin
  if not supautils_local.guarded_role() then
    return;
  end if;
  for obj in select * from pg_catalog.pg_event_trigger_dropped_objects() loop
    -- policy_grants / drop_trigger_grants cover every Auth and Storage table: dropping their
    -- policies and triggers is allowed.
    continue when obj.object_type in ('policy', 'trigger');
    if obj.schema_name in ('auth', 'storage') then
      perform supautils_local.refuse(obj.object_type, obj.object_identity);
    end if;
    if obj.object_type = 'schema' and obj.object_name in ('auth', 'storage') then
      perform supautils_local.refuse('schema', obj.object_name);
    end if;
  end loop;
end
$$;
comment on function supautils_local.guard_service_drops() is 'Refuses dropping Auth/Storage objects other than policies and triggers.';

create event trigger supautils_guard_service_drops on sql_drop
  execute function supautils_local.guard_service_drops();
comment on event trigger supautils_guard_service_drops is 'Local supautils stand-in: postgres may not drop Auth/Storage objects, as on hosted.';

-- The membership the guards above narrow (policies on storage.objects, triggers on
-- auth.users need it: Postgres checks ownership, which supautils bypasses on hosted).
grant supabase_auth_admin, supabase_storage_admin to postgres;
