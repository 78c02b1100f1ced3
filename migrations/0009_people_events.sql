-- Changes to people (officials move: mutasi): who was created, given or stripped of a role,
-- deactivated, by whom. Append-only and hash-chained like audit_events, as one chain.
CREATE TABLE people_events (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  action      text NOT NULL,          -- create_user | grant_role | remove_role | deactivate
  username    text NOT NULL REFERENCES users (username),
  role        text,
  org_id      text,
  details     text,
  actor       text NOT NULL,
  created_at  timestamptz NOT NULL,
  prev_hash   text,
  hash        text NOT NULL
);
CREATE INDEX people_events_username ON people_events (username, seq);
CREATE TRIGGER people_events_no_update BEFORE UPDATE OR DELETE ON people_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER people_events_no_truncate BEFORE TRUNCATE ON people_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON people_events TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT ON people_events TO grms_audit_reader skipped (insufficient privilege)';
END $$;
