-- A read-only role for auditors with SQL access (Inspektorat, BPK): NOLOGIN, to be granted to
-- real logins by the DBA (GRANT grms_audit_reader TO some_login). Roles are cluster-wide, so this
-- is idempotent; where the migrating user may not create roles it says so and goes on.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    BEGIN
      CREATE ROLE grms_audit_reader NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL; -- another database on this cluster created it at the same moment
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'grms: role grms_audit_reader not created (no CREATEROLE); a DBA can run: CREATE ROLE grms_audit_reader NOLOGIN; then re-grant as in migrations/0007_audit_reader_role.sql';
        RETURN;
    END;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO grms_audit_reader', current_schema());
  GRANT SELECT ON audit_events, audit_checkpoints, workflow_instances, documents, orgs, users,
    user_roles, ceilings, void_document_numbers, deployment_keys TO grms_audit_reader;
  -- Private keys stay unreadable even to auditors: only the public columns of deployment_keys.
  REVOKE SELECT ON deployment_keys FROM grms_audit_reader;
  GRANT SELECT (name, algorithm, public_key, certificate, created_at) ON deployment_keys TO grms_audit_reader;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: grants to grms_audit_reader skipped (insufficient privilege); ask the DBA to apply migrations/0007_audit_reader_role.sql';
END $$;
