-- grms core schema: organisations, users, tokens, workflow instances, the audit chain.
-- Money is integer rupiah in bigint. Timestamps are timestamptz; the audit chain hashes them
-- through grms_ts() so the text form never depends on the session's TimeZone.

CREATE FUNCTION grms_ts(ts timestamptz) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

CREATE TABLE orgs (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  kind        text NOT NULL DEFAULT 'opd',   -- opd | supplier
  code        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  username    text PRIMARY KEY,
  full_name   text NOT NULL,
  position    text NOT NULL DEFAULT '',
  org_id      text NOT NULL REFERENCES orgs (id),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A role is always held at an org: OPD-scoped roles act on that org's instances only,
-- global roles (see src/auth/roles.ts) act everywhere.
CREATE TABLE user_roles (
  username    text NOT NULL REFERENCES users (username),
  role        text NOT NULL,
  org_id      text NOT NULL REFERENCES orgs (id),
  PRIMARY KEY (username, role, org_id)
);

CREATE TABLE api_tokens (
  id            bigserial PRIMARY KEY,
  token_hash    text NOT NULL UNIQUE,          -- SHA-256 hex of the bearer token; the token itself is never stored
  username      text NOT NULL REFERENCES users (username),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_tokens_username ON api_tokens (username);

-- Keys of the deployment (audit checkpoint key, document CA …); private halves encrypted with GRMS_KEY.
CREATE TABLE deployment_keys (
  name          text PRIMARY KEY,
  algorithm     text NOT NULL,
  public_key    text NOT NULL,
  private_key   text NOT NULL,                 -- AES-256-GCM envelope, see src/auth/secrets.ts
  certificate   text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Pagu: the budget ceiling TAPD sets per OPD and fiscal year.
CREATE TABLE ceilings (
  fiscal_year  integer NOT NULL,
  org_id       text NOT NULL REFERENCES orgs (id),
  amount       bigint NOT NULL CHECK (amount >= 0),
  updated_by   text NOT NULL REFERENCES users (username),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (fiscal_year, org_id)
);

CREATE TABLE workflow_instances (
  id                uuid PRIMARY KEY,
  row_no            bigserial NOT NULL UNIQUE,  -- stable order for cursors
  workflow          text NOT NULL,
  workflow_version  integer NOT NULL,
  state             text NOT NULL,
  version           integer NOT NULL,
  snapshot          jsonb NOT NULL,             -- xstate persisted snapshot
  data              jsonb NOT NULL,
  org_id            text NOT NULL REFERENCES orgs (id),
  title             text NOT NULL,
  fiscal_year       integer,
  total             bigint,
  submitters        text[] NOT NULL DEFAULT '{}', -- segregation of duties: who ever submitted
  participants      text[] NOT NULL DEFAULT '{}', -- who ever fired an event (they may read it)
  created_by        text NOT NULL REFERENCES users (username),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_instances_inbox ON workflow_instances (workflow, state, org_id, row_no);
CREATE INDEX workflow_instances_org ON workflow_instances (org_id, row_no);
CREATE INDEX workflow_instances_state ON workflow_instances (state, row_no);
CREATE INDEX workflow_instances_ceiling ON workflow_instances (org_id, fiscal_year, state);
CREATE INDEX workflow_instances_participants ON workflow_instances USING gin (participants);

-- The audit trail: one hash chain per instance. hash = SHA-256 of the JCS form of every other
-- column (nulls omitted, timestamps via grms_ts), prev_hash = the previous row's hash.
CREATE TABLE audit_events (
  instance_id     uuid NOT NULL REFERENCES workflow_instances (id),
  seq             integer NOT NULL CHECK (seq >= 1),
  event           text NOT NULL,
  from_state      text,
  to_state        text NOT NULL,
  actor           text NOT NULL,
  actor_role      text,
  comment         text,
  payload_digest  text,
  created_at      timestamptz NOT NULL,
  prev_hash       text,
  hash            text NOT NULL,
  PRIMARY KEY (instance_id, seq)
);
CREATE INDEX audit_events_created ON audit_events (created_at, instance_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Signed snapshots of every chain head, so removed instances and truncated tails are caught.
CREATE TABLE audit_checkpoints (
  id            bigserial PRIMARY KEY,
  as_of         timestamptz NOT NULL,           -- every row with created_at <= as_of is covered
  row_count     bigint NOT NULL,
  head_count    bigint NOT NULL,
  heads         jsonb NOT NULL,                 -- [{instance, seq, hash}] of chains moved since the previous checkpoint
  merkle_root   text NOT NULL,                  -- over all heads, ordered by instance
  previous_id   bigint REFERENCES audit_checkpoints (id),
  signature     text NOT NULL,                  -- Ed25519 over the canonical checkpoint, base64
  key_name      text NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- A retried request with the same key and body gets the first response back.
CREATE TABLE idempotency_keys (
  username      text NOT NULL REFERENCES users (username),
  route         text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  status        integer NOT NULL,
  response      jsonb NOT NULL,
  headers       jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (username, route, key)
);
