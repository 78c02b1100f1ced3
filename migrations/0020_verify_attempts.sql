-- Public signature checks (POST /api/v1/verify and the console's /verify) per client address, so
-- the per-client limit holds across every API process. Each check records its attempt first and
-- then counts the window (see src/api/verify-rate.ts); refused attempts are removed again, and
-- attempts older than the window are pruned.
CREATE TABLE verify_attempts (
  id          bigserial PRIMARY KEY,
  client      text NOT NULL,   -- the client address as the server sees it, at most 100 characters
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verify_attempts_client ON verify_attempts (client, created_at);
CREATE INDEX verify_attempts_created ON verify_attempts (created_at);
