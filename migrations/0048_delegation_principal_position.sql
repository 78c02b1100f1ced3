-- The position (jabatan) the principal held when a delegation was made: a history row of a stage
-- document prints "Budi (Plt. Kepala Dinas Kesehatan)" with the position the delegate acted in,
-- not the one the principal holds on the day the document is rendered. Audit rows name only whom
-- the actor acted for (adding the position to them would change what the audit chain hashes), so
-- the position is kept with the delegation, as its kind is (0040). Rows made before this migration
-- take the principal's position today: users' positions have had no change path in grms, so it is
-- the one they held.
ALTER TABLE delegations ADD COLUMN principal_position text;
UPDATE delegations d SET principal_position = u.position FROM users u WHERE u.username = d.delegator;
