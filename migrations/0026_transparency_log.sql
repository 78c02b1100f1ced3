-- The transparency log (RFC 9162 Merkle tree, C2SP checkpoints): every row that makes the record
-- is a leaf of one append-only log per deployment. See src/audit/log/ for the code that fills it.
--
-- Sources of leaves: audit_events, people_events, org_events, ceiling_events (new, below) and
-- documents. Each source row carries
--   log_xid   the id of the transaction that wrote it. The integrator takes only rows whose
--             log_xid is below pg_snapshot_xmin(pg_current_snapshot()): every such transaction has
--             ended, so a row that commits late with a lower id is taken when it is visible, never
--             skipped. A default, so writing a row costs no extra statement.
--   log_salt  32 random hex characters: the leaf is SHA-256 of the row's canonical form WITH the
--             salt, so the public tree reveals nothing about rows one could guess (a NIK, a name).
-- Neither column is part of a row's chain hash (src/audit/log/columns.ts names them for every
-- place that reads rows by the catalog). Existing rows get the transaction id of this migration
-- and a salt of their own: the first integration takes them all.
--
-- Append-only: every table created here refuses UPDATE, DELETE and TRUNCATE, with no exception.
-- The allowed updates of earlier tables stay as named in 0023_append_only_everywhere.sql and
-- 0025_ca_root_reissue.sql. Triggers keep honest code honest; what stops a dishonest operator are
-- the witnesses that cosign the log's checkpoints.

-- Ceilings (pagu) are set in place in `ceilings`; this side chain records every change, one chain
-- for the table like org_events (hash = SHA-256 of the JCS of the other columns, nulls omitted).
CREATE TABLE ceiling_events (
  seq          bigint PRIMARY KEY CHECK (seq >= 1),
  action       text NOT NULL,        -- set_ceiling | baseline (a ceiling that existed before this chain)
  fiscal_year  integer NOT NULL,
  org_id       text NOT NULL REFERENCES orgs (id),
  amount       bigint NOT NULL CHECK (amount >= 0),
  actor        text NOT NULL,
  created_at   timestamptz NOT NULL,
  prev_hash    text,
  hash         text NOT NULL
);
CREATE INDEX ceiling_events_ceiling ON ceiling_events (fiscal_year, org_id, seq);
CREATE TRIGGER ceiling_events_no_update BEFORE UPDATE OR DELETE ON ceiling_events
  FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER ceiling_events_no_truncate BEFORE TRUNCATE ON ceiling_events
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

-- The log columns. A volatile default rewrites each table once, with a salt per row; no row
-- trigger fires (this is not an UPDATE).
ALTER TABLE audit_events
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN log_salt text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');
ALTER TABLE people_events
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN log_salt text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');
ALTER TABLE org_events
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN log_salt text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');
ALTER TABLE ceiling_events
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN log_salt text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');
ALTER TABLE documents
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN log_salt text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');

-- The integrator pages each source in leaf order (log_xid, created_at, the row's key): these
-- indexes serve that order and the log_xid range alike.
CREATE INDEX audit_events_log ON audit_events (log_xid, created_at, instance_id, seq);
CREATE INDEX people_events_log ON people_events (log_xid, created_at, seq);
CREATE INDEX org_events_log ON org_events (log_xid, created_at, seq);
CREATE INDEX ceiling_events_log ON ceiling_events (log_xid, created_at, seq);
CREATE INDEX documents_log ON documents (log_xid, created_at, id);

-- Instance binding: each audit row records the instance as that row leaves it (version, OPD and
-- SHA-256 of the JCS of its business columns, src/audit/instance-digest.ts), so the live
-- workflow_instances row can be checked against its last leaf. Part of the row hash; null (and so
-- omitted from the hash) on rows written before this migration.
ALTER TABLE audit_events
  ADD COLUMN instance_version integer,
  ADD COLUMN instance_org text,
  ADD COLUMN instance_digest text;

-- Leaves in log order. source_key names the row: audit_events "<instance_id>/<seq>", the side
-- chains "<seq>", documents "<id>". A row is a leaf at most once.
CREATE TABLE log_leaves (
  idx         bigint PRIMARY KEY CHECK (idx >= 0),
  source      text NOT NULL CHECK (source IN ('audit_events', 'people_events', 'org_events', 'ceiling_events', 'documents')),
  source_key  text NOT NULL,
  leaf_hash   bytea NOT NULL CHECK (length(leaf_hash) = 32),
  UNIQUE (source, source_key)
);

-- Complete subtrees of two or more leaves: the node over leaves [idx·2^level, (idx+1)·2^level).
-- With the leaves these answer every root and proof without rehashing (src/audit/log/nodes.ts).
CREATE TABLE log_nodes (
  level  smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx    bigint NOT NULL CHECK (idx >= 0),
  hash   bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- One row per integration that added leaves: every source row with log_xid < watermark is a leaf
-- of the tree of `size` leaves (those with from_xid <= log_xid < watermark were added by it).
CREATE TABLE log_integrations (
  size           bigint PRIMARY KEY CHECK (size >= 1),
  previous_size  bigint NOT NULL CHECK (previous_size >= 0 AND previous_size < size),
  from_xid       xid8 NOT NULL,
  watermark      xid8 NOT NULL CHECK (watermark > from_xid),
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Signed tree heads, as C2SP signed notes (origin, size, base64 root, the log's signature line).
CREATE TABLE log_checkpoints (
  size        bigint PRIMARY KEY CHECK (size >= 0),
  root        bytea NOT NULL CHECK (length(root) = 32),
  note        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Cosignatures the witnesses returned (verified before they are stored): one line per witness
-- and checkpoint, published with the checkpoint.
CREATE TABLE log_cosignatures (
  size        bigint NOT NULL REFERENCES log_checkpoints (size),
  witness     text NOT NULL,         -- the witness key's name
  signature   text NOT NULL,         -- the note signature line, "— <name> <base64>"
  signed_at   bigint NOT NULL,       -- the cosignature's timestamp (seconds since the epoch)
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (size, witness)
);

-- What a witness told us that we must not ignore. Fatal: a witness cosigned a larger tree than the
-- database holds (a wiped or rolled-back database): checkpointing stops while the tree is smaller.
CREATE TABLE log_alarms (
  id             bigserial PRIMARY KEY,
  kind           text NOT NULL,      -- witness-ahead | witness-refused
  witness        text,
  fatal          boolean NOT NULL,
  tree_size      bigint NOT NULL,    -- our tree when it happened
  reported_size  bigint,             -- the size the witness reported
  detail         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER log_leaves_no_update BEFORE UPDATE OR DELETE ON log_leaves FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_nodes_no_update BEFORE UPDATE OR DELETE ON log_nodes FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON log_nodes FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_integrations_no_update BEFORE UPDATE OR DELETE ON log_integrations FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_integrations_no_truncate BEFORE TRUNCATE ON log_integrations FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE OR DELETE ON log_checkpoints FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_cosignatures_no_update BEFORE UPDATE OR DELETE ON log_cosignatures FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_cosignatures_no_truncate BEFORE TRUNCATE ON log_cosignatures FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_alarms_no_update BEFORE UPDATE OR DELETE ON log_alarms FOR EACH ROW EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER log_alarms_no_truncate BEFORE TRUNCATE ON log_alarms FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

-- Auditors read the new chain and the whole log (salts included: they may read the rows anyway).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON ceiling_events, log_leaves, log_nodes, log_integrations, log_checkpoints, log_cosignatures, log_alarms
      TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: GRANT SELECT on the log tables TO grms_audit_reader skipped (insufficient privilege)';
END $$;
