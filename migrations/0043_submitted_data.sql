-- The data an instance held each time it was submitted (a step whose facts say `submits`), so that
-- reviewers see what changed since the previous submission after a return (the console's diff).
-- The audit trail keeps only digests of data; this keeps the data itself, one row per submitting
-- audit row, written in the transition's transaction. Instances submitted before this migration
-- have no rows for those submissions: their first diff appears after two submissions made since.
-- seq is the submitting audit row's; no foreign key to audit_events, so that a TRUNCATE of the audit
-- trail is refused by its append-only trigger, as before, not by a reference (attachments likewise).
CREATE TABLE submitted_data (
  instance_id  uuid NOT NULL REFERENCES workflow_instances (id),
  seq          integer NOT NULL CHECK (seq >= 1),
  data         jsonb NOT NULL,
  PRIMARY KEY (instance_id, seq)
);
CREATE TRIGGER submitted_data_no_update BEFORE UPDATE OR DELETE ON submitted_data
  FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER submitted_data_no_truncate BEFORE TRUNCATE ON submitted_data
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON submitted_data TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT ON submitted_data TO grms_audit_reader skipped (insufficient privilege)';
END $$;
