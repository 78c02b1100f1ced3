import crypto from 'node:crypto';
import { describeWithPdfTools, pdftotext, pdftotextPages } from './support/pdf-tools';
import { renderDocumentPdf } from '../src/documents/render';
import type { DocumentContent } from '../src/documents/content';
import { YEAR_MS, issueSigningCertificate } from '../src/documents/authority';
import { generateRsaKeyPair, issueCertificate, issuedByBsre, randomSerialHex } from '../src/documents/certs';
import { renderAndSign } from '../src/documents/sign';

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
      // The whole block, caption and name included, is on the last page.
      expect(last).toContain('ditandatangani secara elektronik');
      expect(last).toContain('Dr. Bambang Prasetyo, M.Si.');
      if (pages.length > 1) multiPage++;
      if (!/JUMLAH/.test(last)) lonely.push(lines);
    }
    // The range crosses page ends (so a block would have fallen alone somewhere without the rule).
    expect(multiPage).toBeGreaterThan(20);
    expect(lonely).toEqual([]);
  }, 300_000);
});

/** A CA named as the given organisation, and a signing identity it issued. */
async function signerFrom(organizationName: string) {
  const pair = await generateRsaKeyPair(2048);
  const caKey = crypto.createPrivateKey(pair.privateKeyPem);
  const caPem = issueCertificate(
    { subject: { commonName: `${organizationName} CA`, organizationName }, publicKeyPem: pair.publicKeyPem, serialHex: randomSerialHex(), notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3.2e10), profile: 'ca' },
    { privateKey: caKey },
  );
  const issued = await issueSigningCertificate({ caCertificatePem: caPem, caKey, crlUrl: 'https://ca.example/ca.crl' }, { name: 'Dr. Bambang Prasetyo, M.Si.', org: 'BPKAD' }, YEAR_MS);
  return { certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, chainPems: [caPem] };
}

const flat = (pdf: Buffer): string => pdftotext(pdf).replace(/\s+/g, ' ');

describeWithPdfTools('the signature block as a signing office prints it', () => {
  test('a delegated signer is printed "Plt." or "Plh." before the principal\'s position, by the delegation\'s kind', async () => {
    const signer = { name: 'Drs. Joko Susilo', position: 'Kepala BPKAD selaku PPKD', orgName: 'Badan Pengelolaan Keuangan dan Aset Daerah' };
    const plt = flat(await renderDocumentPdf({ ...content(3), signer: { ...signer, acting: 'plt' } }));
    const plh = flat(await renderDocumentPdf({ ...content(3), signer: { ...signer, acting: 'plh' } }));
    expect(plt).toContain('Plt. Kepala BPKAD selaku PPKD');
    expect(plt).not.toContain('Plh.');
    expect(plh).toContain('Plh. Kepala BPKAD selaku PPKD');
    expect(plh).not.toContain('Plt.');
    expect(plh).toContain('Drs. Joko Susilo');
    // Not delegated: the position alone.
    const own = flat(await renderDocumentPdf(content(3)));
    expect(own).toContain('Kepala BPKAD selaku PPKD');
    expect(own).not.toMatch(/Pl[th]\./);
  });

  test('the QR caption says the document is signed electronically and where to check it; BSrE only for a BSrE certificate', async () => {
    const bsre = await signerFrom('Badan Siber dan Sandi Negara');
    const own = await signerFrom('PEMERINTAH KOTA SEMARANG');
    expect(issuedByBsre(bsre.certificatePem)).toBe(true);
    expect(issuedByBsre(own.certificatePem)).toBe(false);
    expect(issuedByBsre(bsre.chainPems[0]!)).toBe(true); // self-signed: its issuer is itself

    const byOwn = flat((await renderAndSign(content(3), own)).pdf);
    expect(byOwn).toContain('Dokumen ini ditandatangani secara elektronik. Periksa keasliannya di grms.semarangkota.example/verify');
    expect(byOwn).not.toContain('BSrE');
    expect(byOwn).not.toContain('Badan Siber');

    const byBsre = flat((await renderAndSign(content(3), bsre)).pdf);
    expect(byBsre).toContain('Balai Sertifikasi Elektronik (BSrE), Badan Siber dan Sandi Negara.');
    expect(byBsre).toContain('Periksa keasliannya di grms.semarangkota.example/verify');
    // A caller cannot claim BSrE: the flag comes from the certificate.
    expect(flat((await renderAndSign({ ...content(3), bsre: true }, own)).pdf)).not.toContain('BSrE');
  }, 60_000);
});
