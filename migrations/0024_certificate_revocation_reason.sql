-- Why a signing certificate was revoked, as its CRL entry states it (RFC 5280 §5.3.1):
-- superseded when a newer certificate replaced it (renamed user, another OPD, a new profile),
-- cessationOfOperation when the user was deactivated, keyCompromise when a key is known lost.
-- Set together with revoked_at; the revoke-only trigger keeps both unchangeable afterwards.
-- Rows revoked before this migration have no reason (their CRL entries carry none).
ALTER TABLE user_certificates ADD COLUMN revocation_reason text
  CHECK (revocation_reason IN ('superseded', 'cessationOfOperation', 'keyCompromise', 'affiliationChanged'));
ALTER TABLE user_certificates ADD CONSTRAINT user_certificates_reason_when_revoked
  CHECK (revocation_reason IS NULL OR revoked_at IS NOT NULL);

-- Auditors read certificates column by column (0021): the reason is a fact, not a secret.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT (revocation_reason) ON user_certificates TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: grant to grms_audit_reader skipped (insufficient privilege); ask the DBA to apply migrations/0024_certificate_revocation_reason.sql';
END $$;
