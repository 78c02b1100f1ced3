-- Instances created without an account (a workflow package's publicIntake) are created by the
-- public pseudo-actor '@public' (src/auth/roles.ts PUBLIC_ACTOR), which is no row of users: a user
-- name always starts with a letter or digit, so no account can ever be that creator. The creator
-- is therefore a user or '@public', checked here instead of by the foreign key.
ALTER TABLE workflow_instances DROP CONSTRAINT workflow_instances_created_by_fkey;
CREATE FUNCTION grms_known_creator() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.created_by <> '@public' AND NOT EXISTS (SELECT 1 FROM users WHERE username = NEW.created_by) THEN
    RAISE EXCEPTION 'workflow_instances.created_by % is neither a user nor @public', NEW.created_by
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER workflow_instances_known_creator BEFORE INSERT OR UPDATE OF created_by ON workflow_instances
  FOR EACH ROW EXECUTE FUNCTION grms_known_creator();

-- The console's public form (src/web/pages/public-intake.ts): one row per submitted form, keyed by
-- the SHA-256 of the browser's anonymous CSRF cookie and the form's token, so a form sent again
-- creates nothing; it holds the receipt (tracking number and PIN) for the one page view after the
-- redirect, sealed under a key derived from that cookie (which only the browser holds) and
-- cleared as it is shown. Rows lapse with expires_at (real clock) and are deleted then.
CREATE TABLE public_form_receipts (
  form_hash    text PRIMARY KEY,
  client_hash  text NOT NULL,
  page         text NOT NULL,
  sealed       text,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX public_form_receipts_client ON public_form_receipts (client_hash, page);
CREATE INDEX public_form_receipts_expires ON public_form_receipts (expires_at);
