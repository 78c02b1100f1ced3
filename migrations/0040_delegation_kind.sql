-- Plt or Plh (BKN circular SE 1/2021): a Plt (Pelaksana Tugas) stands in while the position is
-- vacant or its holder is permanently or long absent; a Plh (Pelaksana Harian) while the holder is
-- briefly away (leave, official travel). Documents print the one given. Rows made before this
-- migration become 'plt': every delegated act printed "Plt." until now, so their documents and
-- history keep saying what they said.
ALTER TABLE delegations ADD COLUMN kind text NOT NULL DEFAULT 'plt' CHECK (kind IN ('plt', 'plh'));
-- No default for new rows: the API and console require the kind, and a default would let a
-- forgotten field silently change what the documents say.
ALTER TABLE delegations ALTER COLUMN kind DROP DEFAULT;
