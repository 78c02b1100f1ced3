-- Delegation (Plt/Plh): a role holder, or an admin for them, hands a role to another official for
-- a date range. The delegate acts with their own certificate; documents say "Plt." and the audit
-- row names whom they acted for.
CREATE TABLE delegations (
  id          uuid PRIMARY KEY,
  delegator   text NOT NULL REFERENCES users (username),
  delegate    text NOT NULL REFERENCES users (username),
  role        text NOT NULL,
  org_id      text NOT NULL REFERENCES orgs (id),
  starts_on   date NOT NULL,
  ends_on     date NOT NULL,
  reason      text,
  created_by  text NOT NULL REFERENCES users (username),
  created_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz,
  CHECK (ends_on >= starts_on),
  CHECK (delegate <> delegator)
);
CREATE INDEX delegations_delegate ON delegations (delegate) WHERE ended_at IS NULL;

-- Nullable: rows written before it hash exactly as before.
ALTER TABLE audit_events ADD COLUMN acting_for text;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON delegations TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT ON delegations TO grms_audit_reader skipped (insufficient privilege)';
END $$;
