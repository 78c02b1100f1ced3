-- What the console shows once after a redirect, and which bearer tokens a demo start made.
--
-- A console form that creates or changes something answers with a redirect, so that a reload or
-- Back sends nothing again. What the page after the redirect must show once — a permit
-- registration's PIN, a temporary password an admin made — waits here for that one request and is
-- deleted as it is shown. It is sealed (AES-256-GCM) under a key derived from the session id,
-- which only the browser holds (web_sessions keeps its hash): a copy of this table shows no PIN
-- or password. A notice ends with its session, and after 15 minutes (src/web/notices.ts).
CREATE TABLE web_notices (
  session_hash text NOT NULL REFERENCES web_sessions (id_hash) ON DELETE CASCADE,
  page         text NOT NULL,            -- the path of the page that shows it, e.g. /instances/<id>
  sealed       text NOT NULL,            -- base64url: 12-byte IV, ciphertext, 16-byte tag
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (session_hash, page)
);
CREATE INDEX web_notices_expires_at ON web_notices (expires_at);

-- `npm start` on the embedded demo prints a new token for each demo user and revokes those the
-- previous start printed, so only the tokens on the screen work. Such tokens carry this note;
-- tokens made otherwise (`grms token`, or before this migration) have none and are left alone.
ALTER TABLE api_tokens ADD COLUMN note text;
