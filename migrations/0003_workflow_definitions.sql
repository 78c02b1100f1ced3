-- Every workflow version this deployment has run, with a hash of what defines its behaviour
-- (machine, guard and action source, steps, creator roles, data schema; see
-- src/engine/definition-hash.ts). Start-up compares the code's hash with the stored one and refuses
-- a version that was edited in place: instances keep the version they started on, so a change
-- needs a new version number.
CREATE TABLE workflow_definitions (
  workflow       text NOT NULL,
  version        integer NOT NULL CHECK (version >= 1),
  hash           text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  registered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow, version)
);
