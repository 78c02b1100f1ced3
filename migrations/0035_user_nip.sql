-- NIP (Nomor Induk Pegawai): the civil servant's 18-digit number, printed under the name in the
-- signature block of every document the user signs. Optional: providers and contract staff have none.
ALTER TABLE users ADD COLUMN nip text CHECK (nip ~ '^[0-9]{18}$');
