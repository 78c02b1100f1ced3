import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { openPglite, openPostgres, type Db } from '../src/db/connect';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { parseNumberFormat, printNumber, takeDocumentNumber, takeNumber, voidDocumentNumber } from '../src/documents/numbers';
import { numberingProblems } from '../src/documents/registers';
import { defaultRegistry } from '../src/engine/registry';
import { loadConfig } from '../src/config';
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
    for (const bad of [{ orgCode: 'DIN/KES' }, { orgCode: '{seq}' }, { orgCode: '' }, { classification: '9/00' }, { year: 26 }, { kind: 'Berita Acara' }, { kind: '' }]) {
      await expect(takeDocumentNumber(db.kysely, { ...dinkes(), ...bad })).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_INVALID' });
    }
    await expect(voidDocumentNumber(db.kysely, 'not a number', 'x')).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_INVALID' });
  });
});

describeBackends('document registers per office, year and kind', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await createTestDb(kind);
    await seedOrgs(db);
  });
  afterEach(async () => {
    await db.close();
  });

  test('each kind of document has its own register per office and year, counting on its own', async () => {
    const ba = { ...dinkes(), kind: 'berita-acara', classification: '900.1.4' };
    expect(await takeDocumentNumber(db.kysely, ba)).toBe('900.1.4/0001/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, dinkes())).toBe('900/0001/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, ba)).toBe('900.1.4/0002/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, { ...dinkes(), kind: 'dpa', classification: '900.1.5' })).toBe('900.1.5/0001/DINKES/2026');
    expect(await takeDocumentNumber(db.kysely, { ...ba, orgId: 'pupr', orgCode: 'DPU' })).toBe('900.1.4/0001/DPU/2026');
    expect(await takeDocumentNumber(db.kysely, { ...ba, year: 2027 })).toBe('900.1.4/0001/DINKES/2027');
    expect(await takeDocumentNumber(db.kysely, dinkes())).toBe('900/0002/DINKES/2026');
    const registers = await db.kysely.selectFrom('document_number_sequences').select(['org_id', 'year', 'kind']).orderBy('org_id').orderBy('year').orderBy('kind').execute();
    expect(registers).toEqual([
      { org_id: 'dinkes', year: 2026, kind: 'berita-acara' }, { org_id: 'dinkes', year: 2026, kind: 'dpa' }, { org_id: 'dinkes', year: 2026, kind: 'umum' },
      { org_id: 'dinkes', year: 2027, kind: 'berita-acara' }, { org_id: 'pupr', year: 2026, kind: 'berita-acara' },
    ]);
  });

  test('the number is printed in the configured format, with the parts kept beside it', async () => {
    const format = parseNumberFormat('{kind}-{seq}/{unit}/{class}/{year}');
    const taken = await takeNumber(db.kysely, { ...dinkes(), kind: 'nota-dinas', classification: '900.1.3', format });
    expect(taken).toEqual({
      number: 'nota-dinas-0001/DINKES/900.1.3/2026', orgId: 'dinkes', unit: 'DINKES', year: 2026, kind: 'nota-dinas', classification: '900.1.3', seq: 1,
      format: '{kind}-{seq}/{unit}/{class}/{year}',
    });
    expect(printNumber(parseNumberFormat('B-{seq}/{year}'), { classification: '900', seq: 12345, unit: 'X', year: 2027, kind: 'umum' })).toBe('B-12345/2027');
  });

  test('a void record carries the parts of its number, not a parse of the printed text', async () => {
    const format = parseNumberFormat('{seq}.{unit}.{year}');
    const taken = await takeNumber(db.kysely, { ...dinkes(), kind: 'sk', classification: '800', format });
    expect(taken.number).toBe('0001.DINKES.2026');
    await voidDocumentNumber(db.kysely, taken, 'rendering failed');
    await voidDocumentNumber(db.kysely, taken, 'retried'); // idempotent
    const row = await db.kysely.selectFrom('void_document_numbers').selectAll().executeTakeFirstOrThrow();
    expect({ ...row, number_seq: Number(row.number_seq), created_at: undefined }).toEqual({
      number: '0001.DINKES.2026', org: 'DINKES', year: 2026, reason: 'rendering failed', created_at: undefined,
      number_format_version: 2, number_org: 'dinkes', number_kind: 'sk', number_seq: 1, number_classification: '800', number_unit: 'DINKES', number_format: '{seq}.{unit}.{year}',
    });
    // A number of format 1 (a bare string) is still read by its fixed form.
    await voidDocumentNumber(db.kysely, '900/0007/DINKES/2026', 'an old attempt');
    expect(await db.kysely.selectFrom('void_document_numbers').select(['org', 'year', 'number_format_version']).where('number', '=', '900/0007/DINKES/2026').executeTakeFirst())
      .toEqual({ org: 'DINKES', year: 2026, number_format_version: null });
  });
});

describe('the document number format', () => {
  test('the README\'s worked example prints as it says', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Document numbers'), readme.indexOf('## Text on documents'));
    const block = /```text\n([\s\S]*?)```/.exec(section)![1]!;
    const examples = block.trim().split(/\n\s*\n/).map((e) => Object.fromEntries(e.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])));
    expect(examples).toHaveLength(2);
    for (const ex of examples) expect(printNumber(parseNumberFormat(ex.format!), JSON.parse(ex.parts!))).toBe(ex.number);
    expect(examples[0]!.number).toBe('900.1.5/0015/BPKAD/2027');
    // The budget proposal's kinds are the ones the README names.
    const budget = defaultRegistry().package('budget-proposal')!;
    for (const { kind, classification } of Object.values(budget.documentNumbers!)) expect(section).toContain(`\`${kind}\` ${classification}`);
  });

  test('GRMS_DOCUMENT_NUMBER_FORMAT defaults to {class}/{seq}/{unit}/{year} and is checked when the configuration is read', () => {
    expect(loadConfig({}).documentNumberFormat.source).toBe('{class}/{seq}/{unit}/{year}');
    expect(loadConfig({ GRMS_DOCUMENT_NUMBER_FORMAT: '' }).documentNumberFormat.source).toBe('{class}/{seq}/{unit}/{year}');
    expect(loadConfig({ GRMS_DOCUMENT_NUMBER_FORMAT: '{kind}/{seq}/{unit}/{year}' }).documentNumberFormat.source).toBe('{kind}/{seq}/{unit}/{year}');
    const refused: Array<[string, RegExp]> = [
      ['{class}/{seq}/{unit}', /must contain \{year\}/],
      ['{class}/{unit}/{year}', /must contain \{seq\}/],
      ['{class}/{seq}/{opd}/{year}', /\{opd\} is not a placeholder/],
      ['{seq}/{seq}/{year}', /\{seq\} appears twice/],
      ['{seq}{year}', /without a separator/],
      ['{seq}/{year', /unmatched/],
      ['<b>{seq}</b>/{year}', /may hold only/],
      ['{seq}\n{year}', /may hold only/],
      [`{seq}/{year}/${'X'.repeat(100)}`, /1 to 100 characters/],
    ];
    for (const [format, why] of refused) {
      expect(() => loadConfig({ GRMS_DOCUMENT_NUMBER_FORMAT: format })).toThrow(why);
      expect(() => loadConfig({ GRMS_DOCUMENT_NUMBER_FORMAT: format })).toThrow(/^GRMS_DOCUMENT_NUMBER_FORMAT: /);
    }
  });

  test('two kinds sharing a classification are refused unless the format prints {kind}', () => {
    const packages = defaultRegistry().packages;
    expect(numberingProblems(packages, parseNumberFormat('{class}/{seq}/{unit}/{year}'))).toEqual([]);
    const budget = packages.find((p) => p.name === 'budget-proposal')!;
    const clash = { ...budget, documentNumbers: { ...budget.documentNumbers, 'approved/ratify': { kind: 'dpa', classification: '900.1.4' } } };
    const others = packages.filter((p) => p !== budget);
    expect(numberingProblems([...others, clash], parseNumberFormat('{class}/{seq}/{unit}/{year}')))
      .toEqual([expect.stringMatching(/^document kinds berita-acara, dpa share the classification 900\.1\.4/)]);
    expect(numberingProblems([...others, clash], parseNumberFormat('{class}/{kind}/{seq}/{unit}/{year}'))).toEqual([]);
    const wrong = { ...budget, documentNumbers: { 'draft/update': { kind: 'x', classification: '1' }, 'draft/submit': { kind: 'Surat', classification: 'A' } } };
    expect(numberingProblems([wrong])).toEqual([
      expect.stringContaining('draft/update, which is no step of any version that makes a document'),
      expect.stringContaining('draft/submit: kind must be'),
      expect.stringContaining('draft/submit: classification must be'),
    ]);
  });
});

/** An empty database of the backend, migrated with the migrations before `before` only. */
async function oldDatabase(kind: 'pglite' | 'postgres', before: string): Promise<Db> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-migrations-'));
  for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f) && f < before)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  let db: Db;
  if (kind === 'pglite') db = await openPglite();
  else {
    const admin = process.env.GRMS_TEST_PG_URL!;
    const name = `grms_t_${crypto.randomBytes(6).toString('hex')}`;
    const client = new (await import('pg')).default.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const opened = openPostgres({ connectionString: url.toString() });
    db = {
      ...opened,
      async close() {
        await opened.close();
        const c = new (await import('pg')).default.Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  await migrate(db, dir);
  return db;
}

describeBackends('document numbers across the upgrade to registers per kind (0047)', (kind) => {
  test('an office\'s register goes on counting, and a new kind\'s register starts after it: no number printed twice', async () => {
    const db = await oldDatabase(kind, '0047');
    try {
      await sql`INSERT INTO orgs (id, name, code) VALUES ('bappeda', 'Bappeda', '5.01.0.00.0.00.01.0000')`.execute(db.kysely);
      // As the numbering before 0047 did: one sequence per office and year, three numbers taken.
      const name = `document_number_2026_${crypto.createHash('sha256').update('bappeda').digest('hex').slice(0, 16)}`;
      await sql`CREATE SEQUENCE ${sql.id(name)} AS bigint MINVALUE 1 NO CYCLE`.execute(db.kysely);
      await sql`INSERT INTO document_number_sequences (org_id, year, sequence_name) VALUES ('bappeda', 2026, ${name})`.execute(db.kysely);
      for (let i = 0; i < 3; i++) await sql`SELECT nextval(${name}::regclass)`.execute(db.kysely);
      await sql`INSERT INTO void_document_numbers (number, org, year, reason) VALUES ('900/0003/BAPPEDA/2026', 'BAPPEDA', 2026, 'failed before the upgrade')`.execute(db.kysely);
      await migrate(db);
      // The unit code its numbers already carried.
      expect(await db.kysely.selectFrom('orgs').select(['code', 'unit_code']).where('id', '=', 'bappeda').executeTakeFirst()).toEqual({ code: '5.01.0.00.0.00.01.0000', unit_code: 'BAPPEDA' });
      const bappeda = { orgId: 'bappeda', orgCode: 'BAPPEDA', year: 2026 };
      expect(await takeDocumentNumber(db.kysely, bappeda)).toBe('900/0004/BAPPEDA/2026');
      // 900/0001 … 900/0003 were printed by the single register: a berita acara of 900 may not print them again.
      expect(await takeDocumentNumber(db.kysely, { ...bappeda, kind: 'berita-acara', classification: '900' })).toBe('900/0005/BAPPEDA/2026');
      expect(await takeDocumentNumber(db.kysely, { ...bappeda, kind: 'berita-acara', classification: '900' })).toBe('900/0006/BAPPEDA/2026');
      // The default register goes on too (with another classification than the berita acara now, as the registry requires).
      expect(await takeDocumentNumber(db.kysely, { ...bappeda, classification: '027' })).toBe('027/0005/BAPPEDA/2026');
      // A new year has no legacy register: every kind starts at 1.
      expect(await takeDocumentNumber(db.kysely, { ...bappeda, year: 2027, kind: 'berita-acara', classification: '900.1.4' })).toBe('900.1.4/0001/BAPPEDA/2027');
      const registers = await db.kysely.selectFrom('document_number_sequences').select(['year', 'kind', 'legacy', sql<number>`start_value::int`.as('start')]).orderBy('year').orderBy('kind').execute();
      expect(registers).toEqual([
        { year: 2026, kind: 'berita-acara', legacy: false, start: 5 }, { year: 2026, kind: 'umum', legacy: true, start: 1 }, { year: 2027, kind: 'berita-acara', legacy: false, start: 1 },
      ]);
      // The void record made before the upgrade is still there, as it was (format 1).
      expect(await db.kysely.selectFrom('void_document_numbers').select(['number', 'number_format_version']).execute()).toEqual([{ number: '900/0003/BAPPEDA/2026', number_format_version: null }]);
    } finally {
      await db.close();
    }
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
