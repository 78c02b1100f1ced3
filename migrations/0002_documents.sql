-- Signed PDF documents, their numbers, and the certificates users sign with.
-- A document is produced by one audited transition and never changes afterwards.

-- Signing certificates issued by the deployment CA (private key encrypted with GRMS_KEY) or read
-- from a configured PKCS#12 (private_key NULL: the key stays in the file).
CREATE TABLE user_certificates (
  id           bigserial PRIMARY KEY,
  username     text NOT NULL REFERENCES users (username),
  serial       text NOT NULL CHECK (serial ~ '^[0-9a-f]+$'),  -- lower-case hex, no leading zero octets
  certificate  text NOT NULL,                                 -- PEM
  private_key  text,                                          -- AES-256-GCM envelope, see src/auth/secrets.ts
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
-- One active certificate per user, even when two processes issue at once (the loser re-reads).
CREATE UNIQUE INDEX user_certificates_one_active ON user_certificates (username) WHERE revoked_at IS NULL;
CREATE INDEX user_certificates_serial ON user_certificates (serial);

-- A certificate row may only be revoked, once; nothing else about it changes.
CREATE FUNCTION user_certificates_revoke_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
     OR (NEW.id, NEW.username, NEW.serial, NEW.certificate, NEW.private_key, NEW.created_at)
        IS DISTINCT FROM (OLD.id, OLD.username, OLD.serial, OLD.certificate, OLD.private_key, OLD.created_at) THEN
    RAISE EXCEPTION 'user_certificates rows can only be revoked (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER user_certificates_guard BEFORE UPDATE OR DELETE ON user_certificates
  FOR EACH ROW EXECUTE FUNCTION user_certificates_revoke_only();

-- Document numbers come from one sequence per OPD and year, created on first use (see
-- src/documents/numbers.ts); this table says which sequence serves which OPD and year.
CREATE TABLE document_number_sequences (
  org_id         text NOT NULL REFERENCES orgs (id),
  year           integer NOT NULL,
  sequence_name  text NOT NULL UNIQUE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, year)
);

-- A number taken by an attempt that then failed: recorded, never given out again.
CREATE TABLE void_document_numbers (
  number      text PRIMARY KEY,
  org         text NOT NULL,      -- the OPD code inside the number
  year        integer NOT NULL,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),  -- random: it is printed in the QR code
  instance_id      uuid NOT NULL REFERENCES workflow_instances (id),
  seq              integer NOT NULL,                             -- audit seq of the producing transition
  workflow         text NOT NULL,
  event            text NOT NULL,
  stage            text NOT NULL,                                -- the state the event left
  number           text NOT NULL UNIQUE,
  title            text NOT NULL,
  signer_username  text REFERENCES users (username),             -- NULL when the deployment seal signed
  signer_name      text NOT NULL,
  sha256           text NOT NULL UNIQUE,
  bytes            bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT documents_sha256_matches CHECK (sha256 = encode(sha256(bytes), 'hex')),
  -- (No foreign key to audit_events: it would let TRUNCATE audit_events fail on the key before the
  -- append-only trigger speaks. The link is audit_events.document_sha256 below.)
  CONSTRAINT documents_one_per_transition UNIQUE (instance_id, seq)
);

CREATE FUNCTION documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is immutable (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER documents_no_update BEFORE UPDATE OR DELETE ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_immutable();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
  FOR EACH STATEMENT EXECUTE FUNCTION documents_immutable();
CREATE TRIGGER void_document_numbers_no_update BEFORE UPDATE OR DELETE ON void_document_numbers
  FOR EACH ROW EXECUTE FUNCTION documents_immutable();

-- A number is either on a document or void, never both.
CREATE FUNCTION documents_number_not_void() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'documents' AND EXISTS (SELECT 1 FROM void_document_numbers v WHERE v.number = NEW.number) THEN
    RAISE EXCEPTION 'document number % was voided', NEW.number USING ERRCODE = 'unique_violation';
  END IF;
  IF TG_TABLE_NAME = 'void_document_numbers' AND EXISTS (SELECT 1 FROM documents d WHERE d.number = NEW.number) THEN
    RAISE EXCEPTION 'document number % is on a document', NEW.number USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER documents_number_check BEFORE INSERT ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_number_not_void();
CREATE TRIGGER void_document_numbers_check BEFORE INSERT ON void_document_numbers
  FOR EACH ROW EXECUTE FUNCTION documents_number_not_void();

-- The audit row of a transition that produced a document names it. Deferred: the engine writes the
-- audit row and the document in one transaction, in either order. Nullable, so rows written
-- before this migration hash exactly as before (the chain hashes non-null columns only).
ALTER TABLE audit_events ADD COLUMN document_sha256 text REFERENCES documents (sha256) DEFERRABLE INITIALLY DEFERRED;
