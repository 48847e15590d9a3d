-- Ticket attachments: who may register a file (ticket_attachments RLS and triggers), who may
-- upload and read its object (storage.objects policies of bucket ticket-attachments), the
-- bucket's limits, the 20-per-ticket cap, a moved ticket carrying its files, and the ticket's
-- execution link (same client only).
begin;
set local search_path = public, extensions;
select plan(49);

select tests.create_rls_fixtures();

-- A public and an internal comment on A's open ticket, and one on B's ticket.
insert into public.ticket_comments (id, ticket_id, client_id, author_id, body, is_internal) values
  (tests.fx('cmt_a_public'), tests.fx('tkt_a_open'), tests.fx('client_a'), tests.fx('collab_a'), 'hello', false),
  (tests.fx('cmt_a_internal'), tests.fx('tkt_a_open'), tests.fx('client_a'), tests.fx('admin'), 'staff only', true),
  (tests.fx('cmt_b'), tests.fx('tkt_b_open'), tests.fx('client_b'), tests.fx('owner_b'), 'b', false);

-- the bucket ----------------------------------------------------------------------------------
select is(
  (select row(public, file_size_limit, allowed_mime_types)::text from storage.buckets where id = 'ticket-attachments'),
  row(false, 10485760::bigint, array['image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain'])::text,
  'bucket ticket-attachments: private, 10 MiB, png/jpeg/webp/pdf/txt');

-- registering files -----------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'shot.png', 'image/png', 1000)$$),
  'ok:1', 'attachments insert: a member attaches a file to their client''s ticket');
select is((select client_id::text || '/' || uploaded_by::text || '/' || is_internal || '/' || object_path
    from public.ticket_attachments where file_name = 'shot.png'),
  tests.fx('client_a')::text || '/' || tests.fx('collab_a') || '/false/' || tests.fx('tkt_a_open') || '/'
    || (select id from public.ticket_attachments where file_name = 'shot.png'),
  'attachments insert: client, uploader and a client-free path come from the database');
select is(tests.try_as('owner-a@rls.test', $$insert into public.ticket_attachments (ticket_id, comment_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), tests.fx('cmt_a_public'), 'log.txt', 'text/plain', 20)$$),
  'ok:1', 'attachments insert: a member attaches a file to a public comment');
select is(tests.try_as('owner-b@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'cross.png', 'image/png', 10)$$),
  'error:MS404', 'attachments insert: owner B cannot attach to A''s ticket (not found)');
select is(tests.try_as('loner@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'loner.png', 'image/png', 10)$$),
  'error:MS404', 'attachments insert: a user without membership cannot attach');
select is(tests.try_as('anon', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'anon.png', 'image/png', 10)$$),
  'error:42501', 'attachments insert: anon cannot attach');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, is_internal, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), true, 'sneaky.png', 'image/png', 10)$$),
  'error:42501', 'attachments insert: a member cannot mark a file internal');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, comment_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), tests.fx('cmt_a_internal'), 'on-note.png', 'image/png', 10)$$),
  'error:MS404', 'attachments insert: a member cannot attach to an internal note (not found)');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, comment_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_progress'), tests.fx('cmt_a_public'), 'wrong-ticket.png', 'image/png', 10)$$),
  'error:MS422', 'attachments insert: the comment must be on the same ticket');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, uploaded_by, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), tests.fx('owner_a'), 'forged.png', 'image/png', 10)$$),
  'error:42501', 'attachments insert: uploaded_by cannot be chosen');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'big.png', 'image/png', 10485761)$$),
  'error:23514', 'attachments insert: more than 10 MiB is refused');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), 'tool.exe', 'application/x-msdownload', 10)$$),
  'error:23514', 'attachments insert: a type outside the bucket''s list is refused');
select is(tests.try_as('collab-a@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), '../etc/passwd', 'text/plain', 10)$$),
  'error:23514', 'attachments insert: a file name with a slash is refused');
select is((select count(*)::int from public.ticket_attachments
    where file_name in ('cross.png', 'loner.png', 'anon.png', 'sneaky.png', 'on-note.png', 'wrong-ticket.png', 'forged.png', 'big.png', 'tool.exe', '../etc/passwd')),
  0, 'attachments insert: refused inserts wrote nothing');
select is(tests.try_as('admin@rls.test', $$insert into public.ticket_attachments (ticket_id, comment_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), tests.fx('cmt_a_internal'), 'staff.pdf', 'application/pdf', 500)$$),
  'ok:1', 'attachments insert: an admin attaches a file to an internal note');
select is((select is_internal from public.ticket_attachments where file_name = 'staff.pdf'), true,
  'attachments insert: an internal note''s file is internal');
select is(tests.try_as('admin@rls.test', $$insert into public.ticket_attachments (ticket_id, comment_id, is_internal, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_open'), tests.fx('cmt_a_public'), true, 'public-after-all.png', 'image/png', 5)$$),
  'ok:1', 'attachments insert: a public comment''s file stays public whatever is sent');
select is((select is_internal from public.ticket_attachments where file_name = 'public-after-all.png'), false,
  'attachments insert: is_internal comes from the comment');
select is(tests.try_as('collab-a@rls.test', $$update public.ticket_attachments set file_name = 'renamed.png' where file_name = 'shot.png'$$),
  'error:42501', 'attachments update: nobody edits an attachment');

-- reading rows ----------------------------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$select 1 from public.ticket_attachments where ticket_id = tests.fx('tkt_a_open')$$),
  'ok:3', 'attachments select: a member reads the non-internal files of their client''s ticket');
select is(tests.try_as('admin@rls.test', $$select 1 from public.ticket_attachments where ticket_id = tests.fx('tkt_a_open')$$),
  'ok:4', 'attachments select: an admin reads every file, internal included');
select is(tests.try_as('owner-b@rls.test', $$select 1 from public.ticket_attachments$$),
  'ok:0', 'attachments select: another client''s member reads none');

-- objects: uploads ------------------------------------------------------------------------------
-- Object paths as postgres sees them, readable by every actor (the transaction rolls back).
create table tests.attachment_paths as
  select file_name, object_path from public.ticket_attachments;
grant select on tests.attachment_paths to anon, authenticated;

select is(tests.try_as('owner-a@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    select 'ticket-attachments', object_path, auth.uid() from tests.attachment_paths where file_name = 'shot.png'$$),
  'error:42501', 'objects insert: another member of the client cannot upload the uploader''s file');
select is(tests.try_as('owner-b@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    select 'ticket-attachments', object_path, auth.uid() from tests.attachment_paths where file_name = 'shot.png'$$),
  'error:42501', 'objects insert: another client''s member cannot upload it');
select is(tests.try_as('collab-a@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    values ('ticket-attachments', tests.fx('tkt_a_open') || '/' || gen_random_uuid(), auth.uid())$$),
  'error:42501', 'objects insert: a path no attachment names cannot be uploaded');
select is(tests.try_as('collab-a@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    select 'ticket-attachments', object_path, auth.uid() from tests.attachment_paths where file_name = 'shot.png'$$),
  'ok:1', 'objects insert: the uploader uploads the registered file');
select is(tests.try_as('admin@rls.test', $$insert into storage.objects (bucket_id, name, owner)
    select 'ticket-attachments', object_path, auth.uid() from tests.attachment_paths where file_name = 'staff.pdf'$$),
  'ok:1', 'objects insert: the admin uploads the internal file');
select is(tests.try_as('collab-a@rls.test', $$update storage.objects set metadata = '{}' where bucket_id = 'ticket-attachments'$$),
  'ok:0', 'objects update: nobody replaces an uploaded file');

-- objects: reads --------------------------------------------------------------------------------
select is(tests.try_as(a, $$select 1 from storage.objects o join tests.attachment_paths p on p.object_path = o.name
    where o.bucket_id = 'ticket-attachments' and p.file_name = 'shot.png'$$),
  'ok:1', 'objects select: ' || a || ' reads the ticket''s file')
from unnest(array['collab-a@rls.test', 'owner-a@rls.test', 'admin@rls.test']) a;
select is(tests.try_as(a, $$select 1 from storage.objects where bucket_id = 'ticket-attachments'$$),
  'ok:0', 'objects select: ' || a || ' reads no ticket file')
from unnest(array['owner-b@rls.test', 'loner@rls.test', 'anon']) a;
select is(tests.try_as('collab-a@rls.test', $$select 1 from storage.objects o join tests.attachment_paths p on p.object_path = o.name
    where o.bucket_id = 'ticket-attachments' and p.file_name = 'staff.pdf'$$),
  'ok:0', 'objects select: a member cannot read an internal note''s file');
select is(tests.try_as('admin@rls.test', $$select 1 from storage.objects o join tests.attachment_paths p on p.object_path = o.name
    where o.bucket_id = 'ticket-attachments' and p.file_name = 'staff.pdf'$$),
  'ok:1', 'objects select: an admin reads the internal note''s file');

-- moving the ticket -----------------------------------------------------------------------------
select is(tests.try_as('admin@rls.test', $$update public.support_tickets set client_id = tests.fx('client_b') where id = tests.fx('tkt_a_open')$$),
  'ok:1', 'move: an admin moves the ticket to client B');
select is((select array_agg(distinct client_id) from public.ticket_attachments where ticket_id = tests.fx('tkt_a_open')),
  array[tests.fx('client_b')], 'move: every attachment follows the ticket');
select is(tests.try_as('collab-a@rls.test', $$select 1 from storage.objects where bucket_id = 'ticket-attachments'$$),
  'ok:0', 'move: the old client''s members lose the files');
select is(tests.try_as('owner-b@rls.test', $$select 1 from storage.objects o join tests.attachment_paths p on p.object_path = o.name
    where o.bucket_id = 'ticket-attachments' and p.file_name = 'shot.png'$$),
  'ok:1', 'move: the new client''s members read them, at the same path');

-- at most 20 files per ticket -------------------------------------------------------------------
insert into public.ticket_attachments (ticket_id, client_id, uploaded_by, file_name, mime_type, size_bytes)
  select tests.fx('tkt_a_progress'), tests.fx('client_a'), tests.fx('owner_a'), 'f' || i || '.txt', 'text/plain', 1
  from generate_series(1, 19) i;
select is(tests.try_as('owner-a@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_progress'), 'twentieth.txt', 'text/plain', 1)$$),
  'ok:1', 'limit: the 20th file is accepted');
select is(tests.try_as('admin@rls.test', $$insert into public.ticket_attachments (ticket_id, file_name, mime_type, size_bytes)
    values (tests.fx('tkt_a_progress'), 'twenty-first.txt', 'text/plain', 1)$$),
  'error:MS422', 'limit: the 21st is refused, for admins too');

-- the execution a ticket is about ---------------------------------------------------------------
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, execution_id)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'about my run', 'd', tests.fx('exec_a'))$$),
  'ok:1', 'execution_id: a member names an execution of their client');
select is(tests.try_as('collab-a@rls.test', $$insert into public.support_tickets (client_id, user_id, subject, description, execution_id)
    values (tests.fx('client_a'), tests.fx('collab_a'), 'about B''s run', 'd', tests.fx('exec_b'))$$),
  'error:MS422', 'execution_id: another client''s execution is refused');
select is(tests.try_as('admin@rls.test', $$update public.support_tickets set execution_id = tests.fx('exec_b') where subject = 'about my run'$$),
  'error:MS422', 'execution_id: an admin cannot link another client''s execution either');
select is(tests.try_as('owner-a@rls.test', $$update public.support_tickets set execution_id = tests.fx('exec_a_spare') where subject = 'about my run'$$),
  'error:42501', 'execution_id: members cannot relink after opening');
select is(tests.try_as('admin@rls.test', $$update public.support_tickets set client_id = tests.fx('client_b') where subject = 'about my run'$$),
  'error:MS422', 'execution_id: a move that would leave the old client''s execution linked is refused');
select is(tests.try_as('admin@rls.test', $$update public.support_tickets set client_id = tests.fx('client_b'), execution_id = tests.fx('exec_b') where subject = 'about my run'$$),
  'ok:1', 'execution_id: a move relinking to the new client''s execution is accepted');

select * from finish();
rollback;
