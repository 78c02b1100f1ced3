import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { describeWithPdfTools, pdfPages, pdftotext } from './support/pdf-tools';
import { MAX_COMMENT_LENGTH } from '../src/engine/comment-rules';
import { DOCUMENT_BOUNDS } from '../src/documents/content';

/**
 * The most pages a budget proposal's stage document can have. Its 1,000 lines (the schema's
 * maximum) print at most 8 text lines each (Noto Sans at 8 pt: 93 pt a row, 7 rows a page): 143
 * pages. The rest is bounded by DOCUMENT_BOUNDS and the comment limit, whatever the history: the
 * heading table, 20 history rows with clipped comments, 3 comments and the signed event's comment
 * in full, the signature: under 9 pages with 200-character names. (150 in this test.)
 */
const MAX_PAGES = 152;

/** Text of `length` characters that starts and ends with a marker pdftotext can find. */
const marked = (start: string, end: string, length: number) => {
  const filler = 'Mohon diperiksa kembali rincian belanja dan volume keluaran. ';
  return `${start} ${filler.repeat(Math.ceil(length / filler.length))}`.slice(0, length - end.length - 1) + ` ${end}`;
};

/** A proposal at the schema's limits that still fits one JSON request body (1 MB). */
function largestProposal(): Record<string, unknown> {
  const base = proposal();
  const words = 'Belanja makan minum rapat koordinasi kader posyandu tingkat kelurahan ';
  return {
    ...base,
    title: 'J'.repeat(500),
    subKegiatan: { ...(base.subKegiatan as object), name: 'Pelayanan kesehatan ibu hamil '.repeat(20).slice(0, 500) },
    output: { indicator: 'Cakupan pelayanan '.repeat(30).slice(0, 500), target: 999_999_999, unit: 'U'.repeat(100) },
    lines: Array.from({ length: 1000 }, () => ({
      account: '5.1.02.01.01.0024', description: words.repeat(12).slice(0, 800), volume: 1, unit: 'kotak'.repeat(20), unitPrice: 1000,
    })),
  };
}

describeWithPdfTools('stage documents stay bounded whatever the history', () => {
  describeBackends('budget proposal at its limits', (kind) => {
    let app: TestApp;
    beforeAll(async () => {
      // Enough comments per person to write a long discussion in one test.
      app = await startTestApp(kind, { config: { comments: { perUser: 100, windowSeconds: 3600, attachmentQuotaBytes: 1024 * 1024 } } });
    });
    afterAll(() => app.close());

    test(`the longest history, comments and lines: at most ${MAX_PAGES} pages (pdfinfo); the latest comments in full, the rest counted`, async () => {
      const planner = (method: string, path: string, body?: unknown) => app.call('perencana.dinkes', method, path, body);
      const id = (await planner('POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
      // 26 updates, each with a comment at the limit: more transitions than the table prints.
      for (let i = 0; i < 25; i++) {
        const r = await planner('POST', `/api/v1/instances/${id}/events`, { type: 'update', data: proposal(), comment: marked(`PERUBAHAN${i}`, 'UBAHAKHIR', MAX_COMMENT_LENGTH) });
        expect(r.status).toBe(200);
      }
      const largest = largestProposal();
      expect(JSON.stringify({ type: 'update', data: largest }).length).toBeLessThan(1024 * 1024 - 20_000);
      expect((await planner('POST', `/api/v1/instances/${id}/events`, { type: 'update', data: largest, comment: marked('PERUBAHANBESAR', 'UBAHAKHIR', MAX_COMMENT_LENGTH) })).status).toBe(200);
      // 12 comments at the limit, from two people.
      for (let i = 10; i < 22; i++) {
        const user = i % 2 ? 'kadis.dinkes' : 'perencana.dinkes';
        expect((await app.call(user, 'POST', `/api/v1/instances/${id}/comments`, { comment: marked(`KOMENTAR${i}`, `AKHIR${i}X`, MAX_COMMENT_LENGTH) })).status).toBe(201);
      }
      const submitted = await planner('POST', `/api/v1/instances/${id}/events`, { type: 'submit', comment: marked('PENGANTAR', 'PENGANTARAKHIR', MAX_COMMENT_LENGTH) });
      expect(submitted.status).toBe(200);

      const [doc] = (await planner('GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string }>;
      const res = await fetch(`${app.url}/api/v1/documents/${doc!.id}`, { headers: { authorization: `Bearer ${app.tokens['perencana.dinkes']}` } });
      const pdf = Buffer.from(await res.arrayBuffer());
      const pages = pdfPages(pdf);
      expect(pages).toBeLessThanOrEqual(MAX_PAGES);
      // Not trivially small: the lines are all there.
      expect(pages).toBeGreaterThan(50);

      const text = pdftotext(pdf).replace(/\s+/g, ' ');
      // Booleans, not toContain: a failing toContain would print the whole document.
      const shows = (part: string, present = true) => expect({ part, present: text.includes(part) }).toEqual({ part, present });
      // The latest comments in full (start and end), earlier ones only counted.
      for (const i of [19, 20, 21]) {
        shows(`KOMENTAR${i}`);
        shows(`AKHIR${i}X`);
      }
      shows('KOMENTAR18', false);
      shows(`${12 - DOCUMENT_BOUNDS.fullComments} catatan sebelumnya tidak dicetak`);
      // The latest transitions, their comments clipped; the signed event's comment in full.
      const transitions = 1 + 26; // create and the updates, before the submit
      shows(`${transitions - (DOCUMENT_BOUNDS.historyRows - 1)} peristiwa sebelumnya tidak dicetak`);
      shows('PERUBAHANBESAR');
      shows('PERUBAHAN5 ', false);
      shows('UBAHAKHIR', false);
      shows('PENGANTARAKHIR');
      shows('1000 5.1.02.01.01.0024');
      shows('JUMLAH Rp 1.000.000');
    });
  });
});
