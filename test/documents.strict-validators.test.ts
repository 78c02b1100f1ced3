import crypto from 'node:crypto';
import http from 'node:http';
import { describeBackends } from './support/db';
import { startTestApp, PUBLIC_URL, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { firePermitSteps, permitData, registerApplication } from './support/permits';
import { award, contractData, fireSteps, isoDay, PAY, PAY_RETENTION, ratifiedPuprProposal, SIGN_AND_START } from './support/procurement';
import {
  describeWithTools, nssDbTrusting, opensslCmsVerify, opensslCrl, opensslTsVerify, opensslVerify, pdfsig, qpdfDss, runIn, signatureParts,
  signedRevision, signerCertificateOf,
} from './support/pdf-tools';
import { startTestTsa, type TestTsa } from './support/tsa';
import { complaintData, fileComplaint, fileComplaintWithReceipt, reporterFires } from './support/complaints';
import { defaultRegistry } from '../src/engine/registry';
import { EXT, certParts, crlUrlsOf, derToPem, pemToDer } from '../src/documents/der';

/**
 * Every kind of stage document every workflow makes, checked by validators that build the chain
 * themselves: OpenSSL (`cms -verify` without -partial_chain, `verify -x509_strict` with the
 * published CRL, `ts -verify` of the time-stamp against the TSA's CA, `crl -verify` of the DSS's
 * CRLs), NSS (pdfsig, the CA trusted as the README says) and qpdf (the DSS). Also the CRL itself:
 * signed by the CA, served at the address the certificates name, listing a deactivated user's
 * certificate. Documents are time-stamped by a local RFC 3161 TSA (test/support/tsa.ts).
 */

/** Every kind of signed document a workflow's transitions make ("workflow: title"), from the registry. */
function documentKinds(): string[] {
  const kinds = new Set<string>();
  for (const def of defaultRegistry().all()) {
    for (const events of Object.values(def.steps)) {
      for (const step of Object.values(events as Record<string, { document?: { title: string } }>)) {
        if (step.document) kinds.add(`${def.name}: ${step.document.title}`);
      }
    }
  }
  return [...kinds].sort();
}

async function walkEveryDocumentKind(app: TestApp): Promise<void> {
  const fire = async (user: string, id: string, body: Record<string, unknown>) => {
    const r = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, body);
    if (r.status !== 200) throw new Error(`${user} ${String(body.type)}: ${r.status} ${r.text}`);
  };
  // Budget proposals: to the DPA, with a return on the way; and one rejected by TAPD.
  const rka = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
  for (const [user, type, comment] of [
    ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'return', 'Target keluaran belum sesuai RKPD'],
    ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify'],
  ] as const) await fire(user, rka, { type, comment });
  const rejected = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Ditolak' }) })).body.id;
  for (const [user, type, comment] of [
    ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'reject', 'Melebihi pagu'],
  ] as const) await fire(user, rejected, { type, comment });

  // Permits: returned, resubmitted and issued; and one rejected by the technical team.
  const permit = (await registerApplication(app)).body.id;
  await firePermitSteps(app, permit, [
    ['fo.dpmptsp', 'mark_incomplete', { comment: 'Sertifikat tanah belum dilegalisir' }], ['fo.dpmptsp', 'resubmit', { data: permitData() }],
    ['fo.dpmptsp', 'mark_complete'], ['timteknis.pupr', 'recommend', { comment: 'Memenuhi KRK' }], ['kadis.pupr', 'assess_fee', { data: { fee: 3_250_000 } }],
    ['kasir.dpmptsp', 'confirm_payment', { data: { paymentReference: 'BJTG-2026-000777' } }], ['kepala.dpmptsp', 'sign'],
  ]);
  const refused = (await registerApplication(app)).body.id;
  await firePermitSteps(app, refused, [['fo.dpmptsp', 'mark_complete'], ['timteknis.pupr', 'reject', { comment: 'Di sempadan sungai' }]]);

  // Contracts: award to closed (rejected claim and handover on the way); one amended and terminated.
  const proposalId = await ratifiedPuprProposal(app.db.kysely, app.engine);
  const contract = await award(app, contractData(proposalId, { endDate: isoDay(-10), maintenanceDays: 0 }));
  await fireSteps(app, contract, [
    ...SIGN_AND_START, ['penyedia.cvmaju', 'report_progress', { data: { percent: 50 } }],
    ['penyedia.cvmaju', 'claim_termin', { data: { termin: 1 } }], ['ppk.pupr', 'reject_termin', { comment: 'Foto progres kurang' }],
    ['penyedia.cvmaju', 'claim_termin', { data: { termin: 1 } }], ...PAY,
    ['penyedia.cvmaju', 'report_progress', { data: { percent: 100 } }], ['penyedia.cvmaju', 'request_handover'],
    ['ppk.pupr', 'reject_handover', { comment: 'Marka jalan belum' }], ['penyedia.cvmaju', 'request_handover'], ['ppk.pupr', 'sign_bast'],
    ['penyedia.cvmaju', 'claim_termin', { data: { termin: 2 } }], ...PAY,
    ['penyedia.cvmaju', 'claim_termin', { data: { termin: 3 } }], ...PAY, ['ppk.pupr', 'sign_fho'], ...PAY_RETENTION,
  ]);
  const ended = await award(app, contractData(proposalId, { contractNumber: 'HK.02.03/PUPR/2026/018' }));
  await fireSteps(app, ended, [
    ...SIGN_AND_START, ['ppk.pupr', 'amend', { data: { value: 900_000_000, endDate: isoDay(60), reason: 'Addendum I' } }],
    ['ppk.pupr', 'terminate', { comment: 'Wanprestasi' }],
  ]);

  // Complaints: dispatched and answered; one asked for more, then dismissed.
  const complaint = await fileComplaint(app, complaintData('kebersihan', 'Pasar Johar', 'Sampah menumpuk sejak seminggu.', { name: 'Siti Aminah' }));
  for (const [user, body] of [
    ['pengaduan.setda', { type: 'dispatch', data: { opd: 'pupr' } }], ['penghubung.pupr', { type: 'report_follow_up', data: { text: 'Ditinjau.' } }],
    ['penghubung.pupr', { type: 'send_answer', data: { text: 'Sampah sudah diangkut.' } }],
  ] as const) await fire(user, complaint, body);
  const asked = await fileComplaintWithReceipt(app, complaintData('lainnya', 'Kec. Tembalang', 'Pertanyaan tentang jadwal layanan.'));
  const dismissed = asked.id;
  await fire('pengaduan.setda', dismissed, { type: 'request_info', comment: 'Layanan apa yang dimaksud?' });
  await reporterFires(app, asked, 'provide_info', { data: { text: 'Jadwal posyandu.' } });
  await fire('pengaduan.setda', dismissed, { type: 'dismiss', comment: 'Bukan pengaduan' });
}

describeWithTools('documents under strict validators', ['openssl', 'pdfsig', 'certutil', 'qpdf'], () => {
  describeBackends('OpenSSL and NSS', (kind) => {
    let tsa: TestTsa;
    let app: TestApp;
    let caPem: string;
    let caKeyId: string;
    let docs: Array<{ kind: string; title: string; signer: string; pdf: Buffer }>;
    const crlPath = () => `/crl/${caKeyId}.crl`;
    const fetchCrl = async () => {
      const res = await fetch(`${app.url}${crlPath()}`);
      return { res, der: Buffer.from(await res.arrayBuffer()) };
    };

    beforeAll(async () => {
      tsa = await startTestTsa();
      app = await startTestApp(kind, { env: { ...tsa.env, GRMS_VERIFY_RATE_LIMIT: '0' } });
      caPem = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
      caKeyId = certParts(pemToDer(caPem)).subjectKeyId!.toString('hex');
      await walkEveryDocumentKind(app);
      const rows = await app.db.kysely.selectFrom('documents').select(['workflow', 'event', 'title', 'signer_username', 'bytes']).orderBy('created_at').execute();
      docs = rows.map((r) => ({ kind: `${r.workflow}: ${r.title}`, title: r.title, signer: r.signer_username ?? 'seal', pdf: Buffer.from(r.bytes) }));
      // The seal signs too (auditors' reports): one of those, fetched over HTTP.
      const instance = (await app.call('auditor.inspektorat', 'GET', '/api/v1/instances?workflow=budget-proposal')).body.items[0].id;
      const report = await fetch(`${app.url}/api/v1/instances/${instance}/audit.pdf`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
      docs.push({ kind: 'audit report', title: 'audit report', signer: 'seal', pdf: Buffer.from(await report.arrayBuffer()) });
    }, 600_000);
    afterAll(async () => {
      await app?.close();
      await tsa?.close();
    });

    test('the walk made every document kind of every workflow', () => {
      expect([...new Set(docs.map((d) => d.kind))].filter((k) => k !== 'audit report').sort()).toEqual(documentKinds());
    });

    test('the CA is a self-signed root by RFC 5280 (AKI = SKI): openssl verify -x509_strict accepts it', () => {
      const parts = certParts(pemToDer(caPem));
      expect(parts.authorityKeyId?.toString('hex')).toBe(caKeyId);
      const r = opensslVerify(caPem, caPem);
      expect({ ok: r.ok, out: r.out }).toEqual({ ok: true, out: expect.stringContaining('cert.pem: OK') });
    });

    test('every document: openssl cms -verify without -partial_chain, and pdfsig trusting the CA with ",C,": PAdES, valid, trusted; the signed revision whole', () => {
      const nss = nssDbTrusting([caPem]);
      try {
        const failures: string[] = [];
        for (const doc of docs) {
          // The DSS revision follows the signature: only the signed revision is wholly signed.
          expect(signatureParts(doc.pdf).coversWholeFile).toBe(false);
          const cms = opensslCmsVerify(doc.pdf, caPem);
          if (!cms.ok) failures.push(`${doc.kind} (${doc.title}): openssl cms -verify: ${cms.out}`);
          const report = pdfsig(doc.pdf, nss.dir);
          for (const line of ['Signature Type: ETSI.CAdES.detached', 'Signature is Valid.', 'Certificate is Trusted.', 'Not total document signed']) {
            if (!report.includes(line)) failures.push(`${doc.kind} (${doc.title}): pdfsig lacks "${line}":\n${report}`);
          }
          const revision = pdfsig(signedRevision(doc.pdf), nss.dir);
          for (const line of ['Signature is Valid.', 'Certificate is Trusted.', '- Total document signed']) {
            if (!revision.includes(line)) failures.push(`${doc.kind} (${doc.title}): pdfsig on the signed revision lacks "${line}":\n${revision}`);
          }
        }
        expect(failures).toEqual([]);
      } finally {
        nss.cleanup();
      }
    });

    test('every document: its time-stamp passes openssl ts -verify (TSA CA, SHA-256 of the signature value); its DSS (qpdf --json) holds both chains and CRLs that openssl crl verifies', async () => {
      const failures: string[] = [];
      // grms's own verdict first, one request after another, before the tools below block this process.
      for (const doc of docs) {
        const checked = await app.call(undefined, 'POST', '/api/v1/verify', doc.pdf, { 'content-type': 'application/pdf' });
        if (checked.body.valid !== true || checked.body.level !== 'B-LT' || checked.body.judgedBy !== 'timestamp') failures.push(`${doc.kind} (${doc.title}): grms verify: ${checked.text}`);
      }
      for (const doc of docs) {
        const name = `${doc.kind} (${doc.title})`;
        const ts = await opensslTsVerify(doc.pdf, tsa.caPem);
        if (!ts.ok) failures.push(`${name}: openssl ts -verify: ${ts.out}`);
        const dss = await qpdfDss(doc.pdf);
        if (!dss) {
          failures.push(`${name}: no DSS`);
          continue;
        }
        const signer = pemToDer(signerCertificateOf(doc.pdf));
        for (const [what, der] of [['signer', signer], ['CA', pemToDer(caPem)], ['TSA', pemToDer(tsa.certPem)], ['TSA CA', pemToDer(tsa.caPem)]] as const) {
          if (!dss.certs.some((c) => c.equals(der))) failures.push(`${name}: the DSS lacks the ${what} certificate`);
        }
        const crls = await Promise.all(dss.crls.map((der) => opensslCrl(der, [caPem, tsa.caPem])));
        if (crls.length !== 2 || crls.some((c) => !c.ok)) failures.push(`${name}: DSS CRLs: ${crls.map((c) => c.out).join(' | ')}`);
      }
      expect(failures).toEqual([]);
      expect(tsa.issued).toBeGreaterThanOrEqual(docs.length);
    });

    test('every signer certificate: signing profile, AKI = CA SKI, a CRL at the public URL; openssl verify -x509_strict -crl_check passes', async () => {
      const { res, der } = await fetchCrl();
      expect(res.status).toBe(200);
      const signers = new Map(docs.map((d) => [d.signer, signerCertificateOf(d.pdf)]));
      expect(signers.size).toBeGreaterThan(15);
      for (const [signer, pem] of signers) {
        const parts = certParts(pemToDer(pem));
        expect({ signer, aki: parts.authorityKeyId?.toString('hex') }).toEqual({ signer, aki: caKeyId });
        expect({ signer, crl: crlUrlsOf(parts.extensions.get(EXT.crlDistributionPoints)) }).toEqual({ signer, crl: [`${PUBLIC_URL}${crlPath()}`] });
        const text = runIn({ 'c.pem': pem }, 'openssl', ['x509', '-in', 'c.pem', '-noout', '-ext', 'keyUsage,extendedKeyUsage,basicConstraints']).out;
        expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation\s/);
        expect(text).toMatch(/Extended Key Usage:\s+E-mail Protection, 1\.3\.6\.1\.5\.5\.7\.3\.36/);
        expect(text).toMatch(/CA:FALSE/);
        const x = new crypto.X509Certificate(pem);
        expect(Date.parse(x.validTo) - Date.parse(x.validFrom)).toBeLessThanOrEqual(3.01 * 365.25 * 86_400_000);
        const verified = opensslVerify(pem, caPem, der);
        expect({ signer, ok: verified.ok, out: verified.out }).toEqual({ signer, ok: true, out: expect.stringContaining('cert.pem: OK') });
      }
    });

    test('the CRL: DER signed by the CA, public and cacheable; a deactivated user\'s certificate is listed and then fails -crl_check', async () => {
      const first = await fetchCrl();
      expect(first.res.headers.get('content-type')).toBe('application/pkix-crl');
      expect(first.res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      expect(first.res.headers.get('last-modified')).toBeTruthy();
      expect(first.res.headers.get('set-cookie')).toBeNull();
      const verified = runIn({ 'crl.der': first.der, 'ca.pem': caPem }, 'openssl', ['crl', '-verify', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout']);
      expect(verified).toMatchObject({ status: 0, out: expect.stringContaining('verify OK') });
      const etag = first.res.headers.get('etag')!;
      // (node's http: fetch adds Cache-Control: no-cache to conditional requests, which forbids a 304.)
      const revalidated = await new Promise<number>((resolve, reject) => {
        http.get(`${app.url}${crlPath()}`, { headers: { 'if-none-match': etag } }, (res) => resolve(res.resume().statusCode!)).on('error', reject);
      });
      expect(revalidated).toBe(304);
      expect((await app.call(undefined, 'GET', `/crl/${'0'.repeat(40)}.crl`)).status).toBe(404);

      const signerPem = signerCertificateOf(docs.find((d) => d.signer === 'timteknis.pupr')!.pdf);
      const serial = certParts(pemToDer(signerPem)).serialHex;
      const listed = (der: Buffer) => runIn({ 'crl.der': der }, 'openssl', ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']).out;
      expect(listed(first.der).toUpperCase()).not.toContain(serial.toUpperCase());
      const deactivated = await app.call('admin', 'POST', '/api/v1/users/timteknis.pupr/deactivate', { reason: 'pensiun' });
      expect(deactivated.body.revokedCertificates).toEqual([serial]);

      const after = await fetchCrl();
      expect(after.res.headers.get('etag')).not.toBe(etag);
      const text = listed(after.der);
      expect(text).toMatch(new RegExp(`Serial Number: ${serial.toUpperCase()}\\s+Revocation Date: [^\\n]+\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Cessation Of Operation`));
      const number = (t: string) => BigInt(/CRL Number: \s*(\d+)/.exec(t)![1]!);
      expect(number(text)).toBeGreaterThan(number(listed(first.der)));
      const revoked = opensslVerify(signerPem, caPem, after.der);
      expect(revoked).toMatchObject({ ok: false, out: expect.stringContaining('certificate revoked') });
      const other = opensslVerify(signerCertificateOf(docs.find((d) => d.signer === 'kepala.dpmptsp')!.pdf), caPem, after.der);
      expect(other.ok).toBe(true);
      expect(derToPem(after.der, 'X509 CRL')).toMatch(/BEGIN X509 CRL/);
    });
  });
});
