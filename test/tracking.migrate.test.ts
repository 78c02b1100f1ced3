import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { openPglite } from '../src/db/connect';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { hashPin } from '../src/tracking/pin';
import { heldLookup, publicLookup } from '../src/tracking/lookup';
import { issueTracking } from '../src/tracking/register';

/**
 * An embedded data folder made before tracking numbers became a core service (migrations up to
 * 0036): its permit registrations were in permit_registrations. After 0038 the same numbers and
 * PINs are found, and the sequence goes on from where it stood (no number handed out twice).
 */
test('registration numbers, PINs and the number sequence of a database made before 0038 stay valid', async () => {
  const old = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-migrations-'));
  for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f) && f < '0037')) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(old, f));
  const db = await openPglite();
  try {
    await migrate(db, old);
    const id = crypto.randomUUID();
    await sql`INSERT INTO orgs (id, name) VALUES ('dpmptsp', 'DPMPTSP')`.execute(db.kysely);
    await sql`INSERT INTO users (username, full_name, org_id) VALUES ('fo', 'Front desk', 'dpmptsp')`.execute(db.kysely);
    await sql`INSERT INTO workflow_instances (id, workflow, workflow_version, state, version, snapshot, data, org_id, title, created_by)
      VALUES (${id}, 'permit', 1, 'technical_review', 2, '{}', '{"permitType": "PBG"}', 'dpmptsp', 'PBG', 'fo')`.execute(db.kysely);
    await sql`SELECT setval('permit_registration_seq', 41)`.execute(db.kysely);
    await sql`INSERT INTO permit_registrations (instance_id, registration_number, pin_hash) VALUES (${id}, 'REG/DPMPTSP/2026/000041', ${await hashPin('12345678')})`.execute(db.kysely);

    expect(await migrate(db)).toContain('0038_tracking.sql');

    const q = { registrationNumber: 'reg/dpmptsp/2026/000041', pin: '12345678', clientIp: '192.0.2.1' };
    expect(await publicLookup(db.kysely, 'permit', q)).toMatchObject({ registrationNumber: 'REG/DPMPTSP/2026/000041', instanceId: id, state: 'technical_review' });
    expect(await heldLookup(db.kysely, 'permit', q, async () => true)).toMatchObject({ instanceId: id });
    // A wrong PIN, and the right one asked of another workflow, are the same 404.
    await expect(publicLookup(db.kysely, 'permit', { ...q, pin: '12345679' })).rejects.toMatchObject({ status: 404 });
    await expect(publicLookup(db.kysely, 'other', q)).rejects.toMatchObject({ status: 404 });

    const row = await db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const next = await db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('tracking_registrations').where('instance_id', '=', id).execute();
      return issueTracking(trx, row, (seq) => `T-${seq}`);
    });
    expect(next.registrationNumber).toBe('T-42');
    expect(next.pin).toMatch(/^[0-9]{8}$/);
  } finally {
    await db.close();
    fs.rmSync(old, { recursive: true, force: true });
  }
}, 60_000);
