import { Router, type Request, type Response } from 'express';
import busboy from 'busboy';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { addComment, attachmentBytes, attachmentQuotaExceeded, authoriseComment, checkCommentRate, TooManyComments, type IncomingFile } from '../engine/comments';
import type { CommentLimits } from '../engine/comment-limits';
import { badRequest, notFound, payloadTooLarge, unsupportedMediaType, type GrmsError } from '../errors';
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
/** The comment field and the multipart framing around the files. */
const MAX_FIELDS_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a multipart/form-data body: the `comment` field and up to five files of 10 MB each, and
 * no more than `room` bytes of files in all (what is left of the instance's quota). Whatever goes
 * over a limit stops the reading: the request is refused without taking the rest of the body.
 */
function readMultipart(req: Request, room: number, overQuota: () => GrmsError): Promise<{ comment: string | undefined; files: IncomingFile[] }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_ATTACHMENT_BYTES, files: MAX_FILES, fields: 5, fieldSize: MAX_FIELDS_BYTES }, defParamCharset: 'utf8' });
    } catch (err) {
      reject(badRequest(`The multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    let comment: string | undefined;
    const files: IncomingFile[] = [];
    let fileBytes = 0;
    let settled = false;
    const stop = (err: GrmsError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      parser.removeAllListeners();
      parser.on('error', () => undefined);
      reject(err);
    };
    // The whole body, framing included, is bounded too: nothing streams on for ever.
    let bodyBytes = 0;
    const maxBody = MAX_FILES * MAX_ATTACHMENT_BYTES + MAX_FIELDS_BYTES * 2;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBody) stop(payloadTooLarge(`A comment body may be at most ${maxBody} bytes`));
    });
    parser.on('field', (name, value) => {
      const reserved = reservedName(name);
      if (reserved) stop(reserved);
      else if (name === 'comment') comment = value;
    });
    parser.on('file', (name, stream, info) => {
      const reserved = reservedName(name);
      if (reserved) {
        stop(reserved);
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        fileBytes += c.length;
        if (fileBytes > room) stop(overQuota());
        else chunks.push(c);
      });
      stream.on('limit', () => stop(payloadTooLarge(`Each attachment may be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`)));
      stream.on('close', () => files.push({ filename: info.filename ?? '', contentType: info.mimeType || 'application/octet-stream', bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => stop(payloadTooLarge(`At most ${MAX_FILES} attachments per comment`)));
    parser.on('error', (err: Error) => stop(badRequest(`The multipart body is malformed: ${err.message}`)));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ comment, files });
    });
    req.pipe(parser);
  });
}

/**
 * A refusal sent before (all of) a request body was read: the connection is closed after the
 * answer, so the client need not send the rest and nothing more of it is read.
 */
function refuseUnread(res: Response, err: unknown): never {
  res.set('Connection', 'close');
  throw err;
}

/** Comments and attachments on an instance. */
export function commentsRouter(db: Kysely<Database>, engine: Engine): Router {
  const r = Router();
  r.post('/instances/:id/comments', async (req, res) => {
    try {
      await postComment(req, res);
    } catch (err) {
      if (err instanceof TooManyComments) res.set('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
  });
  const postComment = async (req: Request, res: Response) => {
    const actor = actorOf(res);
    const limits: CommentLimits = engine.commentLimits;
    let comment: unknown;
    let files: IncomingFile[] = [];
    if (req.is('multipart/form-data')) {
      // Who may not comment, or has commented enough for now, is refused before the body is read.
      let room: number;
      let used = 0;
      try {
        const row = await authoriseComment(engine, actor, String(req.params.id));
        await checkCommentRate(db, row.id, actor, limits);
        used = await attachmentBytes(db, row.id);
        room = limits.attachmentQuotaBytes - used;
      } catch (err) {
        refuseUnread(res, err);
      }
      try {
        ({ comment, files } = await readMultipart(req, room, () => attachmentQuotaExceeded(limits, used)));
      } catch (err) {
        refuseUnread(res, err);
      }
    } else if (req.is('application/json')) comment = (req.body as Record<string, unknown> | undefined)?.comment;
    else refuseUnread(res, unsupportedMediaType('Send application/json { "comment": … } or multipart/form-data with a comment field and files'));
    const result = await addComment(db, engine, actor, String(req.params.id), comment, files);
    res.status(201).json(result);
  };
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
