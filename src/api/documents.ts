import { Router } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import type { DocumentAuthority } from '../documents/authority';
import { checkUploadedPdf } from '../documents/check-upload';
import { GrmsError, notFound, payloadTooLarge, unsupportedMediaType } from '../errors';
import { actorOf, requireRole } from './middleware';
import type { DocumentPool } from '../documents/pool';
import { auditReport } from '../documents/audit-report';
import { CrlPublisher } from '../documents/crl';
import { verifyRateLimit, type PublicVerify } from './verify-rate';
import { readUpload, type Upload } from './upload-body';
import { documentEvidence } from '../audit/evidence/make-bundle';
import { publicLogView } from '../audit/evidence/public-view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CRL_MAX_AGE_SECONDS = 300;

export const listColumns = ['id', 'instance_id', 'seq', 'workflow', 'event', 'stage', 'number', 'title', 'signer_username', 'signer_name', 'sha256'] as const;

function documentView(d: { id: string; instance_id: string; seq: number; workflow: string; event: string; stage: string; number: string; title: string; signer_username: string | null; signer_name: string; sha256: string; at: string }) {
  return {
    id: d.id, instanceId: d.instance_id, seq: d.seq, workflow: d.workflow, event: d.event, stage: d.stage, number: d.number,
    title: d.title, signer: { username: d.signer_username, name: d.signer_name }, sha256: d.sha256, createdAt: d.at,
  };
}

/** Stage documents: listed and downloaded by whoever may read the instance. */
/**
 * `publicUrl` (GRMS_PUBLIC_URL) is the base of every link a signed document prints, never the request's
 * Host header; `documentPlace` is printed before the date of what is signed per request.
 */
export function documentsRouter(db: Kysely<Database>, engine: Engine, authority: DocumentAuthority, pool: DocumentPool, { publicUrl, documentPlace }: { publicUrl: string; documentPlace: string }): Router {
  const r = Router();
  r.get('/instances/:id/documents', async (req, res) => {
    const { row } = await engine.get(actorOf(res), req.params.id);
    const docs = await db.selectFrom('documents').select(listColumns).select(sql<string>`grms_ts(created_at)`.as('at'))
      .where('instance_id', '=', row.id).orderBy('seq').execute();
    res.json({ items: docs.map(documentView), nextCursor: null });
  });
  // The auditor's working paper: the whole history, signed with the deployment's seal, made on
  // the fly (nothing is written).
  r.get('/instances/:id/audit.pdf', requireRole('auditor'), async (req, res) => {
    const instance = await engine.get(actorOf(res), String(req.params.id));
    const signed = await auditReport(db, authority, pool, { ...instance, pkg: engine.registry.package(instance.row.workflow) }, actorOf(res).fullName,
      `${publicUrl}/api/v1/instances/${instance.row.id}/audit.pdf`, { place: documentPlace, time: engine.time });
    res
      .type('application/pdf')
      .set('Content-Disposition', `attachment; filename="audit-${instance.row.id}.pdf"`)
      .set('X-Content-SHA256', signed.sha256)
      .send(signed.pdf);
  });
  r.get('/documents/:id', async (req, res) => {
    const id = req.params.id;
    const doc = UUID.test(id) ? await db.selectFrom('documents').select(['instance_id', 'number', 'bytes']).where('id', '=', id).executeTakeFirst() : undefined;
    if (!doc) throw notFound(`No document ${id}`);
    await engine.get(actorOf(res), doc.instance_id); // 404 unless the caller may read the instance
    res
      .type('application/pdf')
      .set('Content-Disposition', `attachment; filename="${doc.number.replace(/[^A-Za-z0-9.-]/g, '-')}.pdf"`)
      .send(Buffer.from(doc.bytes));
  });
  return r;
}

/**
 * Public: the CA certificate and its CRL, what a QR code opens, and checking any PDF. The check is limited per
 * client before the body is read, the body is capped (GRMS_VERIFY_MAX_BYTES), and the signature is
 * checked in a verification thread (src/documents/verify-pool.ts).
 */
export function verificationRouter(db: Kysely<Database>, authority: DocumentAuthority, verify: PublicVerify): Router {
  const r = Router();
  r.get('/api/v1/ca.pem', (_req, res) => {
    res.type('application/x-pem-file').send(authority.caCertificatePem);
  });
  // For checking time-stamps with openssl ts -verify; pin it from the TSA's operator where it matters.
  r.get('/api/v1/tsa-ca.pem', (_req, res) => {
    if (authority.tsaTrustAnchorsPem.length === 0) throw notFound('No time-stamping authority is configured (GRMS_TSA_URL)');
    res.type('application/x-pem-file').send(authority.tsaTrustAnchorsPem.join(''));
  });

  // The address every issued certificate names (CRL distribution point): RFC 5280's DER CRL, for
  // validators and caches. Short max-age: a revocation shows within minutes.
  const crls = new CrlPublisher(db, authority);
  r.get('/crl/:ca.crl', async (req, res) => {
    if (req.params.ca !== authority.caKeyId) throw notFound(`No CRL ${req.params.ca}.crl here; this deployment's CA publishes ${authority.caKeyId}.crl`);
    const crl = await crls.current();
    res
      .type('application/pkix-crl')
      .set('Cache-Control', `public, max-age=${CRL_MAX_AGE_SECONDS}`)
      .set('Last-Modified', crl.thisUpdate.toUTCString())
      .set('ETag', `"${crl.number.toString(16)}"`)
      .send(crl.der);
  });

  // JSON for programs; browsers (Accept: text/html) get the console's page, src/web/pages/verify.ts.
  r.get('/verify/:id', async (req, res) => {
    const id = req.params.id;
    const doc = UUID.test(id)
      ? await db.selectFrom('documents').select(listColumns).select(sql<string>`grms_ts(created_at)`.as('at')).where('id', '=', id).executeTakeFirst()
      : undefined;
    if (!doc) throw notFound(`No document ${id}`);
    const log = await publicLogView(db, doc.id, `/verify/${doc.id}/evidence`);
    res.json({ ...publicDocumentView(doc), log: log?.view });
  });

  // The document's evidence bundle: checkable offline with `grms verify-bundle` and pinned keys.
  r.get('/verify/:id/evidence', async (req, res) => {
    const evidence = await documentEvidence(db, req.params.id);
    if (evidence.status === 'unknown') throw notFound(`No document ${req.params.id}`);
    if (evidence.status === 'pending') {
      throw new GrmsError('LOG_PENDING', 409, 'log-pending', 'Not yet in the public log', 'The document is not yet covered by a checkpoint of the public log (belum tercatat di log publik); try again after the next checkpoint');
    }
    res
      .type('application/json')
      .set('Content-Disposition', `attachment; filename="bukti-${evidence.bundle.document.number.replace(/[^A-Za-z0-9.-]+/g, '-')}.json"`)
      .send(`${JSON.stringify(evidence.bundle, null, 2)}\n`);
  });

  r.post('/api/v1/verify', (req, _res, next) => {
    // Cheap refusals before anything is read or counted.
    if (!req.is('application/pdf')) throw unsupportedMediaType('Send the PDF itself as the body, with Content-Type: application/pdf');
    if ((req.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity') throw unsupportedMediaType('Send the PDF without Content-Encoding');
    const { maxBytes } = verify.settings;
    if (Number(req.get('content-length') ?? 0) > maxBytes) throw payloadTooLarge(`A PDF to check may have at most ${maxBytes} bytes (GRMS_VERIFY_MAX_BYTES)`);
    next();
  }, verifyRateLimit(db, verify.settings), async (req, res) => {
    const { maxBytes } = verify.settings;
    let upload: Upload | undefined;
    try {
      upload = await readUpload(req, maxBytes, Number(req.get('content-length') ?? 0) || undefined);
    } catch (err) {
      throw new GrmsError('BAD_REQUEST', 400, 'bad-request', 'Bad request', 'The request body could not be read', undefined, { cause: err });
    }
    if (!upload) throw payloadTooLarge(`A PDF to check may have at most ${maxBytes} bytes (GRMS_VERIFY_MAX_BYTES)`);
    res.json(await checkUploadedPdf(db, authority, verify.pool, upload));
  });
  return r;
}

/** Public: who signed what and when, never the contents. */
export function publicDocumentView(doc: { id: string; number: string; title: string; stage: string; event: string; workflow: string; instance_id: string; signer_name: string; at: string; sha256: string }) {
  return {
    documentId: doc.id, number: doc.number, title: doc.title, stage: doc.stage, event: doc.event, workflow: doc.workflow,
    instanceId: doc.instance_id, signer: doc.signer_name, signedAt: doc.at, sha256: doc.sha256,
  };
}
