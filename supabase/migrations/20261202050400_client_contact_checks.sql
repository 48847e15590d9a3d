-- Clients are now created and edited through the API (and reachable through PostgREST as
-- public.create_client / clients updates), so the table itself refuses what the functions'
-- validation refuses: a blank or oversized name, and a contact e-mail that is not one address.
alter table public.clients
  add constraint clients_name_check check (length(btrim(name)) between 1 and 200),
  add constraint clients_company_name_check check (company_name is null or length(btrim(company_name)) between 1 and 200),
  add constraint clients_email_check check (length(email) <= 320 and email ~ '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+\.[^@[:space:][:cntrl:]]+$');
comment on constraint clients_name_check on public.clients is 'A client has a name people can read: 1-200 characters, not only spaces.';
comment on constraint clients_company_name_check on public.clients is 'The company name, when given, is 1-200 visible characters.';
comment on constraint clients_email_check on public.clients is 'The contact e-mail is one address: no spaces, control characters (CR/LF) or second @.';
