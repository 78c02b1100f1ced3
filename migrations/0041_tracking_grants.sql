-- The console's public status page (src/web/pages/public-status.ts): after a citizen proves a
-- tracking number and PIN, this browser may see that instance and take its citizen steps for a
-- short while without typing the PIN again. One row per browser, keyed by the SHA-256 of its
-- anonymous CSRF cookie; it names the instance sealed under a key derived from that cookie (which
-- only the browser holds), never the PIN. Rows lapse with expires_at (real clock) and are deleted
-- then, with the other rows of the public routes (src/api/public-purge.ts).
CREATE TABLE tracking_grants (
  client_hash  text PRIMARY KEY,
  sealed       text NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX tracking_grants_expires ON tracking_grants (expires_at);
