import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderDocumentPdf } from '../src/documents/render';
import type { DocumentContent } from '../src/documents/content';
import { firstUnprintable } from '../src/documents/printable';
import { describeWithTools } from './support/pdf-tools';

/**
 * The text layout on its own (no database): whatever text reached the database — before the input
 * rule, or past a future gap in it — a document is still made, and what can be shown reads back.
 */

const id = '0b9f3c1e-5a8d-4c1b-9e7f-2d6a4b8c0e1f';
function content(over: Partial<DocumentContent>): DocumentContent {
  return {
    government: 'PEMERINTAH KOTA SEMARANG', orgName: 'Dinas Kesehatan', title: 'Surat Pengantar RKA', number: '900/0001/DINKES/2026', documentId: id,
    verifyUrl: `https://grms.semarangkota.example/verify/${id}`, place: 'Semarang', issuedAt: new Date('2026-11-25T02:00:00Z'), timezone: 'Asia/Jakarta',
    workflow: 'Usulan RKA', instanceTitle: 'Posyandu', history: [], signer: { name: 'Sri Wahyuni, S.K.M.', position: 'Perencana', orgName: 'Dinas Kesehatan' },
    ...over,
  };
}

function rawText(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-layout-'));
  try {
    fs.writeFileSync(path.join(dir, 'd.pdf'), pdf);
    const r = spawnSync('pdftotext', ['-raw', '-enc', 'UTF-8', path.join(dir, 'd.pdf'), '-'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.replace(/[\u202a-\u202e]/g, '').replace(/\s+/g, ' ');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const line = (description: string, unit = 'paket') => ({ account: '5.1.02.01.01.0024', description, volume: 1, unit, unitPrice: 1000, amount: 1000 });

describeWithTools('document text layout', ['pdftotext'], () => {
  test('text the input rule refuses today (stored earlier) and marks without a letter still render', async () => {
    const refused = ['Posyandu 🏥', 'Rp \u202e000.1\u202c', 'מרכז בריאות', 'a\u200bb', 'x\u0007y'];
    for (const text of refused) expect(firstUnprintable(text)).toBeDefined();
    // Accepted, though the shaper cannot place them on a letter: a lone pangkon or cakra, a doubled pangkon.
    const marks = ['꧀', 'ꦿ', 'ꦏ꧀꧀', 'ꦏꦿꦿ'];
    for (const text of marks) expect(firstUnprintable(text)).toBeUndefined();
    const odd = [...refused, ...marks];
    const pdf = await renderDocumentPdf(content({ instanceTitle: odd.join(' '), lines: odd.map((t) => line(t, t)), comment: odd.join('\n') }));
    expect(rawText(pdf)).toContain('Surat Pengantar RKA');
  });

  test('right-to-left lines with digits and brackets read back word by word; a Javanese word longer than its cell wraps between graphemes', async () => {
    const javanese = 'ꦲꦏ꧀ꦱꦫꦗꦮ'.repeat(4);
    const pdf = await renderDocumentPdf(content({
      instanceTitle: 'Posyandu',
      lines: [line(javanese), line('سنة 2027 (الميلادية)'), line('مسجد الهدى، Semarang')],
      comment: 'الميزانية لسنة ٢٠٢٧ هي 1.250.000 روبية',
    }));
    const text = rawText(pdf);
    // The long word is cut into lines of whole graphemes: joined again, it is the word.
    expect(text.replace(/ /g, '')).toContain(javanese);
    // pdftotext orders the pieces of a right-to-left line by its own rules; each piece reads right.
    for (const words of ['الميلادية', 'سنة', 'روبية', 'الميزانية', '1.250.000', '2027', '٢٠٢٧', 'مسجد الهدى', 'Semarang']) expect(text).toContain(words);
  });

  test('a cell cut at its line limit ends in an ellipsis, in any script', async () => {
    const arabic = Array.from({ length: 200 }, () => 'مركز صحي').join(' ');
    const pdf = await renderDocumentPdf(content({ lines: [line(arabic), line('ꦥꦸꦱ꧀ꦏꦼꦱ꧀ꦩꦱ꧀ '.repeat(200))] }));
    const text = rawText(pdf);
    expect(text.match(/…/g)?.length).toBe(2);
    expect(text.length).toBeLessThan(arabic.length);
  });
});
