-- What hosted's pg_net access event trigger does for pg_net 0.12 and later: the API roles and
-- postgres may use schema net; the functions keep pg_net's default EXECUTE to PUBLIC.
grant usage on schema net to postgres, anon, authenticated, service_role;
