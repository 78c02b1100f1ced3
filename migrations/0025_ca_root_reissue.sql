-- deployment_keys gains its second named update: the one re-issue of a root certificate made by
-- an earlier version (its Authority Key Identifier was not its own Subject Key Identifier, so
-- OpenSSL did not take it for self-signed; src/documents/authority.ts). The row then holds the new
-- root followed by the old one, which stays a trust anchor for the documents it signed. The
-- private key is re-sealed in the same update, because its envelope is bound to the row and the
-- row's certificate changes (src/auth/deployment-keys.ts). Nothing else in the row changes, and a
-- row that already holds two certificates is never re-issued again.
CREATE OR REPLACE FUNCTION deployment_keys_reseal_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pem constant text := '-----BEGIN CERTIFICATE-----';
BEGIN
  -- The re-seal of a v1 envelope (0023).
  IF TG_OP = 'UPDATE' AND OLD.private_key LIKE 'v1.%' AND NEW.private_key LIKE 'v2.%'
     AND (NEW.name, NEW.algorithm, NEW.public_key, NEW.certificate, NEW.created_at)
         IS NOT DISTINCT FROM (OLD.name, OLD.algorithm, OLD.public_key, OLD.certificate, OLD.created_at) THEN
    RETURN NEW;
  END IF;
  -- The root re-issue: one certificate before, the new one and the old one after.
  IF TG_OP = 'UPDATE' AND OLD.certificate IS NOT NULL AND NEW.private_key LIKE 'v2.%'
     AND (NEW.name, NEW.algorithm, NEW.public_key, NEW.created_at)
         IS NOT DISTINCT FROM (OLD.name, OLD.algorithm, OLD.public_key, OLD.created_at)
     AND (length(OLD.certificate) - length(replace(OLD.certificate, pem, ''))) / length(pem) = 1
     AND (length(NEW.certificate) - length(replace(NEW.certificate, pem, ''))) / length(pem) = 2
     AND right(NEW.certificate, length(OLD.certificate)) = OLD.certificate THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'deployment_keys rows may only be re-sealed once, or their root re-issued once, nothing else (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
