-- The regional budget nomenclature (Permendagri 90/2019 and the decrees that update it): the
-- names of urusan, bidang urusan, program, kegiatan, sub kegiatan and accounts (kode rekening),
-- per fiscal year, since codes change by decree. Loaded by an admin CSV import (API and CLI, one
-- transaction per file); documents print a code's name from here, or the bare code when it has
-- none. Reference data, not a workflow's: any workflow printing these codes reads it.
CREATE TABLE nomenclature (
  fiscal_year integer NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
  kind text NOT NULL CHECK (kind IN ('urusan', 'bidang', 'program', 'kegiatan', 'sub_kegiatan', 'akun')),
  code text NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (fiscal_year, kind, code)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grms_audit_reader') THEN
    GRANT SELECT ON nomenclature TO grms_audit_reader;
  END IF;
END $$;
