-- Passwords for the web console (API clients keep bearer tokens). Only an scrypt hash is stored;
-- must_change is set when an admin resets a password, so the holder picks their own at next sign-in.
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
ALTER TABLE users ADD COLUMN password_must_change boolean NOT NULL DEFAULT false;
