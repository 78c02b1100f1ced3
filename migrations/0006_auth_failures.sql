-- Failed authentication attempts per client and time window, shared by every API process so a
-- rate limit holds across them. Only refused requests write here; old windows are pruned.
CREATE TABLE auth_failures (
  client        text NOT NULL,
  window_start  timestamptz NOT NULL,
  failures      integer NOT NULL DEFAULT 1,
  PRIMARY KEY (client, window_start)
);
CREATE INDEX auth_failures_window ON auth_failures (window_start);
