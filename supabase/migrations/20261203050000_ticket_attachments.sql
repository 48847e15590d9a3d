-- Files attached to support tickets and to their comments (screenshots, logs, PDFs). The bytes
-- live in the private bucket `ticket-attachments`; a row here says which ticket (and comment)
-- a file belongs to, and is what every read and upload is checked against. Clients upload
-- with a signed upload URL straight to Storage, so no function ever holds the file.
--
-- Object names are `<ticket_id>/<attachment_id>`: nothing in the path names a client, so a
-- ticket moved to another client keeps its files where they are, and access moves with the
-- rows' client_id (see 20261203050200).

-- Limits (also in config.toml): 10 MiB per file; PNG, JPEG and WebP screenshots, PDF, plain
-- text logs. Storage enforces them on the upload itself; the row's declared size and type are
-- checked against the same values so a bad request is refused before any upload.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values (
  'ticket-attachments',
  'ticket-attachments',
  false,
  10485760,
  array['image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain']
)
on conflict (id) do update
set public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

create table public.ticket_attachments (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  comment_id uuid references public.ticket_comments (id) on delete cascade,
  -- Copied from the ticket (and the comment) by trigger, as on ticket_comments, so policies
  -- test membership directly.
  client_id uuid not null references public.clients (id),
  is_internal boolean not null default false,
  uploaded_by uuid references public.users (id) on delete set null default auth.uid(),
  file_name text not null
    constraint ticket_attachments_file_name_shape
    check (length(file_name) between 1 and 255 and file_name !~ '[/\\[:cntrl:]]'),
  mime_type text not null
    constraint ticket_attachments_mime_type_allowed
    check (mime_type in ('image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain')),
  size_bytes bigint not null
    constraint ticket_attachments_size_limit check (size_bytes between 1 and 10485760),
  object_path text generated always as (ticket_id::text || '/' || id::text) stored,
  created_at timestamptz not null default now(),
  constraint ticket_attachments_object_path_key unique (object_path)
);
comment on table public.ticket_attachments is 'Files attached to a ticket or one of its comments; the bytes are object `object_path` in bucket ticket-attachments.';
comment on column public.ticket_attachments.comment_id is 'The comment the file belongs to (null: attached to the ticket itself); must be a comment of the same ticket.';
comment on column public.ticket_attachments.client_id is 'The ticket''s client (set by trigger, follows a moved ticket).';
comment on column public.ticket_attachments.is_internal is 'Staff-only file: an internal note''s attachment (copied from the comment) or one an admin marks internal.';
comment on column public.ticket_attachments.uploaded_by is 'Who registered the file; only they may upload its bytes.';
comment on column public.ticket_attachments.file_name is 'The name the file is shown and downloaded under (1-255 characters, no slashes or control characters).';
comment on column public.ticket_attachments.mime_type is 'Declared type: png, jpeg, webp, pdf or plain text (the bucket''s allowed_mime_types).';
comment on column public.ticket_attachments.size_bytes is 'Declared size in bytes, 1 to 10 MiB (the bucket''s file_size_limit).';
comment on column public.ticket_attachments.object_path is 'Object name in bucket ticket-attachments: <ticket_id>/<id>, free of the client so moves need no copy.';
comment on constraint ticket_attachments_file_name_shape on public.ticket_attachments is 'File names are 1-255 characters without slashes or control characters.';
comment on constraint ticket_attachments_mime_type_allowed on public.ticket_attachments is 'The types the ticket-attachments bucket accepts.';
comment on constraint ticket_attachments_size_limit on public.ticket_attachments is 'The ticket-attachments bucket''s file_size_limit (10 MiB).';
comment on constraint ticket_attachments_object_path_key on public.ticket_attachments is 'One row per object; the storage policies look rows up by it.';

create index idx_ticket_attachments_ticket_id on public.ticket_attachments (ticket_id, created_at);
create index idx_ticket_attachments_comment_id on public.ticket_attachments (comment_id);
create index idx_ticket_attachments_client_id on public.ticket_attachments (client_id);
-- The policies filter on is_internal too; the project indexes every column a policy reads.
create index idx_ticket_attachments_is_internal on public.ticket_attachments (is_internal, client_id);
create index idx_ticket_attachments_uploaded_by on public.ticket_attachments (uploaded_by);

alter table public.ticket_attachments enable row level security;

create policy ticket_attachments_select on public.ticket_attachments for select to authenticated
  using (
    (select private.is_admin())
    or (client_id in (select private.my_client_ids()) and not is_internal)
  );
comment on policy ticket_attachments_select on public.ticket_attachments is 'Whoever reads the ticket (or the comment) reads its files: members the non-internal ones of their clients, admins all.';

create policy ticket_attachments_insert on public.ticket_attachments for insert to authenticated
  with check (
    uploaded_by = (select auth.uid())
    and (
      (select private.is_admin())
      or (client_id in (select private.my_client_ids()) and not is_internal)
    )
  );
comment on policy ticket_attachments_insert on public.ticket_attachments is 'Members attach files to their clients'' tickets and public comments as themselves; admins anywhere, internal too.';

-- Attachments are part of the record, like comments: no edits, no deletions through the API
-- (deleting the ticket removes them).
revoke all on public.ticket_attachments from anon, authenticated;
grant select on public.ticket_attachments to authenticated;
grant insert (ticket_id, comment_id, is_internal, file_name, mime_type, size_bytes)
  on public.ticket_attachments to authenticated;

create or replace function private.set_ticket_attachment_scope()
returns trigger
language plpgsql
-- invoker: the ticket and the comment must be visible to the caller, so attaching to another
-- client's ticket or to an internal note a member cannot read fails as "not found".
set search_path = ''
as $$
declare
  comment_ticket uuid;
  comment_internal boolean;
begin
  select t.client_id into new.client_id from public.support_tickets t where t.id = new.ticket_id;
  if not found then
    raise exception 'Ticket not found' using errcode = 'MS404', hint = 'ticket_not_found';
  end if;
  if new.comment_id is not null then
    select c.ticket_id, c.is_internal into comment_ticket, comment_internal
    from public.ticket_comments c where c.id = new.comment_id;
    if not found then
      raise exception 'Comment not found' using errcode = 'MS404', hint = 'comment_not_found';
    end if;
    if comment_ticket <> new.ticket_id then
      raise exception 'The comment belongs to another ticket'
        using errcode = 'MS422', hint = 'comment_not_on_ticket',
          detail = json_build_object('field', 'comment_id')::text;
    end if;
    -- An internal note's files are as internal as the note.
    new.is_internal := comment_internal;
  end if;
  return new;
end
$$;
comment on function private.set_ticket_attachment_scope() is 'BEFORE INSERT on ticket_attachments: client_id from the ticket, is_internal from the comment (404 if the caller cannot see either).';
revoke all on function private.set_ticket_attachment_scope() from public;

create trigger set_ticket_attachment_scope before insert on public.ticket_attachments
  for each row execute function private.set_ticket_attachment_scope();
comment on trigger set_ticket_attachment_scope on public.ticket_attachments is 'client_id and internal-ness always come from the ticket and comment.';

create or replace function private.limit_ticket_attachments()
returns trigger
language plpgsql
-- definer: the limit counts every file of the ticket, internal ones included.
security definer
set search_path = ''
as $$
begin
  -- Serialise attachments per ticket so two concurrent inserts cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtextextended('ticket_attachments:' || new.ticket_id::text, 0));
  if (select count(*) from public.ticket_attachments a where a.ticket_id = new.ticket_id) >= 20 then
    raise exception 'A ticket has at most 20 attachments'
      using errcode = 'MS422', hint = 'too_many_attachments',
        detail = json_build_object('limit', 20)::text;
  end if;
  return new;
end
$$;
comment on function private.limit_ticket_attachments() is 'BEFORE INSERT on ticket_attachments: at most 20 files per ticket (MS422 too_many_attachments).';
revoke all on function private.limit_ticket_attachments() from public;

-- Named after set_ticket_attachment_scope so a ticket the caller cannot see is a 404 first.
create trigger ticket_attachments_limit before insert on public.ticket_attachments
  for each row execute function private.limit_ticket_attachments();
comment on trigger ticket_attachments_limit on public.ticket_attachments is 'At most 20 attachments per ticket, for every writer.';

-- Storage policies, created the way the workflow-results ones are: storage.objects belongs to
-- supabase_storage_admin, and on hosted Supabase postgres may create policies on it but not
-- comment on them, so they are documented here.
--
-- ticket_attachments_objects_select: an object is readable by whoever can read its
-- ticket_attachments row (the subquery runs under that table's RLS, so internal files stay
-- with admins and a moved ticket's files with its new client). Admins also see objects whose
-- row is gone (a deleted ticket's leftovers), so they can remove them.
create policy ticket_attachments_objects_select on storage.objects for select to authenticated
  using (
    bucket_id = 'ticket-attachments'
    and (
      (select private.is_admin())
      or exists (
        select 1 from public.ticket_attachments a where a.object_path = objects.name
      )
    )
  );

-- ticket_attachments_objects_insert: the bytes of a registered attachment may be uploaded
-- once, by the user who registered it, while they can still see the row. Storage checks this
-- when a signed upload URL is made (and on direct uploads); no UPDATE policy, so a file is
-- never replaced.
create policy ticket_attachments_objects_insert on storage.objects for insert to authenticated
  with check (
    bucket_id = 'ticket-attachments'
    and exists (
      select 1 from public.ticket_attachments a
      where a.object_path = objects.name and a.uploaded_by = (select auth.uid())
    )
  );

-- ticket_attachments_objects_delete: only admins remove files (deleting a ticket).
create policy ticket_attachments_objects_delete on storage.objects for delete to authenticated
  using (bucket_id = 'ticket-attachments' and (select private.is_admin()));
