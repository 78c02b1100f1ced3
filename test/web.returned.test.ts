import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD, type PageReply } from './support/web';
import { proposal, YEAR, PROPOSAL_TOTAL } from './support/proposals';
import { firstVersion, formFields, secondVersion, SECOND_TOTAL } from './support/returned';
import { setPassword } from '../src/auth/passwords';
import { formatRupiah } from '../src/documents/format';

/**
 * A returned proposal in the console: the planner's inbox marks it with who returned it, when and
 * their note, and so does the top of its edit form; once sent again, the reviewers see what changed
 * since the previous submission, line by line; TAPD sees the OPD's remaining ceiling before
 * approving, as the ceiling rule computes it.
 */
describeBackends('returned proposals in the console', (kind) => {
  let app: TestApp;
  let planner: ConsoleClient;
  let head: ConsoleClient;
  let tapd: ConsoleClient;
  let id = '';
  const NOTE = 'Harga satuan ATK di atas standar biaya; baris makanan tambahan dipindah ke sub kegiatan gizi.';
  const versionOf = (page: PageReply) => /name="(?:_)?version" value="(\d+)"/.exec(page.text)![1]!;
  const signedIn = async (username: string) => {
    const c = new ConsoleClient(app.url);
    expect((await c.signIn(username, TEST_PASSWORD)).status).toBe(303);
    return c;
  };
  /** The inbox row (or the list item) of the instance, from <tr to </tr>. */
  const rowOf = (text: string, instance: string) => {
    const at = text.indexOf(`href="/instances/${instance}"`);
    expect(at).toBeGreaterThan(-1);
    return text.slice(text.lastIndexOf('<tr', at), text.indexOf('</tr>', at));
  };
  const fire = async (c: ConsoleClient, event: string, comment = '') => {
    const page = await c.get(`/instances/${id}`);
    const res = await c.post(`/instances/${id}/events`, { event, comment, version: versionOf(page) }, page);
    expect([res.status, res.location]).toEqual([303, `/instances/${id}?done=${event}`]);
  };

  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of ['perencana.dinkes', 'kadis.dinkes', 'verifikator.bappeda', 'tapd.sekda']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    // Another Dinkes proposal approved by TAPD: it already takes part of the ceiling.
    const other = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Sudah disetujui' }) })).body.id as string;
    for (const [who, type] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve']]) {
      expect((await app.call(who, 'POST', `/api/v1/instances/${other}/events`, { type })).status).toBe(200);
    }
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: firstVersion() });
    expect(created.status).toBe(201);
    id = created.body.id as string;
    planner = await signedIn('perencana.dinkes');
    head = await signedIn('kadis.dinkes');
    tapd = await signedIn('tapd.sekda');
  });
  afterAll(() => app.close());

  test('a first submission shows no changes; the head returns it with a note', async () => {
    await fire(planner, 'submit');
    const page = await head.get(`/instances/${id}`);
    expect(page.text).not.toContain('id="h-changes"');
    expect(page.text).not.toContain('class="returned"');
    await fire(head, 'return', NOTE);
  });

  test('the planner\'s inbox marks it returned, by whom and when, with the note; the edit form opens with the note', async () => {
    const returnedAt = (await sql<{ created_at: Date }>`SELECT created_at FROM audit_events WHERE instance_id = ${id} AND event = 'return'`.execute(app.db.kysely)).rows[0]!.created_at;
    const date = new Intl.DateTimeFormat('id-ID', { timeZone: 'Asia/Jakarta', day: 'numeric', month: 'long', year: 'numeric' }).format(returnedAt);
    const inbox = await planner.get('/inbox');
    expect(inbox.status).toBe(200);
    const row = rowOf(inbox.text, id);
    expect(row).toContain('data-returned="true"');
    expect(row).toMatch(new RegExp(`<strong>Dikembalikan oleh dr\\. Bambang Suryanto, M\\.Kes\\., Kepala Dinas Kesehatan — ${date} \\d{2}\\.\\d{2} WIB</strong>`));
    expect(row).toContain(`<blockquote class="return-note">${NOTE}</blockquote>`);
    // Nothing else in the inbox is marked: the other proposal was never returned.
    expect(inbox.text.match(/data-returned="true"/g)).toHaveLength(1);

    const form = await planner.get(`/instances/${id}/events/update`);
    expect(form.status).toBe(200);
    const note = form.text.indexOf(`<blockquote class="return-note">${NOTE}</blockquote>`);
    expect(note).toBeGreaterThan(-1);
    expect(note).toBeLessThan(form.text.indexOf('<form method="post" action="/instances/'));
    expect(form.text).toContain('<h2 id="h-returned">Dikembalikan oleh dr. Bambang Suryanto, M.Kes., Kepala Dinas Kesehatan — ');
    // The instance page says it too; in English, the console's words are English.
    expect((await planner.get(`/instances/${id}`)).text).toContain(`<blockquote class="return-note">${NOTE}</blockquote>`);
    await planner.get('/inbox?lang=en');
    const english = rowOf((await planner.get('/inbox')).text, id);
    expect(english).toContain('<strong>Returned by dr. Bambang Suryanto, M.Kes., Kepala Dinas Kesehatan — ');
    expect(english).toContain('Return note:');
    await planner.get('/inbox?lang=id');
  });

  test('edited through the form and sent again, the head sees what changed, line by line, with rupiah the Indonesian way', async () => {
    const form = await planner.get(`/instances/${id}/events/update`);
    const saved = await planner.post(`/instances/${id}/events/update`, { ...formFields(secondVersion()), _comment: '', _version: versionOf(form), _action: 'save' }, form);
    expect([saved.status, saved.text.slice(0, 1500)]).toEqual([303, expect.anything()]);
    // Still returned while being edited: the mark goes only with the new submission.
    expect(rowOf((await planner.get('/inbox')).text, id)).toContain('data-returned="true"');
    await fire(planner, 'submit');
    expect(Number((await sql<{ total: string }>`SELECT total FROM workflow_instances WHERE id = ${id}`.execute(app.db.kysely)).rows[0]!.total)).toBe(SECOND_TOTAL);
    const stored = await sql<{ n: string }>`SELECT count(*) AS n FROM submitted_data WHERE instance_id = ${id}`.execute(app.db.kysely);
    expect(Number(stored.rows[0]!.n)).toBe(2);
    // What was submitted stays as it was submitted.
    await expect(sql`UPDATE submitted_data SET data = '{}'::jsonb WHERE instance_id = ${id}`.execute(app.db.kysely)).rejects.toThrow(/append-only/);
    expect(rowOf((await head.get('/inbox')).text, id)).not.toContain('data-returned');

    const page = await head.get(`/instances/${id}`);
    expect(page.text).toContain('<h2 id="h-changes">Perubahan sejak pengajuan sebelumnya</h2>');
    const rows = [...page.text.slice(page.text.indexOf('<table class="diff">'), page.text.indexOf('</table>', page.text.indexOf('<table class="diff">')))
      .matchAll(/<tr class="diff-(\w+)">\s*<th scope="row" title="[^"]*">(.*?)<\/th>\s*<td data-label="Sebelumnya">(.*?)<\/td>\s*<td data-label="Sekarang">(.*?)<\/td>/gs)]
      .map((m) => [m[1], m[2]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(), m[3]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(), m[4]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()]);
    expect(rows).toEqual([
      ['changed', 'Judul', 'Kelas Ibu Hamil Tembalang', 'Kelas Ibu Hamil Tembalang (revisi)'],
      ['changed', 'Keluaran › Target', '12.500', '13.000'],
      ['changed', 'Rincian belanja › Baris 1 › Harga satuan', 'Rp 185.000', 'Rp 175.000'],
      ['changed', 'Rincian belanja › Baris 1 › Jumlah', 'Rp 46.250.000', 'Rp 43.750.000'],
      ['removed', 'Rincian belanja › Baris 2 dihapus',
        'Kode rekening: 5.1.02.01.01.0052 Uraian: Makanan tambahan ibu hamil kurang energi kronis Volume: 1.200,5 Satuan: paket Harga satuan: Rp 45.750 Jumlah: Rp 54.922.875', '—'],
      ['added', 'Rincian belanja › Baris 3 ditambahkan', '—',
        'Kode rekening: 5.1.02.01.01.0026 Uraian: Bahan cetak leaflet gizi ibu hamil Volume: 500 Satuan: lembar Harga satuan: Rp 2.500 Jumlah: Rp 1.250.000'],
      ['changed', 'Total', formatRupiah(PROPOSAL_TOTAL), formatRupiah(SECOND_TOTAL)],
    ]);
    // Amounts the Indonesian way in the English console too; labels and headers in English.
    await head.get(`/instances/${id}?lang=en`);
    const en = (await head.get(`/instances/${id}`)).text;
    expect(en).toContain('<h2 id="h-changes">Changes since the previous submission</h2>');
    expect(en).toMatch(/<th scope="row" title="\/lines\/0\/unitPrice">Budget lines › Row 1 › Unit price<\/th>\s*<td data-label="Before"><del>Rp 185\.000<\/del><\/td>\s*<td data-label="Now"><ins>Rp 175\.000<\/ins><\/td>/);
    await head.get(`/instances/${id}?lang=id`);
  });

  test('TAPD sees the OPD\'s ceiling, what is committed and what remains after this proposal, beside "Setujui"', async () => {
    await fire(head, 'approve');
    expect((await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' })).status).toBe(200);
    // The head no longer acts: no ceiling for them.
    expect((await head.get(`/instances/${id}`)).text).not.toContain('id="h-ceiling"');
    const { ceiling, committed } = (await sql<{ ceiling: string; committed: string }>`
      SELECT (SELECT amount FROM ceilings WHERE org_id = 'dinkes' AND fiscal_year = ${YEAR}) AS ceiling,
        (SELECT coalesce(sum(total), 0) FROM workflow_instances WHERE workflow = 'budget-proposal' AND org_id = 'dinkes'
          AND fiscal_year = ${YEAR} AND state IN ('approved', 'ratified') AND id <> ${id}) AS committed`.execute(app.db.kysely)).rows[0]!;
    expect(Number(committed)).toBeGreaterThanOrEqual(PROPOSAL_TOTAL);
    const remaining = Number(ceiling) - Number(committed) - SECOND_TOTAL;
    const page = await tapd.get(`/instances/${id}`);
    expect(page.text).toContain('<h2 id="h-ceiling">Pagu Dinas Kesehatan tahun ' + YEAR + '</h2>');
    expect(page.text).toContain(`<dd id="ceiling-amount">${formatRupiah(Number(ceiling))}</dd>`);
    expect(page.text).toContain(`<dd id="ceiling-committed">${formatRupiah(Number(committed))}</dd>`);
    expect(page.text).toContain(`<dd class="remaining" id="ceiling-remaining">${formatRupiah(remaining)}</dd>`);
    // It stands right before the actions, where "Setujui" is; TAPD sees the changes too.
    const at = page.text.indexOf('id="h-ceiling"');
    expect(at).toBeLessThan(page.text.indexOf('<h2 id="h-actions">'));
    expect(page.text.slice(at, page.text.indexOf('<h2 id="h-actions">'))).not.toContain('<section aria-labelledby="h-data">');
    expect(page.text).toMatch(/<button type="submit" name="event" value="approve">Setujui<\/button>/);
    expect(page.text).toContain('id="h-changes"');
    // After approving, the figure is spent: the remaining ceiling of the next approval counts this one.
    await fire(tapd, 'approve');
    const after = (await sql<{ used: string }>`SELECT coalesce(sum(total), 0) AS used FROM workflow_instances WHERE workflow = 'budget-proposal'
      AND org_id = 'dinkes' AND fiscal_year = ${YEAR} AND state IN ('approved', 'ratified')`.execute(app.db.kysely)).rows[0]!;
    expect(Number(after.used)).toBe(Number(committed) + SECOND_TOTAL);
    expect((await tapd.get(`/instances/${id}`)).text).not.toContain('id="h-ceiling"');
  });
});
