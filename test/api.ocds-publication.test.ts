import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { PUBLIC_URL, startTestApp, type Reply, type TestApp } from './support/app';
import { demoUsernames, seedDemo } from '../src/seed/demo';
import { mintToken } from '../src/auth/tokens';
import { DEFAULT_OCID_PREFIX } from '../src/config';
import type { Payment } from '../workflows/procurement-delivery/money';
import { changeTagProblems, emptyFields, ocdsSchemas, partyRoleProblems, reviewReleases, tagProblems, type OcdsSchemas } from './support/ocds-review';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

/**
 * The demo contracts (workflows/procurement-delivery/demo.ts), one per state, published as OCDS: every
 * release, record and package validates against the official 1.1 schema and passes the ported
 * data-review checks, amounts are what was paid, documents' formats are what their URLs serve,
 * and the public routes answer without a token for signed contracts only.
 */
const DEMO = {
  awarded: 'Pembangunan Gedung UPTD Peralatan',
  inProgress: 'Rekonstruksi Jalan Ruas Gunungpati–Mijen Seksi 2',
  amended: 'Peningkatan Jalan Ruas Cangkiran–Gunungpati',
  terminated: 'Rehabilitasi Saluran Drainase Jalan Kaligawe',
  finished: 'Pemeliharaan Berkala Jalan Ruas Mangkang–Kendal',
  maintenance: 'Rekonstruksi Jalan Ruas Ngaliyan–Wonosari Seksi 1',
} as const;

const idr = (amount: number) => ({ amount, currency: 'IDR' });
const lastContract = (releases: Json[]) => releases.at(-1)!.contracts[0];

describeBackends('OCDS publication of the demo contracts', (kind) => {
  let app: TestApp;
  let schemas: OcdsSchemas | undefined;
  const contracts = new Map<string, { id: string; state: string; data: Json; ocid: string }>();
  /** A URL the publication names, fetched from this test's server instead. */
  const fetchNamed = async (url: string, headers: Record<string, string> = {}) => {
    expect(url.startsWith(PUBLIC_URL)).toBe(true);
    return fetch(app.url + url.slice(PUBLIC_URL.length), { headers });
  };
  const publicGet = (path: string): Promise<Reply> => app.call(undefined, 'GET', path);
  const ocdsOf = async (name: keyof typeof DEMO) => (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${contracts.get(DEMO[name])!.id}/ocds`)).body as Json;

  beforeAll(async () => {
    app = await startTestApp(kind, { seed: false });
    expect(await seedDemo(app.db.kysely, app.engine)).toEqual({ created: true });
    // The users came with the seed, after the app minted its tokens.
    for (const username of demoUsernames()) app.tokens[username] = await mintToken(app.db.kysely, username);
    schemas = ocdsSchemas();
    const rows = await app.db.kysely.selectFrom('workflow_instances').select(['id', 'state', 'data', 'title']).where('workflow', '=', 'procurement-delivery').execute();
    for (const r of rows) contracts.set(r.title, { id: r.id, state: r.state, data: r.data, ocid: `${DEFAULT_OCID_PREFIX}-${r.id}` });
  });
  afterAll(async () => {
    await app.close();
  });

  /** Schema and review of a release list (and its compiled release): every finding, none expected. */
  function check(releases: Json[], compiled?: Json): string[] {
    const schema = schemas ? [...releases, ...(compiled ? [compiled] : [])].flatMap((r) => schemas!.release(r).map((e) => `${r.id as string}: ${JSON.stringify(e)}`)) : [];
    return [...schema, ...reviewReleases(releases, compiled)];
  }

  test('the demo has a contract in each state', () => {
    expect(Object.fromEntries(Object.entries(DEMO).map(([k, name]) => [k, contracts.get(name)?.state]))).toEqual({
      awarded: 'awarded', inProgress: 'in_progress', amended: 'in_progress', terminated: 'terminated', finished: 'closed', maintenance: 'maintenance',
    });
  });

  test('every release of every demo contract validates against the OCDS 1.1 schema and passes the data-review checks', async () => {
    for (const name of Object.values(DEMO)) {
      const c = contracts.get(name)!;
      const pkg = (await app.call('ppk.pupr', 'GET', `/api/v1/instances/${c.id}/ocds`)).body as Json;
      if (schemas) expect({ name, errors: schemas.releasePackage(pkg) }).toEqual({ name, errors: [] });
      expect({ name, findings: check(pkg.releases) }).toEqual({ name, findings: [] });
      expect({ name, empty: emptyFields(pkg) }).toEqual({ name, empty: [] });
      // Releases are ordered, one per published event, and the package dates from the newest.
      expect(pkg.releases.map((r: Json) => r.ocid)).toEqual(pkg.releases.map(() => c.ocid));
      expect(pkg.publishedDate).toBe(pkg.releases.at(-1).date);
      // Amounts as paid: met termins at the gross approved, transactions at what the SP2D transferred.
      const payments = c.data.payments as Payment[];
      const last = pkg.releases.at(-1);
      const contract = last.contracts?.[0];
      if (!contract) continue;
      for (const [i, m] of (contract.milestones as Json[]).entries()) {
        const paid = payments.find((p) => p.kind === 'termin' && p.termin === i + 1);
        if (paid) expect({ name, m }).toEqual({ name, m: expect.objectContaining({ status: 'met', value: idr(paid.gross), dateMet: paid.paidAt }) });
        else expect({ name, status: m.status }).toEqual({ name, status: c.state === 'terminated' || c.state === 'closed' ? 'notMet' : 'scheduled' });
      }
      expect((contract.implementation?.transactions ?? []).map((t: Json) => t.value)).toEqual(payments.map((p) => idr(p.net)));
    }
  });

  test('awarded: an award release only, not published without a token', async () => {
    const pkg = await ocdsOf('awarded');
    expect(pkg.releases.map((r: Json) => r.tag)).toEqual([['award']]);
    const [release] = pkg.releases;
    expect(release.contracts).toBeUndefined();
    expect(release.tender).toEqual({
      id: expect.any(String), title: DEMO.awarded, status: 'complete', procurementMethod: 'open',
      procurementMethodDetails: expect.stringContaining('SPSE'), procuringEntity: { id: 'pupr', name: expect.any(String) },
    });
    expect(release.awards).toEqual([expect.objectContaining({ status: 'active', value: idr(1_180_000_000), suppliers: [{ id: 'cv-maju', name: 'CV Maju Jaya Konstruksi' }] })]);
    expect(release.parties.map((p: Json) => [p.id, p.roles])).toEqual([['pupr', ['buyer', 'procuringEntity']], ['cv-maju', ['supplier']]]);
    const ocid = contracts.get(DEMO.awarded)!.ocid;
    for (const path of [`/api/v1/ocds/${ocid}/releases`, `/api/v1/ocds/${ocid}/record`]) {
      const res = await publicGet(path);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 404, type: expect.stringContaining('application/problem+json') });
    }
  });

  test('in progress: termins paid are met at their gross, SP2D transfers are transactions, payer and payee roles follow', async () => {
    const { releases } = await ocdsOf('inProgress');
    expect(releases.map((r: Json) => r.tag)).toEqual([
      ['award'], ['contract'], ['implementation'], ['implementation'], ['implementation'], ['implementation'], ['implementation'],
    ]);
    const contract = lastContract(releases);
    expect(contract.milestones.map((m: Json) => [m.status, m.value.amount])).toEqual([['met', 450_000_000], ['met', 450_000_000], ['scheduled', 600_000_000]]);
    expect(contract.implementation.transactions.map((t: Json) => [t.value.amount, t.payer.id, t.payee.id])).toEqual([[427_500_000, 'pupr', 'cv-maju'], [427_500_000, 'pupr', 'cv-maju']]);
    expect(releases.at(-1).parties.map((p: Json) => [p.id, p.roles])).toEqual([['pupr', ['buyer', 'procuringEntity', 'payer']], ['cv-maju', ['supplier', 'payee']]]);
    // Before the first payment nobody is payer or payee yet.
    expect(releases[2].parties.map((p: Json) => p.roles)).toEqual([['buyer', 'procuringEntity'], ['supplier']]);
    expect(releases[2].contracts[0].implementation).toEqual({ documents: expect.any(Array) });
  });

  test('amended: the paid termin keeps what was paid; the addendum points at the releases before and after it', async () => {
    const { releases } = await ocdsOf('amended');

    expect(releases.map((r: Json) => r.tag)).toEqual([['award'], ['contract'], ['implementation'], ['implementation'], ['contractAmendment'], ['implementation']]);
    const contract = lastContract(releases);
    // 40 % of 850 million was paid before the value became 900 million.
    expect(contract.milestones.map((m: Json) => [m.status, m.value.amount])).toEqual([['met', 340_000_000], ['scheduled', 540_000_000]]);
    expect(contract.value).toEqual(idr(900_000_000));
    expect(contract.amendments).toEqual([{
      id: 'adendum-1', date: expect.any(String), rationale: expect.stringMatching(/^Adendum I/),
      description: expect.stringContaining('Rp 850.000.000 menjadi Rp 900.000.000'),
      amendsReleaseID: releases[3].id, releaseID: releases[4].id,
    }]);
    expect(releases[3].contracts[0].value).toEqual(idr(850_000_000));
    expect(releases[4].contracts[0].value).toEqual(idr(900_000_000));
    expect(releases[4].contracts[0].period.endDate > releases[3].contracts[0].period.endDate).toBe(true);
    expect(releases[3].contracts[0].amendments).toBeUndefined();
    expect(contract.documents.filter((d: Json) => d.documentType === 'contractAnnexe')).toHaveLength(1);
    // The amendments array carries no deprecated `changes`.
    expect('changes' in contract.amendments[0]).toBe(false);
  });

  test('terminated: a contractTermination release, unpaid termins notMet, the reason on the termination document', async () => {
    const { releases } = await ocdsOf('terminated');
    expect(releases.at(-1).tag).toEqual(['contractTermination']);
    const contract = lastContract(releases);
    expect(contract.status).toBe('terminated');
    expect(contract.milestones.map((m: Json) => [m.status, m.value.amount])).toEqual([['met', 180_000_000], ['notMet', 180_000_000], ['notMet', 240_000_000]]);
    const termination = contract.documents.find((d: Json) => d.documentType === 'cancellationDetails');
    expect(termination.description).toContain('Alasan pemutusan: Wanprestasi');
    // Before it, the contract was active with its termins scheduled.
    expect(releases.at(-2).contracts[0]).toMatchObject({ status: 'active', milestones: [{ status: 'met' }, { status: 'scheduled' }, { status: 'scheduled' }] });
  });

  test('finished: every termin and the retention paid, the last release ends the contract', async () => {
    const { releases } = await ocdsOf('finished');
    expect(releases.at(-1).tag).toEqual(['implementation', 'contractTermination']);
    const contract = lastContract(releases);
    expect(contract.status).toBe('terminated');
    expect(contract.milestones.map((m: Json) => m.status)).toEqual(['met', 'met']);
    const paid = contract.implementation.transactions.map((t: Json) => t.value.amount);
    expect(paid).toEqual([451_250_000, 451_250_000, 47_500_000]);
    expect(paid.reduce((a: number, b: number) => a + b, 0)).toBe(950_000_000);
    // BAST and FHO, each a PDF entry and its signature record.
    expect(contract.implementation.documents.filter((d: Json) => d.documentType === 'completionCertificate').map((d: Json) => d.title)).toEqual([
      expect.stringMatching(/^Berita Acara Serah Terima Pertama/), expect.stringMatching(/^Berita Acara Serah Terima Akhir/),
    ]);
    expect(releases.slice(0, -1).some((r: Json) => r.tag.includes('contractTermination'))).toBe(false);
  });

  test('published contracts: public release and record packages whose uri serves them, equal to what a token reads', async () => {
    for (const name of Object.values(DEMO).filter((n) => n !== DEMO.awarded)) {
      const c = contracts.get(name)!;
      const own = (await app.call('ppk.pupr', 'GET', `/api/v1/instances/${c.id}/ocds`)).body as Json;
      const res = await publicGet(`/api/v1/ocds/${c.ocid}/releases`);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      const pkg = res.body as Json;
      expect(pkg.uri).toBe(`${PUBLIC_URL}/api/v1/ocds/${c.ocid}/releases`);
      expect(pkg.releases).toEqual(own.releases);
      expect(await (await fetchNamed(pkg.uri)).json()).toEqual(pkg);
      if (schemas) expect({ name, errors: schemas.releasePackage(pkg) }).toEqual({ name, errors: [] });

      const record = (await publicGet(`/api/v1/ocds/${c.ocid}/record`)).body as Json;
      expect(record).toMatchObject({ uri: `${PUBLIC_URL}/api/v1/ocds/${c.ocid}/record`, version: '1.1', packages: [pkg.uri], publishedDate: pkg.publishedDate });
      expect(await (await fetchNamed(record.uri)).json()).toEqual(record);
      expect(record.records).toHaveLength(1);
      const [{ ocid, releases, compiledRelease }] = record.records;
      expect(ocid).toBe(c.ocid);
      expect(releases).toEqual(pkg.releases);
      expect({ name, findings: check(releases, compiledRelease) }).toEqual({ name, findings: [] });
      expect(emptyFields(record)).toEqual([]);
      // The compiled release is the latest state: the last release merged over the earlier ones.
      const { id: _id, tag: _tag, ...latest } = releases.at(-1);
      expect(compiledRelease).toMatchObject({ ...latest, tag: ['compiled'] });
      expect(compiledRelease.id).not.toBe(releases.at(-1).id);
    }
  });

  test('documents: a PDF entry without a public URL, and the signature record whose URL serves JSON as its format says', async () => {
    const { releases } = await ocdsOf('terminated');
    const contract = lastContract(releases);
    const documents: Json[] = [...contract.documents, ...contract.implementation.documents];
    expect(documents.length).toBeGreaterThan(0);
    const pdfs = documents.filter((d) => d.format === 'application/pdf');
    expect(pdfs.length * 2).toBe(documents.length);
    for (const pdf of pdfs) {
      expect(pdf.url).toBeUndefined();
      const record = documents.find((d) => d.id === `${pdf.id}-tanda-tangan`)!;
      expect(record).toMatchObject({ format: 'application/json', url: `${PUBLIC_URL}/verify/${pdf.id}` });
      const res = await fetchNamed(record.url);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const facts = (await res.json()) as Json;
      // The record names the very PDF the parties hold.
      const download = await fetch(`${app.url}/api/v1/documents/${pdf.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
      const bytes = Buffer.from(await download.arrayBuffer());
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      expect(facts.sha256).toBe(sha256);
      expect(pdf.description).toContain(sha256);
    }
    // Each SP2D transaction points at the public record of its SP2D document.
    for (const t of contract.implementation.transactions) {
      const res = await fetchNamed(t.uri);
      expect(((await res.json()) as Json).title).toMatch(/SP2D/);
    }
  });

  test('the public index lists the signed contracts page by page; unknown and malformed ocids are 404', async () => {
    const published = Object.values(DEMO).filter((n) => n !== DEMO.awarded).map((n) => contracts.get(n)!.ocid);
    const all = (await publicGet('/api/v1/ocds?limit=200')).body as Json;
    expect(all.nextCursor).toBeNull();
    expect(new Set(all.items.map((i: Json) => i.ocid))).toEqual(new Set(published));
    for (const item of all.items) {
      expect(item).toEqual({ ocid: item.ocid, title: expect.any(String), releases: `${PUBLIC_URL}/api/v1/ocds/${item.ocid}/releases`, record: `${PUBLIC_URL}/api/v1/ocds/${item.ocid}/record` });
    }
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = (await publicGet(`/api/v1/ocds?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body as Json;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i: Json) => i.ocid));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.items.map((i: Json) => i.ocid));
    const bad = await publicGet('/api/v1/ocds?cursor=%%%');
    expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 400, code: 'BAD_REQUEST' });
    for (const ocid of [`${DEFAULT_OCID_PREFIX}-${crypto.randomUUID()}`, 'ocds-zzzzzz-other-1', published[0]!.toUpperCase(), `${DEFAULT_OCID_PREFIX}-${contracts.get(DEMO.awarded)!.id}`]) {
      expect((await publicGet(`/api/v1/ocds/${encodeURIComponent(ocid)}/releases`)).status).toBe(404);
    }
    // Not a contract: a budget proposal's id under the prefix.
    const proposal = await app.db.kysely.selectFrom('workflow_instances').select('id').where('workflow', '=', 'budget-proposal').executeTakeFirstOrThrow();
    expect((await publicGet(`/api/v1/ocds/${DEFAULT_OCID_PREFIX}-${proposal.id}/record`)).status).toBe(404);
  });

  test('the review checks catch what issue 17 found', async () => {
    const { releases } = await ocdsOf('inProgress');
    const paid = releases.at(-1);
    const contract = paid.contracts[0];
    // An implementation tag over an empty implementation, and empty arrays.
    const emptyImpl = { ...releases[1], tag: ['contract', 'implementation'], contracts: [{ ...releases[1].contracts[0], amendments: [], implementation: { transactions: [] } }] };
    expect(tagProblems(emptyImpl)).toEqual(['tag implementation without the data it names']);
    expect(emptyFields(emptyImpl)).toEqual(['/contracts/0/amendments', '/contracts/0/implementation/transactions']);
    // A payer without the payer role.
    const noPayer = { ...paid, parties: paid.parties.map((p: Json) => ({ ...p, roles: p.roles.filter((r: string) => r !== 'payer') })) };
    expect(partyRoleProblems(noPayer)).toEqual(expect.arrayContaining([expect.stringContaining('as payer')]));
    // A termination without its tag; a payment release without the implementation tag.
    const ended = { ...paid, contracts: [{ ...contract, status: 'terminated' }] };
    expect(changeTagProblems(paid, ended)).toEqual(['contracts changed without a contract tag']);
    expect(changeTagProblems(releases.at(-3), { ...releases.at(-2), tag: ['contractUpdate'] })).toEqual(['implementation changed without a implementation tag']);
    // And the schema: a milestone status outside the closed codelist.
    if (schemas) expect(schemas.release({ ...paid, contracts: [{ ...contract, milestones: [{ id: 'x', status: 'paid' }] }] })).not.toEqual([]);
  });
});

describeBackends('the public OCDS routes are limited per client', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind, { seed: false, config: { ocdsRate: { limit: 2, windowSeconds: 300 } } });
  });
  afterAll(async () => {
    await app.close();
  });

  test('beyond the limit: 429 problem with Retry-After, for the index and the packages alike', async () => {
    expect((await app.call(undefined, 'GET', '/api/v1/ocds')).status).toBe(200);
    expect((await app.call(undefined, 'GET', `/api/v1/ocds/${DEFAULT_OCID_PREFIX}-${crypto.randomUUID()}/record`)).status).toBe(404);
    const refused = await app.call(undefined, 'GET', '/api/v1/ocds');
    expect({ status: refused.status, code: refused.body.code, type: refused.headers.get('content-type') })
      .toEqual({ status: 429, code: 'TOO_MANY_REQUESTS', type: expect.stringContaining('application/problem+json') });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await app.call(undefined, 'GET', `/api/v1/ocds/${DEFAULT_OCID_PREFIX}-${crypto.randomUUID()}/releases`)).status).toBe(429);
    // A token changes nothing on a public route: the address is what is counted.
    expect((await app.call('ppk.pupr', 'GET', '/api/v1/ocds')).status).toBe(429);
  });
});
