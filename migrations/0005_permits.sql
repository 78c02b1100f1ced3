-- Permits at the one-stop permit office (DPMPTSP): registration numbers and applicant PINs,
-- permit numbers, and failed public-status lookups (rate limiting that holds across processes).

-- nextval is never rolled back: a number is never handed out twice (a failed attempt leaves a gap).
CREATE SEQUENCE permit_registration_seq AS bigint MINVALUE 1 NO CYCLE;
CREATE SEQUENCE permit_number_seq AS bigint MINVALUE 1 NO CYCLE;

-- One row per permit application, written in the transaction that creates the instance.
CREATE TABLE permit_registrations (
  instance_id          uuid PRIMARY KEY REFERENCES workflow_instances (id),
  registration_number  text NOT NULL UNIQUE,   -- REG/<OPD>/<year>/<seq>, printed on the receipt
  pin_hash             text NOT NULL,          -- scrypt$N$r$p$salt$key (see src/permits/pin.ts); the PIN is never stored
  created_at           timestamptz NOT NULL DEFAULT now()
);

-- Every status lookup first records an attempt here and removes it again unless the PIN was wrong
-- (or the lookup was refused for too many attempts): what is left are the failures of a window.
CREATE TABLE permit_status_failures (
  id                   bigserial PRIMARY KEY,
  registration_number  text NOT NULL,   -- as given (it may not exist), at most 64 characters
  client_ip            text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX permit_status_failures_registration ON permit_status_failures (registration_number, created_at);
CREATE INDEX permit_status_failures_client ON permit_status_failures (client_ip, created_at);
CREATE INDEX permit_status_failures_created ON permit_status_failures (created_at);
