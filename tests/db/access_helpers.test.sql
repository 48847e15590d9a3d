-- The private RLS helpers answer per caller, and the test helpers really switch identity:
-- these assertions run while the role is authenticated / anon / service_role.
begin;
set local search_path = public, extensions;
select plan(21);

select tests.create_rls_fixtures();

select tests.authenticate_as('admin@rls.test');
select is(current_user::text, 'authenticated', 'authenticate_as switches to role authenticated');
select is(auth.uid(), tests.fx('admin'), 'authenticate_as sets the sub claim');
select is((select private.is_admin()), true, 'is_admin: true for an active admin');
select is(array(select private.my_client_ids()), '{}'::uuid[], 'my_client_ids: admin is a member of nothing');

select tests.authenticate_as('owner-a@rls.test');
select is(auth.uid(), tests.fx('owner_a'), 'authenticate_as replaces the previous identity');
select is((select private.is_admin()), false, 'is_admin: false for a client owner');
select is(array(select private.my_client_ids()), array[tests.fx('client_a')], 'my_client_ids: owner A is in A');
select is(array(select private.my_owned_client_ids()), array[tests.fx('client_a')], 'my_owned_client_ids: owner A owns A');

select tests.authenticate_as('collab-a@rls.test');
select is(array(select private.my_client_ids()), array[tests.fx('client_a')], 'my_client_ids: collaborator A is in A');
select is(array(select private.my_owned_client_ids()), '{}'::uuid[], 'my_owned_client_ids: collaborator owns nothing');

select tests.authenticate_as('owner-b@rls.test');
select is(array(select private.my_owned_client_ids()), array[tests.fx('client_b')], 'my_owned_client_ids: owner B owns B');

select tests.authenticate_as('loner@rls.test');
select is((select private.is_admin()), false, 'is_admin: false without membership');
select is(array(select private.my_client_ids()), '{}'::uuid[], 'my_client_ids: empty without membership');

select tests.clear_authentication();
select is(current_user::text, 'postgres', 'clear_authentication returns to postgres');
select is(auth.uid(), null, 'clear_authentication drops the claims');

select tests.authenticate_as_anon();
select is(current_user::text, 'anon', 'authenticate_as_anon switches to role anon');
select is(auth.uid(), null, 'anon has no user id');
select throws_ok('select private.is_admin()', '42501', null, 'anon cannot execute private.is_admin()');

select tests.authenticate_as_service_role();
select is(current_user::text, 'service_role', 'authenticate_as_service_role switches to role service_role');
select is(auth.role(), 'service_role', 'service_role claims are set');

select tests.clear_authentication();
select throws_ok($$select tests.authenticate_as('nobody@rls.test')$$, 'P0001', null, 'authenticate_as refuses an unknown e-mail');

select * from finish();
rollback;
