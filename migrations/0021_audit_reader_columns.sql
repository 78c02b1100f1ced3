-- grms_audit_reader (0007) read every column of users, so since 0012 it read password hashes.
-- An auditor needs the trail and what explains it, never what lets anyone sign in, sign or
-- replay: tables that hold a secret are granted column by column (a column added later stays
-- unreadable until a migration grants it), and tables that are nothing but secrets or request
-- state are not granted at all. Grants are per database and the role is cluster-wide: this only
-- changes grants, so it runs in every database of the cluster without colliding, and it does
-- nothing where the role does not exist (0007 could not create it).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    RAISE NOTICE 'grms: role grms_audit_reader does not exist; after a DBA creates it, apply migrations/0007_audit_reader_role.sql and migrations/0018_audit_reader_columns.sql by hand';
    RETURN;
  END IF;

  -- Who did what: name, position, OPD, whether active, when the password last changed. Not
  -- password_hash, not password_must_change (a pending reset is an opening, not a fact).
  REVOKE ALL ON users FROM grms_audit_reader;
  GRANT SELECT (username, full_name, position, org_id, active, created_at, password_changed_at) ON users TO grms_audit_reader;

  -- Signers' certificates (to check a document signature by hand), never their private keys.
  REVOKE ALL ON user_certificates FROM grms_audit_reader;
  GRANT SELECT (id, username, serial, certificate, created_at, revoked_at) ON user_certificates TO grms_audit_reader;

  -- The deployment's public keys and certificates (checkpoints, seal), never the private halves.
  REVOKE ALL ON deployment_keys FROM grms_audit_reader;
  GRANT SELECT (name, algorithm, public_key, certificate, created_at) ON deployment_keys TO grms_audit_reader;

  -- Which instance a registration number names, never the PIN hash.
  REVOKE ALL ON permit_registrations FROM grms_audit_reader;
  GRANT SELECT (instance_id, registration_number, created_at) ON permit_registrations TO grms_audit_reader;

  -- Credentials and request state: token and session hashes, CSRF tokens, stored responses (a
  -- registration's response carries its PIN), failed sign-ins. Never for the auditor.
  REVOKE ALL ON api_tokens, web_sessions, idempotency_keys, auth_failures, permit_status_failures FROM grms_audit_reader;

  -- The audit trail and what explains it, whole rows (no secret in them). Re-granted so a
  -- database migrated in any order ends the same.
  GRANT SELECT ON audit_events, audit_checkpoints, people_events, org_events, workflow_instances, documents,
    attachments, delegations, orgs, user_roles, ceilings, void_document_numbers, workflow_definitions, holidays
    TO grms_audit_reader;
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events, audit_checkpoints, people_events,
    org_events, workflow_instances, documents, attachments, delegations, orgs, user_roles, ceilings,
    void_document_numbers, workflow_definitions, holidays FROM grms_audit_reader;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: grants to grms_audit_reader not changed (insufficient privilege); ask the DBA to apply migrations/0018_audit_reader_columns.sql';
END $$;
