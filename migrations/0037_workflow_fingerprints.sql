-- Workflow versions are registered by a fingerprint of their source files (the version's file and
-- what it imports inside its package and schema folder; src/engine/fingerprint.ts) instead of a
-- hash of their compiled behaviour, which depended on how the code was compiled.
--
-- form says which of the two a row of workflow_definitions holds: rows written before this
-- migration hold a 'definition-hash'. At the next start such a row is accepted only when its hash,
-- after following workflow_definition_fixes, is one a grms release had for that version (listed
-- below); the row is then registered again with the version's fingerprint (form 'fingerprint').
-- A definition hash nobody released means the code was changed in place: that start is refused.
ALTER TABLE workflow_definitions ADD COLUMN form text NOT NULL DEFAULT 'definition-hash'
  CHECK (form IN ('definition-hash', 'fingerprint'));
-- From now on every registration says its form.
ALTER TABLE workflow_definitions ALTER COLUMN form DROP DEFAULT;

-- The definition hashes of the workflow versions grms released before fingerprints.
CREATE TABLE workflow_released_hashes (
  workflow  text NOT NULL,
  version   integer NOT NULL CHECK (version >= 1),
  hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (workflow, version, hash)
);
INSERT INTO workflow_released_hashes (workflow, version, hash) VALUES
  ('budget-proposal', 1, '08583ec75083858c50a91406a1db709b1fbb9dd15f66ccaed07efb6d2d43a970'),
  ('permit', 1, 'cf99ae1d0119aae898ca676342065b2a62fb69af9a204fcfb3b729d11df09b3e'),
  ('procurement-delivery', 1, '3e129d4df2a59c8aa059242be1fbf7ba09ba4e2926d3ad151a3785e871aa223c');

-- The auditor reads it beside workflow_definitions (the role may be missing where grms could not create it).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON workflow_released_hashes TO grms_audit_reader;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE NOTICE 'grms: grant to grms_audit_reader not made (insufficient privilege); ask the DBA to apply migrations/0037_workflow_fingerprints.sql';
END $$;
