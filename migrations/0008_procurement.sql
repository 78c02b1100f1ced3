-- Procurement delivery: suppliers (orgs of kind 'supplier') carry their tax number (NPWP), which a
-- contract award requires and the OCDS export publishes as the supplier's identifier.
ALTER TABLE orgs ADD COLUMN npwp text;
