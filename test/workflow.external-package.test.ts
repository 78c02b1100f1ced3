import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited, grms, serve, type Served } from './support/cli';
import { ConsoleClient } from './support/web';
import { openPglite } from '../src/db/connect';
import { migrate } from '../src/db/migrate';
import { seedDemoPeople } from '../src/seed/demo';
import { mintToken } from '../src/auth/tokens';

const FIXTURE = path.join(__dirname, 'fixtures', 'leave-package', 'cuti');

/**
 * A workflow package outside the repository (a regency's own leave request, `cuti`), found through
 * GRMS_WORKFLOW_PATH by a real `grms serve`: walked through the API, its stage documents signed,
 * its audit trail exported and verified, its instance shown in the console.
 */
describe('an external workflow package end to end', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Served;
  const tokens: Record<string, string> = {};
  const api = async (who: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${server.url}${url}`, {
      method, headers: { authorization: `Bearer ${tokens[who] ?? server.tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const type = res.headers.get('content-type') ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const answer: any = /^application\/(problem\+)?json/.test(type) ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, type, body: answer };
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-external-'));
    // The package lives in a folder of packages outside the checkout, as a regency keeps its own.
    fs.cpSync(FIXTURE, path.join(tmp, 'packages', 'cuti'), { recursive: true });
    const dataDir = path.join(tmp, 'data');
    env = { GRMS_DATA_DIR: dataDir, GRMS_WORKFLOW_PATH: path.join(tmp, 'packages') };
    // Core roles only come with grms: the people holding the package's roles are made here.
    fs.mkdirSync(dataDir);
    const db = await openPglite({ dataDir: path.join(dataDir, 'pgdata') });
    try {
      await migrate(db);
      await seedDemoPeople(db.kysely);
      for (const [username, role, name] of [['pegawai.cuti', 'cuti_pegawai', 'Sri Wahyuni'], ['atasan.cuti', 'cuti_atasan', 'Bambang Hartono']] as const) {
        await db.kysely.insertInto('users').values({ username, full_name: name, position: role === 'cuti_atasan' ? 'Kepala Bidang' : 'Pranata Komputer', org_id: 'dinkes' }).execute();
        await db.kysely.insertInto('user_roles').values({ username, role, org_id: 'dinkes' }).execute();
        tokens[username] = await mintToken(db.kysely, username, new Date(Date.now() + 86_400_000));
      }
    } finally {
      await db.close();
    }
    server = await serve(env);
  });
  afterAll(async () => {
    if (server) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('API: created, submitted, approved and refused by the roles the package declares; documents signed', async () => {
    const workflows = await api('pegawai.cuti', 'GET', '/api/v1/workflows');
    expect(workflows.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'cuti', version: 1, definitionHash: expect.stringMatching(/^[0-9a-f]{64}$/) })]));

    const data = { kind: 'tahunan', from: '2027-01-04', to: '2027-01-08', reason: 'Urusan keluarga' };
    const created = await api('pegawai.cuti', 'POST', '/api/v1/instances', { workflow: 'cuti', data });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ workflow: 'cuti', state: 'draft', title: 'Cuti tahunan 2027-01-04 s.d. 2027-01-08' });
    const id = created.body.id as string;
    // The schema of the package is applied.
    expect((await api('pegawai.cuti', 'POST', '/api/v1/instances', { workflow: 'cuti', data: { ...data, kind: 'liburan' } })).status).toBe(422);
    // Only the line manager decides, and only after submission.
    expect((await api('atasan.cuti', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(409);
    expect((await api('pegawai.cuti', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).body).toMatchObject({ state: 'review' });
    expect((await api('pegawai.cuti', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(403);
    const tasks = await api('atasan.cuti', 'GET', '/api/v1/tasks');
    expect(tasks.body.items.map((t: { id: string }) => t.id)).toContain(id);
    expect((await api('atasan.cuti', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve', comment: 'Silakan' })).body).toMatchObject({ state: 'approved' });

    const other = await api('pegawai.cuti', 'POST', '/api/v1/instances', { workflow: 'cuti', data: { ...data, kind: 'alasan_penting' } });
    await api('pegawai.cuti', 'POST', `/api/v1/instances/${other.body.id}/events`, { type: 'submit' });
    expect((await api('atasan.cuti', 'POST', `/api/v1/instances/${other.body.id}/events`, { type: 'reject' })).status).toBe(422);
    expect((await api('atasan.cuti', 'POST', `/api/v1/instances/${other.body.id}/events`, { type: 'reject', comment: 'Jadwal pelayanan penuh' })).body).toMatchObject({ state: 'rejected' });

    // Each step's signed letter: the manager's decision is a PDF with a signature.
    const docs = await api('pegawai.cuti', 'GET', `/api/v1/instances/${id}/documents`);
    expect(docs.body.items.map((d: { title: string }) => d.title)).toEqual(['Surat Permohonan Cuti', 'Surat Izin Cuti']);
    const pdf = await api('pegawai.cuti', 'GET', `/api/v1/documents/${docs.body.items[1].id}`);
    expect(pdf.type).toBe('application/pdf');
    const bytes = pdf.body as Buffer;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.toString('latin1')).toMatch(/\/Type\s*\/Sig\b/);
    expect(bytes.toString('latin1')).toMatch(/\/ByteRange\s*\[/);
  });

  test('audit: the trail of the package\'s instances verifies on the server and from an exported file', async () => {
    const verified = await api('auditor.inspektorat', 'GET', '/api/v1/audit/verify');
    expect(verified.body).toMatchObject({ ok: true });
    // An export ends at the latest log checkpoint: checkpoint first.
    expect((await api('admin', 'POST', '/api/v1/log/checkpoint')).status).toBe(200);
    const exported = await api('auditor.inspektorat', 'GET', '/api/v1/audit/export?format=jsonl');
    expect(exported.status).toBe(200);
    const text = (exported.body as Buffer).toString('utf8');
    expect(text).toContain('"cuti"');
    const file = path.join(tmp, 'audit.jsonl');
    fs.writeFileSync(file, text);
    const key = (await api('auditor.inspektorat', 'GET', '/api/v1/audit/public-key')).body.base64 as string;
    // A bare key names no log: the CLI takes the log's name from the same settings as the server (PORT 0).
    const cli = grms(['audit', 'verify', '--file', file, '--log-key', key], { PORT: '0' });
    expect({ status: cli.status, out: cli.status === 0 ? '' : `${cli.stderr}${cli.stdout}` }).toEqual({ status: 0, out: '' });
    const report = JSON.parse(cli.stdout) as { ok: boolean; checked: number; log: { rowsProven: number } };
    expect(report.ok).toBe(true);
    // Every row, the cuti instances' six among them, is proven in the log.
    expect(report.checked).toBeGreaterThanOrEqual(6);
    expect(report.log.rowsProven).toBe(report.checked);
  });

  test('console: the instance page renders the package\'s instance', async () => {
    const list = await api('pegawai.cuti', 'GET', '/api/v1/instances?workflow=cuti');
    const id = list.body.items[0].id as string;
    const web = new ConsoleClient(server.url);
    expect((await web.signIn('admin', server.passwords.admin!)).status).toBe(303);
    const page = await web.get(`/instances/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Cuti');
    expect(page.text).toContain('2027-01-04');
  });

  test('a broken package stops the server at start, naming the package folder and the reason', async () => {
    server.child.kill('SIGKILL');
    await exited(server.child);
    // The command line knows the package's roles too (README, Adding a workflow).
    const granted = grms(['user', 'grant', 'atasan.cuti', 'cuti_pegawai', 'dinkes'], env);
    expect({ status: granted.status, stderr: granted.stderr }).toEqual({ status: 0, stderr: '' });
    const broken = path.join(tmp, 'packages', 'cuti', 'index.js');
    fs.writeFileSync(broken, fs.readFileSync(broken, 'utf8').replace("reject: 'Refuse leave' ", ''));
    const r = grms(['serve'], { ...env, PORT: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`grms: workflow package ${path.join(tmp, 'packages', 'cuti')}: v1: event reject has no en label (labels.en.events)`);
    expect(r.stderr).toContain('[WORKFLOW_PACKAGE_INVALID]');
  });
});
