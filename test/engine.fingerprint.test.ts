import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgres, type Db } from '../src/db/connect';
import { migrate } from '../src/db/migrate';
import { coveredFiles, fingerprint } from '../src/engine/fingerprint';
import { builtinPackages } from '../src/engine/packages';
import { defaultRegistry, versionFingerprints } from '../src/engine/registry';
import { DefinitionChanged, listRegisteredVersions, registerFingerprints } from '../src/engine/registration';
import { createTestDb, describeBackends, describePostgres } from './support/db';
import { withDatabase } from './support/global-setup';

const ROOT = path.resolve(__dirname, '..');

/** The definition hashes main released before fingerprints (migrations/0037_workflow_fingerprints.sql). */
const RELEASED: ReadonlyArray<[string, string]> = [
  ['budget-proposal', '08583ec75083858c50a91406a1db709b1fbb9dd15f66ccaed07efb6d2d43a970'],
  ['permit', 'cf99ae1d0119aae898ca676342065b2a62fb69af9a204fcfb3b729d11df09b3e'],
  ['procurement-delivery', '3e129d4df2a59c8aa059242be1fbf7ba09ba4e2926d3ad151a3785e871aa223c'],
];
// budget-proposal v1 before the segregation fix; 0019 records the move to the released hash.
const BEFORE_0019 = '3aaf78674c31b8e337fa7330a3114fef415eec53d6658e0ac210fbe77012d67d';
// complaint v1 as main released it, before the dispatch rule; 0042 records the move to the fixed fingerprint.
const COMPLAINT_BEFORE_0042 = '505d3fb9e61a9a6fa67498aec4a1e4ce20a5ec047590155a69d000d3c2586955';

/** A copy of a built-in package and its schemas under a temporary checkout-like folder. */
function copyPackage(name: string): { sourceDir: string; schemaDir: string; cleanup(): void } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-fp-'));
  const sourceDir = path.join(tmp, 'workflows', name);
  const schemaDir = path.join(tmp, 'schemas', name);
  fs.cpSync(path.join(ROOT, 'workflows', name), sourceDir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'schemas', name), schemaDir, { recursive: true });
  return { sourceDir, schemaDir, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) };
}

describe('fingerprint', () => {
  const budget = () => builtinPackages().find((p) => p.name === 'budget-proposal')!;

  test('covers the version file and what it imports inside the package and its schema folder; not the core, not the index', () => {
    const names = coveredFiles(budget(), 'v1').map(([name]) => name);
    expect(names).toContain('package/v1.ts');
    expect(names).toContain('schemas/v1.schema.json');
    expect(names).not.toContain('package/index.ts');
    expect(names.every((n) => n.startsWith('package/') || n.startsWith('schemas/'))).toBe(true);
    expect([...names].sort()).toEqual(names);
  });

  test('covers a version\'s rule hooks when the version file imports them (complaint\'s dispatch rule)', () => {
    const complaint = builtinPackages().find((p) => p.name === 'complaint')!;
    expect(coveredFiles(complaint, 'v1').map(([name]) => name)).toEqual(['package/categories.ts', 'package/rules.ts', 'package/v1.ts', 'schemas/v1.schema.json']);
  });

  test('covers the code of every rule hook a version\'s steps name, in every built-in package', () => {
    for (const pkg of builtinPackages()) {
      for (const { definition: def, source } of pkg.versions) {
        const covered = coveredFiles(pkg, source).map(([name]) => name).filter((n) => n.startsWith('package/'));
        // The modules the fingerprint reads, loaded: a rule is covered when one of them exports that very function.
        const exported = covered.flatMap((n) => Object.values(require(path.join(pkg.sourceDir, n.slice('package/'.length))) as Record<string, unknown>));
        const named = new Set(Object.values(def.steps).flatMap((events) => Object.values(events).map((step) => step.rule)).filter((r): r is string => !!r));
        for (const rule of named) {
          expect({ workflow: def.name, version: def.version, rule, covered: exported.includes(pkg.rules![rule]) }).toEqual({ workflow: def.name, version: def.version, rule, covered: true });
        }
      }
    }
  });

  test('built-ins read the checkout\'s .ts sources', () => {
    for (const pkg of builtinPackages()) expect(pkg.sourceDir).toBe(path.join(ROOT, 'workflows', pkg.name));
  });

  test('is the same for a copy and for CRLF line endings; changes with the version file or its schema, not with the labels', () => {
    const copy = copyPackage('budget-proposal');
    try {
      const original = fingerprint(budget(), 'v1');
      expect(original).toMatch(/^[0-9a-f]{64}$/);
      expect(fingerprint(copy, 'v1')).toBe(original);
      const v1 = path.join(copy.sourceDir, 'v1.ts');
      const text = fs.readFileSync(v1, 'utf8');
      fs.writeFileSync(v1, text.replace(/\n/g, '\r\n'));
      expect(fingerprint(copy, 'v1')).toBe(original);
      fs.appendFileSync(path.join(copy.sourceDir, 'index.ts'), '\n// a label changed\n');
      expect(fingerprint(copy, 'v1')).toBe(original);

      fs.writeFileSync(v1, `${text}\nexport const changed = true;\n`);
      const changedCode = fingerprint(copy, 'v1');
      expect(changedCode).not.toBe(original);
      fs.writeFileSync(v1, text);
      const schema = path.join(copy.schemaDir, 'v1.schema.json');
      fs.writeFileSync(schema, fs.readFileSync(schema, 'utf8').replace('"type"', '"description": "x", "type"'));
      const changedSchema = fingerprint(copy, 'v1');
      expect(new Set([original, changedCode, changedSchema]).size).toBe(3);
    } finally {
      copy.cleanup();
    }
  });

  test('a version whose source file is missing has none, naming the file', () => {
    expect(() => fingerprint(budget(), 'v9')).toThrow(expect.objectContaining({ code: 'WORKFLOW_FINGERPRINT_FAILED', message: expect.stringMatching(/version source v9/) }));
  });
});

describeBackends('registrations from before fingerprints', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb(kind);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.kysely.deleteFrom('workflow_definitions').execute();
  });

  const legacyRow = (workflow: string, hash: string) =>
    db.kysely.insertInto('workflow_definitions').values({ workflow, version: 1, hash, form: 'definition-hash' }).execute();

  test('a released definition hash starts, and the version is registered again with its fingerprint', async () => {
    for (const [workflow, hash] of RELEASED) await legacyRow(workflow, hash);
    const code = versionFingerprints(defaultRegistry());
    await registerFingerprints(db.kysely, code);
    const rows = await db.kysely.selectFrom('workflow_definitions').select(['workflow', 'version', 'hash', 'form']).orderBy('workflow').orderBy('version').execute();
    expect(rows).toEqual(code.map((c) => ({ workflow: c.workflow, version: c.version, hash: c.fingerprint, form: 'fingerprint' })).sort((a, b) => a.workflow.localeCompare(b.workflow) || a.version - b.version));
    // The next start compares fingerprints.
    await registerFingerprints(db.kysely, code);
    expect((await listRegisteredVersions(db.kysely)).map((r) => r.hash).sort()).toEqual(code.map((c) => c.fingerprint).sort());
  });

  test('a definition hash from before a recorded fix is followed through the fix first', async () => {
    await legacyRow('budget-proposal', BEFORE_0019);
    // v1 alone: the fix concerns it (v2 came later and registers beside it).
    const code = versionFingerprints(defaultRegistry()).filter((c) => c.workflow === 'budget-proposal' && c.version === 1);
    await registerFingerprints(db.kysely, code);
    expect(await db.kysely.selectFrom('workflow_definitions').select(['hash', 'form']).execute()).toEqual([{ hash: code[0]!.fingerprint, form: 'fingerprint' }]);
    const fix = await db.kysely.selectFrom('workflow_definition_fixes').select('applied_at').where('previous_hash', '=', BEFORE_0019).executeTakeFirstOrThrow();
    expect(fix.applied_at).toBeInstanceOf(Date);
  });

  test('complaint v1 registered before the dispatch rule moves to its fixed fingerprint through 0042\'s fix, reason recorded', async () => {
    await db.kysely.insertInto('workflow_definitions').values({ workflow: 'complaint', version: 1, hash: COMPLAINT_BEFORE_0042, form: 'fingerprint' }).execute();
    const code = versionFingerprints(defaultRegistry()).filter((c) => c.workflow === 'complaint');
    await registerFingerprints(db.kysely, code);
    expect(await db.kysely.selectFrom('workflow_definitions').select(['hash', 'form']).execute()).toEqual([{ hash: code[0]!.fingerprint, form: 'fingerprint' }]);
    const fix = await db.kysely.selectFrom('workflow_definition_fixes').select(['hash', 'reason', 'migration', 'applied_at']).where('workflow', '=', 'complaint').where('previous_hash', '=', COMPLAINT_BEFORE_0042).executeTakeFirstOrThrow();
    expect(fix).toMatchObject({ hash: code[0]!.fingerprint, migration: '0042_instance_year_and_dispatch_rule.sql', reason: expect.stringMatching(/^Correctness fix: the complaint desk's dispatch/) });
    expect(fix.applied_at).toBeInstanceOf(Date);
  });

  test('an unknown definition hash is refused, naming the version, and nothing changes', async () => {
    const unknown = crypto.createHash('sha256').update('edited in place').digest('hex');
    await legacyRow('permit', unknown);
    // Another workflow's released hash is no released hash of this one.
    await legacyRow('procurement-delivery', RELEASED[0]![1]);
    const err = (await registerFingerprints(db.kysely, versionFingerprints(defaultRegistry())).catch((e: unknown) => e)) as DefinitionChanged;
    expect(err).toBeInstanceOf(DefinitionChanged);
    expect(err.changed.map((c) => [c.workflow, c.storedHash])).toEqual([['permit', unknown], ['procurement-delivery', RELEASED[0]![1]]]);
    expect(err.message).toMatch(/^workflow permit v1 was registered with a definition hash no grms release had/);
    const rows = await db.kysely.selectFrom('workflow_definitions').select(['workflow', 'form']).orderBy('workflow').execute();
    expect(rows).toEqual([{ workflow: 'permit', form: 'definition-hash' }, { workflow: 'procurement-delivery', form: 'definition-hash' }]);
  });
});

describePostgres('a database registered before migration 0037', () => {
  test('migrates and starts: its rows become definition-hash rows, accepted and fingerprinted', async () => {
    const admin = process.env.GRMS_TEST_PG_URL!;
    const name = `grms_t_${crypto.randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-mig-'));
    const db = openPostgres({ connectionString: withDatabase(admin, name), max: 2 });
    try {
      for (const f of fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => f < '0037')) fs.copyFileSync(path.join(ROOT, 'migrations', f), path.join(before, f));
      await migrate(db, before);
      // As main registered its versions before this change.
      await db.kysely.insertInto('workflow_definitions').values(RELEASED.map(([workflow, hash]) => ({ workflow, version: 1, hash }) as never)).execute();
      expect(await migrate(db)).toContain('0037_workflow_fingerprints.sql'); // and what came after it
      const code = versionFingerprints(defaultRegistry());
      await registerFingerprints(db.kysely, code);
      const rows = await db.kysely.selectFrom('workflow_definitions').select(['hash', 'form']).execute();
      // The released versions' rows, and one for each version released since (first registered now).
      expect(rows.map((r) => r.form)).toEqual(code.map(() => 'fingerprint'));
      expect(rows.map((r) => r.hash).sort()).toEqual(code.map((c) => c.fingerprint).sort());
    } finally {
      await db.close();
      fs.rmSync(before, { recursive: true, force: true });
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    }
  });
});
