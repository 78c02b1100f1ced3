-- Document numbers from the issuing office's registers, per office, year and document kind, in a
-- configurable format (src/documents/numbers.ts, README "Document numbers").
--
-- The unit code an office prints in its numbers (kode unit pengolah, e.g. BPKAD). Not orgs.code:
-- that is the Kemendagri organisation code (1.03.0.00.0.00.01.0000), which OCDS and the DPA print.
-- Existing organisations get the unit code their numbers already carried (the id in capitals), so
-- numbering goes on as before; an organisation made later has none until an admin sets one, and a
-- document it would issue is refused until then. Every later change is recorded in org_events.
ALTER TABLE orgs ADD COLUMN unit_code text CHECK (unit_code ~ '^[A-Za-z0-9][A-Za-z0-9.-]{0,39}$');
UPDATE orgs SET unit_code = upper(id) WHERE upper(id) ~ '^[A-Z0-9][A-Z0-9.-]{0,39}$';

-- A register is one office, year and kind. The sequences made before this migration served every
-- kind of an office and year: they become the default register ('umum') and go on counting, and
-- they are marked `legacy` so a register of another kind opened for the same office and year starts
-- after the number the legacy one had reached (start_value): a number printed before the upgrade is
-- never printed again by a new register.
ALTER TABLE document_number_sequences
  ADD COLUMN kind text NOT NULL DEFAULT 'umum' CHECK (kind ~ '^[a-z][a-z0-9-]{0,39}$'),
  ADD COLUMN legacy boolean NOT NULL DEFAULT false,
  ADD COLUMN start_value bigint NOT NULL DEFAULT 1 CHECK (start_value >= 1);
UPDATE document_number_sequences SET legacy = true;
ALTER TABLE document_number_sequences DROP CONSTRAINT document_number_sequences_pkey;
ALTER TABLE document_number_sequences ADD PRIMARY KEY (org_id, year, kind);
ALTER TABLE document_number_sequences ALTER COLUMN kind DROP DEFAULT;

-- The parts of each number, stored with it instead of parsed back from the printed text (format
-- version 2). Rows written before have none (version NULL = format 1, the fixed form
-- <classification>/<seq>/<unit>/<year>, read by parsing). A number a workflow stamped (e.g. a
-- permit number) names its office and year but no register: kind, seq and format are NULL.
ALTER TABLE documents
  ADD COLUMN number_format_version smallint CHECK (number_format_version = 2),
  ADD COLUMN number_org text REFERENCES orgs (id),
  ADD COLUMN number_year integer CHECK (number_year BETWEEN 1000 AND 9999),
  ADD COLUMN number_kind text,
  ADD COLUMN number_seq bigint CHECK (number_seq >= 1),
  ADD COLUMN number_classification text,
  ADD COLUMN number_unit text,
  ADD COLUMN number_format text,
  ADD CONSTRAINT documents_number_parts CHECK (
    (number_format_version IS NULL AND number_org IS NULL AND number_year IS NULL AND number_kind IS NULL AND number_seq IS NULL
      AND number_classification IS NULL AND number_unit IS NULL AND number_format IS NULL)
    OR (number_format_version = 2 AND number_org IS NOT NULL AND number_year IS NOT NULL
      AND (number_kind IS NULL) = (number_seq IS NULL) AND (number_kind IS NULL) = (number_format IS NULL)));
ALTER TABLE void_document_numbers
  ADD COLUMN number_format_version smallint CHECK (number_format_version = 2),
  ADD COLUMN number_org text REFERENCES orgs (id),
  ADD COLUMN number_kind text,
  ADD COLUMN number_seq bigint CHECK (number_seq >= 1),
  ADD COLUMN number_classification text,
  ADD COLUMN number_unit text,
  ADD COLUMN number_format text,
  ADD CONSTRAINT void_document_numbers_parts CHECK (
    (number_format_version IS NULL AND number_org IS NULL AND number_kind IS NULL AND number_seq IS NULL
      AND number_classification IS NULL AND number_unit IS NULL AND number_format IS NULL)
    OR (number_format_version = 2 AND number_org IS NOT NULL
      AND (number_kind IS NULL) = (number_seq IS NULL) AND (number_kind IS NULL) = (number_format IS NULL)));
-- One place in a register is one number, on a document or void.
CREATE UNIQUE INDEX documents_number_register ON documents (number_org, number_year, number_kind, number_seq) WHERE number_kind IS NOT NULL;
CREATE UNIQUE INDEX void_document_numbers_register ON void_document_numbers (number_org, year, number_kind, number_seq) WHERE number_kind IS NOT NULL;
