-- Tracking numbers and PINs are a core service (src/tracking): any workflow may give an instance a
-- number and a PIN (shown once, only its hash stored) that its applicant follows on a public status
-- page. The permit registrations of 0005 were the first of them; their tables and sequence take the
-- generic names. Renamed, not copied: every registration number, PIN hash and column grant (0021)
-- stays as it was, no second copy of the PIN hashes is left behind, and the sequence goes on from
-- where it stood, so no number is handed out twice.
ALTER TABLE permit_registrations RENAME TO tracking_registrations;
ALTER TABLE tracking_registrations RENAME CONSTRAINT permit_registrations_pkey TO tracking_registrations_pkey;
ALTER TABLE tracking_registrations RENAME CONSTRAINT permit_registrations_registration_number_key TO tracking_registrations_registration_number_key;
ALTER TABLE tracking_registrations RENAME CONSTRAINT permit_registrations_instance_id_fkey TO tracking_registrations_instance_id_fkey;
COMMENT ON COLUMN tracking_registrations.registration_number IS 'in the format of the instance''s workflow, e.g. REG/<OPD>/<year>/<seq>';
COMMENT ON COLUMN tracking_registrations.pin_hash IS 'scrypt$N$r$p$salt$key (src/tracking/pin.ts); the PIN is never stored';
ALTER SEQUENCE permit_registration_seq RENAME TO tracking_registration_seq;

-- Failed lookups, counted per registration number and per client address (src/tracking/lookup.ts).
ALTER TABLE permit_status_failures RENAME TO tracking_failures;
ALTER SEQUENCE permit_status_failures_id_seq RENAME TO tracking_failures_id_seq;
ALTER TABLE tracking_failures RENAME CONSTRAINT permit_status_failures_pkey TO tracking_failures_pkey;
ALTER INDEX permit_status_failures_registration RENAME TO tracking_failures_registration;
ALTER INDEX permit_status_failures_client RENAME TO tracking_failures_client;
ALTER INDEX permit_status_failures_created RENAME TO tracking_failures_created;
