-- The letterhead (kop surat) of each organisation: below the government's name and the office's
-- name, its address, phone, e-mail and website, and its logo at the left. The logo is a PNG or
-- JPEG of at most 256 KB (checked in src/documents/logo.ts before it is stored); org_events
-- records it by its SHA-256, not its bytes.
ALTER TABLE orgs
  ADD COLUMN address text CHECK (length(address) BETWEEN 1 AND 300),
  ADD COLUMN phone text CHECK (length(phone) BETWEEN 1 AND 50),
  ADD COLUMN email text CHECK (length(email) BETWEEN 3 AND 254),
  ADD COLUMN website text CHECK (length(website) BETWEEN 1 AND 200),
  ADD COLUMN logo bytea CHECK (octet_length(logo) BETWEEN 1 AND 262144),
  ADD COLUMN logo_type text CHECK (logo_type IN ('image/png', 'image/jpeg')),
  ADD COLUMN logo_sha256 text CHECK (logo_sha256 ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT orgs_logo_whole CHECK ((logo IS NULL) = (logo_type IS NULL) AND (logo IS NULL) = (logo_sha256 IS NULL));
