-- Fixes that apply to the running instances of a workflow version. A change to a version's rules
-- normally gets a new version number (instances keep the version they started on), and start-up
-- refuses a version edited in place (0003_workflow_definitions.sql). A security or correctness fix
-- must reach the running instances as well: the migration that ships it records here the hash it
-- replaces, the hash of the fixed definition and why. At start-up a stored hash from which a chain
-- of fixes leads to the code's hash is replaced by it (src/engine/definition-hash.ts, applied_at
-- says when); any other change is still refused.
CREATE TABLE workflow_definition_fixes (
  workflow       text NOT NULL,
  version        integer NOT NULL CHECK (version >= 1),
  previous_hash  text NOT NULL CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
  hash           text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  reason         text NOT NULL CHECK (length(reason) >= 20),
  migration      text NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  -- When this deployment's stored hash was moved from previous_hash to hash (null: it never ran
  -- the version before the fix).
  applied_at     timestamptz,
  PRIMARY KEY (workflow, version, previous_hash),
  CHECK (hash <> previous_hash)
);
