-- Web console sessions. Only the SHA-256 of the session id is stored, so a copy of this table
-- (a backup, a read-only auditor) cannot be replayed as a cookie. The CSRF token is per session.
-- A session is worth nothing once its user is deactivated: the console checks users.active on
-- every request, and deactivation needs no extra step here.
CREATE TABLE web_sessions (
  id_hash      text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
  username     text NOT NULL REFERENCES users (username),
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_username ON web_sessions (username);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
