-- Users' signing keys in the PKCS#11 token (GRMS_PKCS11_USER_KEYS): the key pair of such a
-- certificate is generated inside the token and never leaves it, so the row stores no key, only
-- where the key is: its CKA_ID in the deployment's token (GRMS_PKCS11_*), lower-case hex, which
-- grms sets to the certificate's serial. A row has its key in one place at most: encrypted in
-- private_key (issued by grms with a file key), in the token (token_key_id), or neither (read
-- from a configured PKCS#12 file). Rows made before stay as they are (token_key_id NULL).
ALTER TABLE user_certificates ADD COLUMN token_key_id text
  CHECK (token_key_id ~ '^([0-9a-f]{2}){1,64}$');
ALTER TABLE user_certificates ADD CONSTRAINT user_certificates_one_key_place
  CHECK (token_key_id IS NULL OR private_key IS NULL);

-- The row stays revoke-only: the key's place is as unchangeable as the key.
CREATE OR REPLACE FUNCTION user_certificates_revoke_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
     OR (NEW.id, NEW.username, NEW.serial, NEW.certificate, NEW.private_key, NEW.created_at, NEW.token_key_id)
        IS DISTINCT FROM (OLD.id, OLD.username, OLD.serial, OLD.certificate, OLD.private_key, OLD.created_at, OLD.token_key_id) THEN
    RAISE EXCEPTION 'user_certificates rows can only be revoked (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

-- Auditors read certificates column by column (0021): where a key is kept is a fact, not a secret.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT (token_key_id) ON user_certificates TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: grant to grms_audit_reader skipped (insufficient privilege); ask the DBA to apply migrations/0050_user_keys_in_token.sql';
END $$;
