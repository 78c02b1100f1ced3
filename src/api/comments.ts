import { Router, type Request } from 'express';
import busboy from 'busboy';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { addComment, type IncomingFile } from '../engine/comments';
import { badRequest, notFound, payloadTooLarge, unsupportedMediaType } from '../errors';
import { actorOf } from './middleware';
import { reservedNameProblems } from './request-guard';
import { reservedKey } from '../errors';

/** A multipart field name with a reserved part (__proto__ …), as the 422 it gets. */
const reservedName = (name: string) => {
  const problems = reservedNameProblems([name]);
  return problems.length ? reservedKey(problems) : undefined;
};

/** Per file; the limit for attachments. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const MAX_FILES = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a multipart/form-data body: the `comment` field and up to five files of 10 MB each. */
function readMultipart(req: Request): Promise<{ comment: string | undefined; files: IncomingFile[] }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_ATTACHMENT_BYTES, files: MAX_FILES, fields: 5, fieldSize: 64 * 1024 }, defParamCharset: 'utf8' });
    } catch (err) {
      reject(badRequest(`The multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    let comment: string | undefined;
    const files: IncomingFile[] = [];
    let failed: Error | undefined;
    parser.on('field', (name, value) => {
      failed ??= reservedName(name);
      if (name === 'comment') comment = value;
    });
    parser.on('file', (name, stream, info) => {
      failed ??= reservedName(name);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed ??= payloadTooLarge(`Each attachment may be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`);
      });
      stream.on('close', () => files.push({ filename: info.filename ?? '', contentType: info.mimeType || 'application/octet-stream', bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => {
      failed ??= payloadTooLarge(`At most ${MAX_FILES} attachments per comment`);
    });
    parser.on('error', (err: Error) => reject(badRequest(`The multipart body is malformed: ${err.message}`)));
    parser.on('close', () => (failed ? reject(failed) : resolve({ comment, files })));
    req.pipe(parser);
  });
}

/** Comments and attachments on an instance. */
export function commentsRouter(db: Kysely<Database>, engine: Engine): Router {
  const r = Router();
  r.post('/instances/:id/comments', async (req, res) => {
    let comment: unknown;
    let files: IncomingFile[] = [];
    if (req.is('multipart/form-data')) ({ comment, files } = await readMultipart(req));
    else if (req.is('application/json')) comment = (req.body as Record<string, unknown> | undefined)?.comment;
    else throw unsupportedMediaType('Send application/json { "comment": … } or multipart/form-data with a comment field and files');
    const result = await addComment(db, engine, actorOf(res), String(req.params.id), comment, files);
    res.status(201).json(result);
  });
  r.get('/instances/:id/attachments', async (req, res) => {
    const { row } = await engine.get(actorOf(res), String(req.params.id));
    const items = await db.selectFrom('attachments').select(['id', 'seq', 'filename', 'content_type', 'size', 'sha256', 'uploaded_by', 'created_at']).where('instance_id', '=', row.id).orderBy('seq').execute();
    res.json({ items: items.map((a) => ({ id: a.id, seq: a.seq, filename: a.filename, contentType: a.content_type, size: a.size, sha256: a.sha256, uploadedBy: a.uploaded_by, createdAt: a.created_at.toISOString() })), nextCursor: null });
  });
  r.get('/attachments/:id', async (req, res) => {
    const id = String(req.params.id);
    const a = UUID.test(id) ? await db.selectFrom('attachments').select(['instance_id', 'filename', 'content_type', 'bytes']).where('id', '=', id).executeTakeFirst() : undefined;
    if (!a) throw notFound(`No attachment ${id}`);
    await engine.get(actorOf(res), a.instance_id);
    res
      .type('application/octet-stream')
      .set('Content-Disposition', `attachment; filename="${a.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(a.filename)}`)
      .set('X-Content-Type-Options', 'nosniff')
      .send(Buffer.from(a.bytes));
  });
  return r;
}
