-- Every append-only table refuses UPDATE, DELETE and TRUNCATE. Earlier migrations missed TRUNCATE on
-- some tables (a TRUNCATE fires no row trigger) and left deployment_keys unguarded. Triggers keep
-- honest code honest; they do not stop a superuser (session_replication_role = replica disables
-- them): what catches that is verification with keys the verifier pins (grms audit verify --log-key).
--
-- Allowed updates, each named here and nowhere else:
--   user_certificates          revoked_at set once (0002_documents.sql, user_certificates_revoke_only)
--   deployment_keys            private_key re-sealed once, from a "v1." envelope (no authenticated
--                              data) to a "v2." envelope bound to its row (src/auth/secrets.ts);
--                              nothing else in the row changes
--   workflow_definition_fixes  applied_at set once (src/engine/definition-hash.ts)
-- Every other guarded table allows no update at all.

CREATE FUNCTION grms_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

-- Statement-level TRUNCATE guards the earlier migrations did not add.
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER user_certificates_no_truncate BEFORE TRUNCATE ON user_certificates
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER void_document_numbers_no_truncate BEFORE TRUNCATE ON void_document_numbers
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

-- deployment_keys: the one re-seal, nothing else.
CREATE FUNCTION deployment_keys_reseal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.private_key LIKE 'v1.%' AND NEW.private_key LIKE 'v2.%'
     AND (NEW.name, NEW.algorithm, NEW.public_key, NEW.certificate, NEW.created_at)
         IS NOT DISTINCT FROM (OLD.name, OLD.algorithm, OLD.public_key, OLD.certificate, OLD.created_at) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'deployment_keys rows may only be re-sealed once, nothing else (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER deployment_keys_guard BEFORE UPDATE OR DELETE ON deployment_keys
  FOR EACH ROW EXECUTE FUNCTION deployment_keys_reseal_only();
CREATE TRIGGER deployment_keys_no_truncate BEFORE TRUNCATE ON deployment_keys
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

-- workflow_definition_fixes: applied_at set once, nothing else.
CREATE FUNCTION workflow_definition_fixes_apply_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.applied_at IS NULL AND NEW.applied_at IS NOT NULL
     AND (NEW.workflow, NEW.version, NEW.previous_hash, NEW.hash, NEW.reason, NEW.migration, NEW.recorded_at)
         IS NOT DISTINCT FROM (OLD.workflow, OLD.version, OLD.previous_hash, OLD.hash, OLD.reason, OLD.migration, OLD.recorded_at) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'workflow_definition_fixes rows may only have applied_at set, once (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER workflow_definition_fixes_guard BEFORE UPDATE OR DELETE ON workflow_definition_fixes
  FOR EACH ROW EXECUTE FUNCTION workflow_definition_fixes_apply_only();
CREATE TRIGGER workflow_definition_fixes_no_truncate BEFORE TRUNCATE ON workflow_definition_fixes
  FOR EACH STATEMENT EXECUTE FUNCTION grms_append_only();

-- Checkpoint format 2 also signs the heads of the single-chain tables (people_events, org_events):
-- {"people_events": {"seq": n, "hash": h} | null, "org_events": …}. Rows written before this
-- migration are format 1 and keep verifying as they were signed.
ALTER TABLE audit_checkpoints ADD COLUMN format smallint NOT NULL DEFAULT 1 CHECK (format IN (1, 2));
ALTER TABLE audit_checkpoints ADD COLUMN side_heads jsonb;
