import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import { type Actor, hasRole } from '../auth/roles';
import { appendHistory } from './history';
import { payloadDigest } from '../audit/hash';
import { forbidden, GrmsError, invalidData, type FieldProblem } from '../errors';
import type { Engine } from './engine';
import { COMMENT_EVENT, commentProblems } from './comment-rules';
import { refuseUnprintable } from '../documents/printable';
import type { CommentLimits } from './comment-limits';

export interface IncomingFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface CommentResult {
  seq: number;
  /** The instance's version: a comment leaves it as it was. */
  version: number;
  comment: string;
  attachments: Array<{ id: string; filename: string; contentType: string; size: number; sha256: string }>;
}

/** One user commented on one instance as often as the configured window allows. */
export class TooManyComments extends GrmsError {
  constructor(readonly retryAfterSeconds: number, limits: CommentLimits) {
    super('TOO_MANY_COMMENTS', 429, 'too-many-comments', 'Too many comments',
      `At most ${limits.perUser} comments per person on one instance in ${limits.windowSeconds} seconds; try again in ${retryAfterSeconds} seconds`);
  }
}

/** The instance's attachments would go over its quota. */
export const attachmentQuotaExceeded = (limits: CommentLimits, used: number) =>
  new GrmsError('ATTACHMENT_QUOTA_EXCEEDED', 413, 'attachment-quota-exceeded', 'Attachment quota exceeded',
    `An instance may hold at most ${limits.attachmentQuotaBytes} bytes of attachments; it holds ${used}`);

/**
 * Who may comment: whoever may read the instance (404 otherwise, as for reading), auditors
 * excepted (they read everything and change nothing). Called before a request body is read.
 */
export async function authoriseComment(engine: Engine, actor: Actor, instanceId: string): Promise<InstanceRow> {
  const { row } = await engine.get(actor, instanceId);
  if (hasRole(actor, 'auditor')) throw forbidden('Auditors do not comment on instances');
  return row;
}

/**
 * The actor's comments on the instance within the window (real clock: a rate limit, not the
 * workflow clock), and how long until the oldest of them leaves it.
 */
async function recentComments(db: Kysely<Database>, instanceId: string, actor: string, limits: CommentLimits) {
  const r = await sql<{ n: number; retry: number | null }>`
    SELECT count(*)::int AS n,
           ceil(extract(epoch FROM min(created_at) + make_interval(secs => ${limits.windowSeconds}) - clock_timestamp()))::int AS retry
    FROM audit_events
    WHERE instance_id = ${instanceId} AND event = ${COMMENT_EVENT} AND actor = ${actor}
      AND created_at > clock_timestamp() - make_interval(secs => ${limits.windowSeconds})`.execute(db);
  const row = r.rows[0]!;
  return { count: row.n, retryAfter: Math.max(1, row.retry ?? 1) };
}

/** 429 when the actor has used up the window already: checked before a body is read. */
export async function checkCommentRate(db: Kysely<Database>, instanceId: string, actor: Actor, limits: CommentLimits): Promise<void> {
  const recent = await recentComments(db, instanceId, actor.username, limits);
  if (recent.count >= limits.perUser) throw new TooManyComments(recent.retryAfter, limits);
}

/** Bytes of attachments the instance holds. */
export async function attachmentBytes(db: Kysely<Database>, instanceId: string): Promise<number> {
  const r = await db.selectFrom('attachments').select((eb) => eb.fn.coalesce(eb.fn.sum<string>('size'), sql<string>`0`).as('used')).where('instance_id', '=', instanceId).executeTakeFirstOrThrow();
  return Number(r.used);
}

/**
 * A comment (with optional files) on an instance: one history row (event 'comment', the state
 * unchanged, written by appendHistory) whose payload digest covers the files, in the same
 * transaction as the files. The instance's version and ETag stay as they were (the version counts
 * state and data changes), so a comment never makes a concurrent event fail; the commenter joins
 * the participants (who may read it later even if it leaves their OPD's sight). Within the
 * transaction (under the instance's row lock) the comment is written first and then counted, so
 * concurrent comments cannot all slip under the rate limit or the attachment quota; a refused one
 * leaves nothing behind.
 */
export async function addComment(db: Kysely<Database>, engine: Engine, actor: Actor, instanceId: string, comment: unknown, files: IncomingFile[]): Promise<CommentResult> {
  const row = await authoriseComment(engine, actor, instanceId);
  const limits = engine.commentLimits;
  const problems: FieldProblem[] = commentProblems(comment, '/comment', true);
  files.forEach((f, i) => {
    if (!f.filename || f.filename.length > 255 || !f.filename.isWellFormed() || f.filename.includes('\u0000') || /[\\/]/.test(f.filename)) {
      problems.push({ path: `/files/${i}/filename`, message: 'must be a plain file name of at most 255 characters' });
    }
  });
  if (problems.length) throw invalidData('The comment is invalid', problems);
  refuseUnprintable(comment, '/comment');
  const described = files.map((f) => ({
    id: crypto.randomUUID(), filename: f.filename, contentType: f.contentType, size: f.bytes.length,
    sha256: crypto.createHash('sha256').update(f.bytes).digest('hex'), bytes: f.bytes,
  }));
  return db.transaction().execute(async (trx) => {
    const { seq, after } = await appendHistory(trx, {
      kind: 'comment',
      instanceId: row.id,
      entry: {
        event: COMMENT_EVENT, actor: actor.username, actorRole: actor.roles[0]?.role ?? null, comment: comment as string,
        payloadDigest: described.length ? payloadDigest(described.map(({ filename, size, sha256 }) => ({ filename, size, sha256 }))) : null,
      },
    });
    for (const f of described) {
      await trx.insertInto('attachments').values({
        id: f.id, instance_id: row.id, seq, filename: f.filename, content_type: f.contentType, size: f.size, sha256: f.sha256, bytes: f.bytes, uploaded_by: actor.username,
      }).execute();
    }
    const recent = await recentComments(trx, row.id, actor.username, limits);
    if (recent.count > limits.perUser) throw new TooManyComments(recent.retryAfter, limits);
    if (described.length) {
      const used = await attachmentBytes(trx, row.id);
      if (used > limits.attachmentQuotaBytes) throw attachmentQuotaExceeded(limits, used - described.reduce((n, f) => n + f.size, 0));
    }
    return { seq, version: after.version, comment: comment as string, attachments: described.map(({ bytes: _b, ...rest }) => rest) };
  });
}
