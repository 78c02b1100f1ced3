-- Files attached to an instance with a comment. The comment itself is an audit_events row
-- (event 'comment'), whose payload_digest covers the attachments' names, sizes and SHA-256.
CREATE TABLE attachments (
  id            uuid PRIMARY KEY,
  instance_id   uuid NOT NULL REFERENCES workflow_instances (id),
  seq           integer NOT NULL,                 -- the audit row of the comment it came with
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size          integer NOT NULL CHECK (size >= 0),
  sha256        text NOT NULL,
  bytes         bytea NOT NULL,
  uploaded_by   text NOT NULL REFERENCES users (username),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT attachments_sha256_matches CHECK (sha256 = encode(sha256(bytes), 'hex'))
);
CREATE INDEX attachments_instance ON attachments (instance_id, seq);
CREATE TRIGGER attachments_no_update BEFORE UPDATE OR DELETE ON attachments
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON attachments TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT ON attachments TO grms_audit_reader skipped (insufficient privilege)';
END $$;
