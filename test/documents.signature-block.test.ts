import { describeWithPdfTools, pdftotextPages } from './support/pdf-tools';
import { renderDocumentPdf } from '../src/documents/render';
import type { DocumentContent } from '../src/documents/content';

/**
 * The signature block is never alone on a page: whatever the length of what it signs, the page
 * that carries it also carries the end of the document's content (here the budget table's total
 * row). Checked on every length from one line to two full pages, read back with pdftotext.
 */
const content = (lines: number): DocumentContent => ({
  government: 'Pemerintah Kota Semarang', orgName: 'Badan Pengelolaan Keuangan dan Aset Daerah', title: 'DPA-SKPD', number: '900/0042/BPKAD/2027',
  documentId: '00000000-0000-4000-8000-000000000000', verifyUrl: 'https://grms.semarangkota.example/verify/00000000-0000-4000-8000-000000000000',
  place: 'Semarang', issuedAt: new Date('2026-12-01T03:00:00Z'), timezone: 'Asia/Jakarta', workflow: 'Usulan RKA', instanceTitle: 'Alat kesehatan Puskesmas',
  lines: Array.from({ length: lines }, (_, i) => ({
    account: '5.2.02.05.01.0001', description: `Alat kesehatan umum paket ${i + 1}`, volume: 2, unit: 'paket', unitPrice: 25_000_000, amount: 50_000_000,
  })),
  total: lines * 50_000_000,
  history: [],
  signer: { name: 'Dr. Bambang Prasetyo, M.Si.', position: 'Kepala BPKAD selaku PPKD', orgName: 'Badan Pengelolaan Keuangan dan Aset Daerah' },
});

describeWithPdfTools('the signature block stays with what it signs', () => {
  test('on every document length, the signature\'s page also holds the total row', async () => {
    const lonely: number[] = [];
    let multiPage = 0;
    for (let lines = 1; lines <= 70; lines++) {
      const pages = pdftotextPages(await renderDocumentPdf(content(lines)));
      const last = pages.at(-1)!;
      expect(last).toContain('Ditandatangani secara elektronik');
      if (pages.length > 1) multiPage++;
      if (!/JUMLAH/.test(last)) lonely.push(lines);
    }
    // The range crosses page ends (so a block would have fallen alone somewhere without the rule).
    expect(multiPage).toBeGreaterThan(20);
    expect(lonely).toEqual([]);
  }, 300_000);
});
