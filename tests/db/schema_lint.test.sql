-- Schema rules checked from the catalogs, so tables, policies and helpers added later are held
-- to them too. Each assertion lists its offenders, so a failure says what to fix.
begin;
set local search_path = public, extensions;
select plan(21);

-- Function calls in a deparsed policy expression that are not evaluated once per statement.
-- A call is fine when it opens a scalar subquery, `( SELECT f(...) AS f)` (Postgres turns it
-- into an initplan), or sits inside the arguments of such a call. Everything else, including
-- calls buried in a correlated subquery, runs per row.
create function tests.unwrapped_calls(expr text)
returns text[]
language plpgsql
immutable
as $$
declare
  found text[] := '{}';
  covered boolean[] := array[false];
  pending_call_ok boolean := null;
  i int := 1;
  n int := length(expr);
  ch text;
  tok text;
  before text;
  ok boolean;
begin
  while i <= n loop
    ch := substr(expr, i, 1);
    if ch = '''' then
      -- skip a string literal ('' is an escaped quote)
      i := i + 1;
      while i <= n loop
        if substr(expr, i, 1) = '''' then
          if substr(expr, i + 1, 1) = '''' then i := i + 1; else exit; end if;
        end if;
        i := i + 1;
      end loop;
    elsif ch = '"' then
      i := strpos(substr(expr, i + 1), '"') + i;
    elsif ch = '(' then
      covered := covered || (covered[cardinality(covered)] or coalesce(pending_call_ok, false));
      pending_call_ok := null;
    elsif ch = ')' then
      covered := covered[1:greatest(cardinality(covered) - 1, 1)];
    elsif ch ~ '[a-z_]' and (i = 1 or substr(expr, i - 1, 1) !~ '[A-Za-z0-9_$."]') then
      tok := substring(substr(expr, i) from '^[a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?');
      before := left(expr, i - 1);
      i := i + length(tok) - 1;
      if substr(expr, i + 1, 1) = '(' and before !~ '::[a-z ]*$' then
        ok := covered[cardinality(covered)] or before ~ '\(\s*SELECT\s+\(*\s*$';
        if not ok then
          found := found || tok;
        end if;
        pending_call_ok := ok;
      end if;
    end if;
    i := i + 1;
  end loop;
  return found;
end
$$;

create temp table lint_policies on commit drop as
  select n.nspname as schema_name, c.relname as table_name, p.polname, p.oid as policy_oid,
    p.polrelid, p.polroles, p.polcmd,
    coalesce(pg_get_expr(p.polqual, p.polrelid), '') as qual,
    coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as with_check
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace;

create temp table lint_tables on commit drop as
  select c.oid, c.relname, c.relrowsecurity
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'p');

create temp table lint_private_functions on commit drop as
  select p.oid, p.oid::regprocedure::text as signature, p.prosecdef, p.provolatile, p.proconfig,
    p.prorettype = 'trigger'::regtype as is_trigger,
    array(
      select a.grantee::regrole::text
      from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      where a.privilege_type = 'EXECUTE' and a.grantee <> 0 and a.grantee <> p.proowner
      order by 1
    ) as executors,
    exists (
      select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      where a.privilege_type = 'EXECUTE' and a.grantee = 0
    ) as public_can_execute
  from pg_proc p
  where p.pronamespace = 'private'::regnamespace;

-- The parser itself, on the shapes Postgres deparses.
select is(
  tests.unwrapped_calls('((( SELECT private.is_admin() AS is_admin) OR (client_id IN ( SELECT private.my_client_ids() AS my_client_ids))) AND (user_id = ( SELECT auth.uid() AS uid)) AND (x = ( SELECT (auth.jwt() ->> ''role''::text))))'),
  '{}'::text[], 'lint parser: initplan-wrapped calls pass');
select is(
  tests.unwrapped_calls('((user_id = auth.uid()) OR (id IN ( SELECT m.user_id FROM client_members m WHERE (m.client_id = ANY (private.ids(lower(''a(b''::text)))))) OR ((name)::character varying(10) = ''f(x)''::text))'),
  array['auth.uid', 'private.ids', 'lower'], 'lint parser: bare calls and calls inside correlated subqueries are caught');

-- Tables and RLS -----------------------------------------------------------------------------
select is(
  array(select t from unnest(array['users', 'clients', 'client_members', 'workflow_templates', 'workflows',
    'workflow_requests', 'workflow_executions', 'workflow_batch_results', 'support_tickets']) t
    where t not in (select relname from lint_tables) order by 1),
  '{}'::text[], 'the nine tables of the schema document exist in public');
select is(array(select relname::text from lint_tables where not relrowsecurity order by 1), '{}'::text[],
  'every table in public has row level security enabled');
select is(array(select relname::text from lint_tables t where not exists (select 1 from lint_policies p where p.polrelid = t.oid) order by 1),
  '{}'::text[], 'every table in public has at least one policy');

-- Policies -----------------------------------------------------------------------------------
select is(
  array(select format('%s.%s: %s', table_name, polname, array(select r::regrole::text from unnest(polroles) r order by 1))
        from lint_policies
        where schema_name = 'public' and polroles <> array['authenticated'::regrole::oid]
        order by 1),
  '{}'::text[], 'every policy on public tables is TO authenticated only');
select is(
  array(select format('%s.%s: %s', table_name, polname, array_to_string(tests.unwrapped_calls(qual) || tests.unwrapped_calls(with_check), ', '))
        from lint_policies
        where schema_name = 'public'
          and cardinality(tests.unwrapped_calls(qual) || tests.unwrapped_calls(with_check)) > 0
        order by 1),
  '{}'::text[], 'policies on public tables call functions only as (select f(...)) initplans');
select is(
  array(select format('%s.%s.%s: %s', schema_name, table_name, polname, array_to_string(calls, ', '))
        from (
          select schema_name, table_name, polname,
            array(select c from unnest(tests.unwrapped_calls(qual) || tests.unwrapped_calls(with_check)) c
                  where c like 'auth.%' or c like 'private.%') as calls
          from lint_policies
        ) p
        where cardinality(calls) > 0
        order by 1),
  '{}'::text[], 'no policy in any schema calls auth.* or private.* unwrapped');

-- Privileges ---------------------------------------------------------------------------------
select is(
  array(select c.relname::text
        from pg_class c
        where c.relnamespace = 'public'::regnamespace
          and case
            when c.relkind = 'S' then has_sequence_privilege('anon', c.oid, 'USAGE, SELECT, UPDATE')
            when c.relkind in ('r', 'p', 'v', 'm', 'f') then
              has_table_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
              or has_any_column_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES')
            else false
          end
        order by 1),
  '{}'::text[], 'anon holds no privilege on any table, view or sequence in public');
select is(has_schema_privilege('anon', 'private', 'USAGE'), false, 'anon cannot use schema private');
select is(array(select signature from lint_private_functions where public_can_execute or has_function_privilege('anon', oid, 'EXECUTE') order by 1),
  '{}'::text[], 'no private function is executable by PUBLIC or anon');
select is(array(select signature from lint_private_functions
                where not exists (select 1 from unnest(proconfig) c where c like 'search_path=%') order by 1),
  '{}'::text[], 'every private function pins its search_path');
-- A private function users may execute exists to cross RLS deliberately, so it must be a
-- definer with pinned search_path; internal helpers (triggers, pure validators called from
-- definer code) are not executable by users and need no rights of their own.
select is(array(select signature from lint_private_functions
                where not is_trigger and not prosecdef and 'authenticated' = any(executors) order by 1),
  '{}'::text[], 'every private function executable by authenticated is security definer');
select is(
  array(select format('%s %s/%s/%s/%s', signature,
                 case when prosecdef then 'definer' else 'invoker' end,
                 case provolatile when 's' then 'stable' when 'i' then 'immutable' else 'volatile' end,
                 array_to_string(proconfig, ','), array_to_string(executors, ','))
        from lint_private_functions
        where signature in ('private.is_admin()', 'private.my_client_ids()', 'private.my_owned_client_ids()')
        order by 1),
  array['private.is_admin() definer/stable/search_path=""/authenticated',
        'private.my_client_ids() definer/stable/search_path=""/authenticated',
        'private.my_owned_client_ids() definer/stable/search_path=""/authenticated'],
  'the RLS helpers are security definer, stable, search_path '''', executable by authenticated only');

-- Indexes ------------------------------------------------------------------------------------
select is(
  array(select format('%s(%s)', c.conrelid::regclass,
                 (select string_agg(a.attname, ',' order by a.attnum) from pg_attribute a
                  where a.attrelid = c.conrelid and a.attnum = any (c.conkey)))
        from pg_constraint c
        where c.contype = 'f'
          and c.connamespace = 'public'::regnamespace
          and not exists (
            select 1 from pg_index i
            where i.indrelid = c.conrelid
              and array(select k from unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) k order by k)
                = array(select k from unnest(c.conkey) k order by k)
          )
        order by 1),
  '{}'::text[], 'every foreign key in public is the leading part of an index');
select is(
  array(select distinct format('%s.%s (policy %s.%s)', d.refobjid::regclass, a.attname, p.table_name, p.polname)
        from lint_policies p
        join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = p.policy_oid
          and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
        join pg_class r on r.oid = d.refobjid and r.relnamespace = 'public'::regnamespace
        join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
        -- An insert policy's own-table columns are the new row's values, not a lookup.
        where not (p.polcmd = 'a' and d.refobjid = p.polrelid)
          and not exists (select 1 from pg_index i where i.indrelid = d.refobjid and i.indkey[0] = d.refobjsubid)
        order by 1),
  '{}'::text[], 'every public column a policy filters on leads an index');

-- Hosted Supabase's advisors (splinter lints 0028/0029) flag security definer functions the API
-- roles may execute; the pinned CLI's `db advisors` predates those two lints, so this holds the
-- line for the schemas the API exposes (config.toml [api] schemas), where such a function is an
-- RPC anyone signed in can call around the Edge Functions.
select is(
  array(select format('%s.%s', n.nspname, p.proname)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where p.prosecdef and n.nspname in ('public', 'graphql_public')
          and (has_function_privilege('anon', p.oid, 'EXECUTE')
            or has_function_privilege('authenticated', p.oid, 'EXECUTE'))
        order by 1),
  '{}'::text[], 'no security definer function in an exposed schema is executable by anon or authenticated');

-- Comments -----------------------------------------------------------------------------------
select is(array(select relname::text from lint_tables where obj_description(oid, 'pg_class') is null order by 1),
  '{}'::text[], 'every table in public has a comment');
select is(
  array(select format('%s.%s.%s', schema_name, table_name, polname) from lint_policies
        where schema_name = 'public' and obj_description(policy_oid, 'pg_policy') is null order by 1),
  '{}'::text[], 'every policy on public tables has a comment');
-- Policies on storage.objects (and triggers on auth.users) cannot carry a comment: hosted
-- postgres does not own those tables. Their documentation is an SQL comment in the migration.
select is(array(select signature from lint_private_functions where obj_description(oid, 'pg_proc') is null order by 1),
  '{}'::text[], 'every private function has a comment');
select is(
  array(select format('%s.%s', t.tgrelid::regclass, t.tgname)
        from pg_trigger t join lint_tables l on l.oid = t.tgrelid
        where not t.tgisinternal and obj_description(t.oid, 'pg_trigger') is null order by 1),
  '{}'::text[], 'every trigger on public tables has a comment');

select * from finish();
rollback;
