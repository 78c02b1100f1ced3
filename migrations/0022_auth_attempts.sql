-- Failed authentications become one row per attempt (the fixed-window counters of 0006 could
-- only be read before an attempt and written after it, so concurrent guesses all passed the
-- check). An attempt is recorded first and counted with the others afterwards, as
-- permit_status_failures does; a refused attempt and a right password take their row back.
-- `client` is the client address (after GRMS_TRUST_PROXY); `username` the name a password was
-- tried for (lower-cased; null for bearer tokens); `device` the SHA-256 of the browser's device
-- cookie when it was known for that username (such attempts are limited per device only).
-- The rows are transient: dropping the old counters loses nothing worth keeping.
DROP TABLE auth_failures;
CREATE TABLE auth_failures (
  id          bigserial PRIMARY KEY,
  client      text NOT NULL,
  username    text,
  device      text CHECK (device ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_failures_client ON auth_failures (client, created_at);
CREATE INDEX auth_failures_username ON auth_failures (username, created_at) WHERE username IS NOT NULL;
CREATE INDEX auth_failures_device ON auth_failures (device, created_at) WHERE device IS NOT NULL;
CREATE INDEX auth_failures_created ON auth_failures (created_at);

-- Browsers a user has signed in from with their password (OWASP "device cookies"): only the
-- SHA-256 of the cookie's random id is stored. While a username is limited after failed
-- sign-ins, a browser known for it may still sign in (limited per device instead), so an
-- attacker guessing one user's password does not lock that user out. An admin reset forgets them.
CREATE TABLE trusted_devices (
  id_hash     text NOT NULL CHECK (id_hash ~ '^[0-9a-f]{64}$'),
  username    text NOT NULL REFERENCES users (username),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (id_hash, username)
);
CREATE INDEX trusted_devices_username ON trusted_devices (username);
CREATE INDEX trusted_devices_expires_at ON trusted_devices (expires_at);

-- A session opened with a temporary password (after an admin reset) is the only one that may set
-- a new password without giving the current one.
ALTER TABLE web_sessions ADD COLUMN temporary_password boolean NOT NULL DEFAULT false;
