-- As on hosted: postgres (with grant option) and service_role read, create, update and delete
-- secrets; nobody else. vault._decrypt plays real Vault's _crypto_aead_det_decrypt, which the
-- decrypted_secrets view calls as the reading role.
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret, vault.update_secret, vault._decrypt to postgres with grant option;

grant usage on schema vault to service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret, vault.update_secret, vault._decrypt to service_role;
