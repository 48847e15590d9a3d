-- What a member can write by inserting directly (PostgREST), bypassing the functions: only the
-- columns a caller legitimately chooses, an input_data with the API's shape, invitations with
-- a token the database made. Each refusal writes nothing.
begin;
set local search_path = public, extensions;
set local client_min_messages = error;
select plan(36);

select tests.create_rls_fixtures();

-- executions: no caller-chosen id, created_at or server-owned column ------------------------------
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
    (id, workflow_id, client_id, triggered_by_user_id, input_data)
    values (%L, tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["reclaim"]}')$$,
    tests.fx('exec_gone'))),
  'error:42501', 'a member cannot choose an execution''s id (and reclaim a deleted run''s folder)');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data, created_at)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["1970"]}', '1970-01-01')$$),
  'error:42501', 'a member cannot date an execution (1970 starved the sweep)');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data, created_at)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["2999"]}', '2999-01-01')$$),
  'error:42501', 'a member cannot date an execution in 2999 (pinned to page 1)');
select is(tests.try_as(a, format($$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data, %I)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["derived"]}', %s)$$, col, val)),
  'error:42501', format('%s cannot write the derived column %s', a, col))
from (values ('concurrency', '50'), ('unit_cost', '0'), ('unit_revenue', '0'),
             ('last_kicked_at', 'now()'), ('storage_reconciled_at', 'now()')) v(col, val),
     (values ('collab-a@rls.test')) w(a);
select is(tests.try_as('admin@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data, created_at)
    values (tests.fx('wf_b'), tests.fx('client_b'), tests.fx('admin'), '{"prompts":["admin 1970"]}', '1970-01-01')$$),
  'error:42501', 'the column list holds for admins too');

-- executions: input_data shape ---------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', format($$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), %L)$$, bad)),
  'error:MS400', 'a direct insert is refused (400) with ' || what)
from (values
  ('{"prompts":["a"],"reference_images":"x"}', 'a non-array reference_images (it broke every listing)'),
  ('{"prompts":["a"],"reference_images":[{"mime_type":"image/png","data":"' || repeat('A', 5592412) || '"}]}',
    'a reference image over 4 MiB'),
  ('{"prompts":["a"],"note":"x"}', 'an unknown key'),
  ('{"prompts":[1]}', 'a prompt that is not text'),
  ('{"prompts":["a"],"uses_client_api_key":"yes"}', 'a non-boolean uses_client_api_key'),
  ('[]', 'an input_data that is not an object')
) v(bad, what);
select is((select count(*)::int from public.workflow_executions where client_id = tests.fx('client_a')
           and id not in (tests.fx('exec_a'), tests.fx('exec_a_spare'))), 0,
  'refused execution inserts wrote nothing');
select throws_ok(
  $$select tests.act_as('collab-a@rls.test');
    insert into public.workflow_executions (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["a"],"reference_images":"x"}')$$,
  'MS400', 'invalid input_data: reference_images: must be a list of images',
  'the refusal names the field');
select tests.clear_authentication();

select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_executions
    (workflow_id, client_id, triggered_by_user_id, input_data)
    values (tests.fx('wf_a'), tests.fx('client_a'), tests.fx('collab_a'), '{"prompts":["fine"],"uses_client_api_key":false}')$$),
  'ok:1', 'a well-formed direct insert still starts a run');
select is((select (created_at = now())::text || '/' || (id <> tests.fx('exec_gone'))::text from public.workflow_executions
           where input_data -> 'prompts' ->> 0 = 'fine'),
  'true/true', 'with the database''s id and created_at');
select is(tests.try_as('admin@rls.test', $$update public.workflow_executions set input_data = '{"prompts":"x"}' where id = tests.fx('exec_a')$$),
  'error:MS400', 'an admin cannot store a malformed input_data either');

-- tickets and requests ---------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, created_at)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'old', 'd', '1970-01-01')$$),
  'error:42501', 'a member cannot date a ticket');
select is(tests.try_as('collab-a@rls.test', format($$insert into public.support_tickets (id, client_id, user_id, subject, description)
    values (%L, tests.fx('client_a'), tests.fx('collab_a'), 'mine', 'd')$$, tests.fx('tkt_gone'))),
  'error:42501', 'a member cannot choose a ticket''s id');
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, updated_at)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'touched', 'd', '2999-01-01')$$),
  'error:42501', 'a member cannot set a ticket''s updated_at');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_requests (client_id, workflow_id, notes, created_at)
    values (tests.fx('client_a'), tests.fx('wf_a'), 'old request', '1970-01-01')$$),
  'error:42501', 'a member cannot date a workflow request');
select is(tests.try_as('collab-a@rls.test', $$insert into public.workflow_requests (client_id, workflow_id, notes, reviewed_at)
    values (tests.fx('client_a'), tests.fx('wf_a'), 'reviewed?', now())$$),
  'error:42501', 'a member cannot stamp a request as reviewed');
select is((select count(*)::int from public.support_tickets where subject in ('old', 'mine', 'touched'))
  + (select count(*)::int from public.workflow_requests where notes in ('old request', 'reviewed?')), 0,
  'refused ticket and request inserts wrote nothing');
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'plain', 'd')$$),
  'ok:1', 'a plain ticket still opens');

-- invitations ------------------------------------------------------------------------------------
select is(tests.try_as('owner-a@rls.test', $$insert into public.client_invitations (client_id, email, role, token_hash)
    values (tests.fx('client_a'), 'weak@rls.test', 'collaborator', encode(sha256('1234'::bytea), 'hex'))$$),
  'error:42501', 'an owner cannot insert an invitation with a token of their choosing');
select is(tests.try_as('owner-a@rls.test', $$insert into public.client_invitations (client_id, email, role, expires_at)
    values (tests.fx('client_a'), 'forever@rls.test', 'collaborator', now() + interval '30 days')$$),
  'error:42501', 'an owner cannot pick an invitation''s expiry');
select is(tests.try_as('owner-a@rls.test', $$insert into public.client_invitations (client_id, email, role)
    values (tests.fx('client_a'), 'direct@rls.test', 'collaborator')$$),
  'ok:1', 'a direct insert of the plain columns is allowed');
select is((select (token_hash ~ '^[0-9a-f]{64}$')::text || '/' || (expires_at = created_at + interval '7 days')::text
           from public.client_invitations where email = 'direct@rls.test'),
  'true/true', 'and gets a database-made token and the default expiry');

select tests.authenticate_as('owner-a@rls.test');
create temp table made on commit drop as
  select public.create_invitation(tests.fx('client_a'), 'Invitee@RLS.test', 'collaborator') as r;
select tests.clear_authentication();
select is((select i.token_hash from public.client_invitations i where i.email = 'invitee@rls.test'),
  (select encode(sha256(convert_to(r ->> 'token', 'UTF8')), 'hex') from made),
  'create_invitation returns the token whose hash is stored');
select is(current_setting('masstock.invitation_token', true), '', 'and leaves no token behind in the session');

select is(tests.try_as('owner-a@rls.test', $$select public.create_invitation(tests.fx('client_a'), E'evil@rls.test\r\nBcc: all@rls.test', 'collaborator')$$),
  'error:MS400', 'create_invitation refuses an e-mail with CR/LF');
select is(tests.try_as('owner-a@rls.test', $$insert into public.client_invitations (client_id, email, role)
    values (tests.fx('client_a'), E'evil@rls.test\nx', 'collaborator')$$),
  'error:23514', 'so does a direct insert');
select is((select count(*)::int from public.client_invitations where email like 'evil@%' or email like 'weak@%' or email like 'forever@%'), 0,
  'refused invitations wrote nothing');

select * from finish();
rollback;
