-- Changes to organisations (OPDs and suppliers): created, renamed, code or NPWP changed, by whom.
-- The id and kind never change (instances, roles and numbers refer to them). Append-only and
-- hash-chained as one chain, like people_events.
CREATE TABLE org_events (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  action      text NOT NULL,          -- create_org | update_org
  org_id      text NOT NULL REFERENCES orgs (id),
  details     text NOT NULL,          -- canonical JSON of the values set
  actor       text NOT NULL,
  created_at  timestamptz NOT NULL,
  prev_hash   text,
  hash        text NOT NULL
);
CREATE INDEX org_events_org ON org_events (org_id, seq);
CREATE TRIGGER org_events_no_update BEFORE UPDATE OR DELETE ON org_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER org_events_no_truncate BEFORE TRUNCATE ON org_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON org_events TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT ON org_events TO grms_audit_reader skipped (insufficient privilege)';
END $$;
