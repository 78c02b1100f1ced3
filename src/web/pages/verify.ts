import { Router, type Request } from 'express';
import { sql } from 'kysely';
import { checkUploadedPdf, type UploadCheck } from '../../documents/check-upload';
import { listColumns, publicDocumentView } from '../../api/documents';
import { publicLogView } from '../../audit/evidence/public-view';
import { html, type SafeHtml } from '../html';
import { ctxOf, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { csrfRefused } from '../csrf';
import { when } from '../format';
import type { MessageKey } from '../i18n/id';
import { GrmsError } from '../../errors';
import { recordVerifyAttempt } from '../../api/verify-rate';
import { clientAddress } from '../../api/client-address';
import { MULTIPART_OVERHEAD_BYTES, readMultipartFile } from '../multipart';
import { noteTexts, reasonKind, reasonText } from '../i18n/verify-reasons';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function uploadForm(ctx: WebContext, error?: string): SafeHtml {
  const { t } = ctx;
  // The token is a field of the multipart body (before the file), checked once the body is read.
  return html`<form method="post" action="/verify" enctype="multipart/form-data" class="narrow">
  ${csrfField(ctx)}
  <div class="field"><label for="pdf">${t('verify.file')}</label>
  <input id="pdf" name="pdf" type="file" accept="application/pdf,.pdf" required${error ? html` aria-invalid="true" aria-describedby="pdf-error"` : ''}>
  ${error ? html`<p class="field-error" id="pdf-error">${error}</p>` : ''}</div>
  <button type="submit">${t('verify.check')}</button>
</form>`;
}

/** The verdict; `stage` is the document's state and its workflow, when grms issued it. */
function resultView(ctx: WebContext, r: UploadCheck, stage: { workflow: string; state: string } | undefined): SafeHtml {
  const { t } = ctx;
  const rows: Array<[string, string | SafeHtml]> = [
    ...(r.valid ? [] : [[t('verify.reason'), reasonText(ctx.lang, r.reason)] as [string, string]]),
    ...(r.signer ? [[t('verify.signer'), `${r.signer.name}${r.signer.org ? ` — ${r.signer.org}` : ''}`] as [string, string]] : []),
    ...(r.signedAt ? [[t('verify.signedAt'), when(r.signedAt, ctx.timezone)] as [string, string]] : []),
    ...(r.level ? [[t('verify.level'), t(`verify.level.${r.level}` as MessageKey)] as [string, string]] : []),
    ...(r.timestamp ? [[t('verify.timestamp'), `${when(r.timestamp.time, ctx.timezone)} — ${r.timestamp.authority}`] as [string, string]] : []),
    ...(r.valid && r.judgedAt && r.judgedBy
      ? [[t('verify.judgedAt'), `${when(r.judgedAt, ctx.timezone)} (${t(`verify.judgedBy.${r.judgedBy}` as MessageKey)})`] as [string, string]] : []),
    ...(r.notes.length ? [[t('verify.notes'), html`${noteTexts(ctx.lang, r.notes).map((n) => html`<p>${n}</p>`)}`] as [string, SafeHtml]] : []),
    ...(r.instanceId ? [[t('verify.instance'), ctx.actor ? html`<a href="/instances/${r.instanceId}">${r.instanceId}</a>` : r.instanceId] as [string, string | SafeHtml]] : []),
    ...(stage ? [[t('verify.stage'), ctx.state(stage.workflow, stage.state)] as [string, string]] : []),
    [t('verify.sha256'), html`<code>${r.sha256}</code>`],
  ];
  return html`<section class="verdict ${r.valid ? 'valid' : 'invalid'}" role="status" aria-live="polite">
  <h2>${r.valid ? t('verify.valid') : t('verify.invalid')}</h2>
  ${r.documentId ? '' : html`<p>${!r.valid && reasonKind(r.reason) === 'changed' ? t('verify.changedUnknown') : t('verify.unknownDoc')}</p>`}
  <table class="facts">${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table>
</section>`;
}

/** Public verification: upload any PDF, or open a document's QR link. */
export function verifyPages(deps: WebDeps): Router {
  const r = Router();

  r.get('/verify', (_req, res) => {
    const ctx = ctxOf(res);
    sendPage(res, { title: ctx.t('verify.title'), body: html`<p>${ctx.t('verify.intro')}</p>${uploadForm(ctx)}` });
  });

  r.post('/verify', async (req, res) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    const { settings, pool } = deps.verify;
    const refuse = (status: number, message: string) =>
      sendPage(res, { status, title: t('verify.title'), body: html`<p>${t('verify.intro')}</p>${uploadForm(ctx, message)}` });
    // The same limit per client as the API's, counted before the upload is read.
    const wait = await recordVerifyAttempt(deps.db, clientAddress(req), settings);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      return refuse(429, t('verify.rateLimited', { minutes: Math.ceil(wait / 60) }));
    }
    const tooLarge = () => refuse(413, t('verify.tooLarge', { max: Math.floor((settings.maxBytes / 1024 / 1024) * 10) / 10 }));
    if (Number(req.get('content-length') ?? 0) > settings.maxBytes + MULTIPART_OVERHEAD_BYTES) return tooLarge();
    const { upload, problem, csrf } = await readMultipartFile(req, settings.maxBytes);
    // A multipart body's token is checked once the body is read (src/web/csrf.ts); any other body's was checked before.
    if (req.is('multipart/form-data') && csrfRefused(res, csrf)) return undefined;
    if (problem === 'too-large') return tooLarge();
    if (!upload) return refuse(422, t('verify.noFile'));
    if (!upload.bytes.subarray(0, 1024).includes('%PDF-')) return refuse(422, t('verify.notPdf'));
    let result: UploadCheck;
    try {
      result = await checkUploadedPdf(deps.db, deps.authority, pool, upload);
    } catch (err) {
      if (!(err instanceof GrmsError)) throw err;
      if (err.code === 'SIGNATURE_LIMITS_EXCEEDED') return refuse(422, t('verify.limits'));
      if (err.code === 'VERIFY_BUDGET_EXCEEDED') return refuse(422, t('verify.budget'));
      if (err.code === 'VERIFY_BUSY') {
        res.set('Retry-After', '5');
        return refuse(503, t('verify.busy'));
      }
      throw err;
    }
    // The stage is labelled by its workflow, which the public answer (UploadCheck) does not carry.
    const doc = result.documentId
      ? await deps.db.selectFrom('documents').select(['workflow', 'stage']).where('id', '=', result.documentId).executeTakeFirst()
      : undefined;
    sendPage(res, { title: t('verify.title'), body: html`${resultView(ctx, result, doc && { workflow: doc.workflow, state: doc.stage })}${uploadForm(ctx)}` });
  });

  // What a QR code opens. Programs asking for JSON get it from the API's route (src/api/documents.ts).
  r.get('/verify/:id', async (req, res, next) => {
    if (req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
    const ctx = ctxOf(res);
    const { t } = ctx;
    const id = req.params.id;
    const doc = UUID.test(id)
      ? await deps.db.selectFrom('documents').select(listColumns).select(sql<string>`grms_ts(created_at)`.as('at')).where('id', '=', id).executeTakeFirst()
      : undefined;
    if (!doc) {
      sendPage(res, { status: 404, title: t('verify.notFound'), body: html`<p>${t('verify.notFoundDetail')}</p>${uploadForm(ctx)}` });
      return;
    }
    const v = publicDocumentView(doc);
    const rows: Array<[string, string | SafeHtml]> = [
      [t('verify.number'), v.number], [t('verify.docTitle'), v.title], [t('verify.stage'), ctx.state(v.workflow, v.stage)], [t('verify.signer'), v.signer],
      [t('verify.signedAt'), when(v.signedAt, ctx.timezone)], [t('verify.sha256'), html`<code>${v.sha256}</code>`],
    ];
    const log = (await publicLogView(deps.db, doc.id, `/verify/${doc.id}/evidence`))?.view;
    const logSection = !log || log.status === 'pending'
      ? html`<p class="log-status pending">${t('verify.logPending')}</p>`
      : html`<p class="log-status logged">${log.witnesses.length ? t('verify.logWitnessed', { n: log.witnesses.length }) : t('verify.logUnwitnessed')}</p>
<p><a href="${log.evidence}" download>${t('verify.logEvidence')}</a></p>
<details><summary>${t('verify.logDetails')}</summary>
<table class="facts"><tr><th scope="row">${t('verify.logLeaf')}</th><td>${String(log.leafIndex)}</td></tr>
<tr><th scope="row">${t('verify.logTree')}</th><td>${String(log.treeSize)}</td></tr>
<tr><th scope="row">${t('verify.logWitnesses')}</th><td>${log.witnesses.join(', ') || '-'}</td></tr></table>
<p>${t('verify.logHow')}</p>
<pre>${log.checkpoint}</pre>
<pre>${log.inclusionProof.join('\n')}</pre></details>`;
    sendPage(res, {
      title: t('verify.registered'),
      body: html`<table class="facts">${rows.map(([k, val]) => html`<tr><th scope="row">${k}</th><td>${val}</td></tr>`)}</table>
${logSection}<p>${t('verify.registeredIntro')}</p>${uploadForm(ctx)}`,
    });
    return undefined;
  });
  return r;
}
