import { sql } from 'kysely';
import { openPostgres, type Db } from '../src/db/connect';
import { takeDocumentNumber, voidDocumentNumber } from '../src/documents/numbers';
import { createTestDb, describeBackends, describePostgres } from './support/db';

async function seedOrgs(db: Db): Promise<void> {
  await db.kysely.insertInto('orgs').values([
    { id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' },
    { id: 'pupr', name: 'Dinas Pekerjaan Umum dan Penataan Ruang', code: 'DPU' },
  ]).execute();
}

const dinkes = (year = 2026) => ({ orgId: 'dinkes', orgCode: 'DINKES', year });

describeBackends('document numbers', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await createTestDb(kind);
    await seedOrgs(db);
  });
  afterEach(async () => {
    await db.close();
  });

  test('numbers are consecutive per OPD and year, each OPD and year counting on its own', async () => {
    expect(await takeDocumentNumber(db.kysely, dinkes())).toBe('900/0001/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, dinkes())).toBe('900/0002/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, { orgId: 'pupr', orgCode: 'DPU', year: 2026 })).toBe('900/0001/DPU/2026');
    expect(await takeDocumentNumber(db.kysely, dinkes(2027))).toBe('900/0001/DINKES/2027');
    expect(await takeDocumentNumber(db.kysely, { ...dinkes(), classification: '503' })).toBe('503/0003/DINKES/2026');
    const sequences = await db.kysely.selectFrom('document_number_sequences').select(['org_id', 'year']).orderBy('org_id').orderBy('year').execute();
    expect(sequences).toEqual([{ org_id: 'dinkes', year: 2026 }, { org_id: 'dinkes', year: 2027 }, { org_id: 'pupr', year: 2026 }]);
  });

  test('a number taken by a failed attempt is voided and never given out again', async () => {
    const first = await takeDocumentNumber(db.kysely, dinkes());
    // Taken inside a transaction that rolls back: the sequence does not go back.
    await expect(db.kysely.transaction().execute(async (trx) => {
      const n = await takeDocumentNumber(trx, dinkes());
      expect(n).toBe('900/0002/DINKES/2026');
      throw new Error('the transition failed');
    })).rejects.toThrow('the transition failed');
    await voidDocumentNumber(db.kysely, '900/0002/DINKES/2026', 'transition failed after the number was taken');
    await voidDocumentNumber(db.kysely, '900/0002/DINKES/2026', 'retried'); // idempotent
    expect(await takeDocumentNumber(db.kysely, dinkes())).toBe('900/0003/DINKES/2026');
    expect(first).toBe('900/0001/DINKES/2026');
    const voided = await db.kysely.selectFrom('void_document_numbers').selectAll().execute();
    expect(voided).toEqual([expect.objectContaining({ number: '900/0002/DINKES/2026', org: 'DINKES', year: 2026, reason: 'transition failed after the number was taken' })]);
    await expect(sql`DELETE FROM void_document_numbers`.execute(db.kysely)).rejects.toThrow(/immutable/);
  });

  test('the first number of an OPD and year is refused inside a transaction (a rollback would restart it)', async () => {
    await expect(db.kysely.transaction().execute((trx) => takeDocumentNumber(trx, dinkes(2030))))
      .rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_INVALID' });
    expect(await takeDocumentNumber(db.kysely, dinkes(2030))).toBe('900/0001/DINKES/2030');
  });

  test('codes that would break the number format are refused', async () => {
    for (const bad of [{ orgCode: 'DIN/KES' }, { orgCode: 'dinkes' }, { orgCode: '' }, { classification: '9/00' }, { year: 26 }]) {
      await expect(takeDocumentNumber(db.kysely, { ...dinkes(), ...bad })).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_INVALID' });
    }
    await expect(voidDocumentNumber(db.kysely, 'not a number', 'x')).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_INVALID' });
  });
});

describePostgres('document numbers under concurrency', () => {
  let a: Db & { url?: string };
  let b: Db;
  beforeAll(async () => {
    a = await createTestDb('postgres');
    b = openPostgres({ connectionString: a.url! });
    await seedOrgs(a);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  test('two processes taking the first numbers of a new year at once get distinct, consecutive numbers', async () => {
    const takes = Array.from({ length: 20 }, (_, i) => takeDocumentNumber((i % 2 ? a : b).kysely, dinkes(2031)));
    const numbers = await Promise.all(takes);
    const seqs = numbers.map((n) => Number(n.split('/')[1])).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await a.kysely.selectFrom('document_number_sequences').selectAll().where('year', '=', 2031).execute()).toHaveLength(1);
  });
});
