import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { type Actor, hasRole } from '../auth/roles';
import { appendAuditEvent } from '../audit/chain';
import { payloadDigest } from '../audit/hash';
import { forbidden, invalidData, type FieldProblem } from '../errors';
import type { Engine } from './engine';
import { invalidTextProblems } from './validate';

export interface IncomingFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface CommentResult {
  seq: number;
  version: number;
  comment: string;
  attachments: Array<{ id: string; filename: string; contentType: string; size: number; sha256: string }>;
}

const MAX_COMMENT = 10_000;

/**
 * A comment (with optional files) on an instance: one audit row (event 'comment', the state
 * unchanged) whose payload digest covers the files, in the same transaction as the files. Like any
 * change it takes the next version, so a client holding the old one must reload.
 */
export async function addComment(db: Kysely<Database>, engine: Engine, actor: Actor, instanceId: string, comment: unknown, files: IncomingFile[]): Promise<CommentResult> {
  const { row } = await engine.get(actor, instanceId);
  // Auditors read everything and change nothing, comments included.
  if (hasRole(actor, 'auditor')) throw forbidden('Auditors do not comment on instances');
  const problems: FieldProblem[] = invalidTextProblems(comment, '/comment');
  if (typeof comment !== 'string' || comment.trim() === '' || comment.length > MAX_COMMENT) {
    problems.push({ path: '/comment', message: `must be non-empty text of at most ${MAX_COMMENT} characters` });
  }
  files.forEach((f, i) => {
    if (!f.filename || f.filename.length > 255 || !f.filename.isWellFormed() || f.filename.includes('\u0000') || /[\\/]/.test(f.filename)) {
      problems.push({ path: `/files/${i}/filename`, message: 'must be a plain file name of at most 255 characters' });
    }
  });
  if (problems.length) throw invalidData('The comment is invalid', problems);
  const described = files.map((f) => ({
    id: crypto.randomUUID(), filename: f.filename, contentType: f.contentType, size: f.bytes.length,
    sha256: crypto.createHash('sha256').update(f.bytes).digest('hex'), bytes: f.bytes,
  }));
  return db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('workflow_instances').select(['version', 'state', 'participants']).where('id', '=', row.id).forUpdate().executeTakeFirstOrThrow();
    const seq = locked.version + 1;
    await appendAuditEvent(trx, {
      instanceId: row.id, seq, event: 'comment', fromState: locked.state, toState: locked.state, actor: actor.username,
      actorRole: actor.roles[0]?.role ?? null, comment: comment as string,
      payloadDigest: described.length ? payloadDigest(described.map(({ filename, size, sha256 }) => ({ filename, size, sha256 }))) : null,
    });
    for (const f of described) {
      await trx.insertInto('attachments').values({
        id: f.id, instance_id: row.id, seq, filename: f.filename, content_type: f.contentType, size: f.size, sha256: f.sha256, bytes: f.bytes, uploaded_by: actor.username,
      }).execute();
    }
    await trx
      .updateTable('workflow_instances')
      .set({
        version: seq, updated_at: sql<Date>`now()`,
        participants: locked.participants.includes(actor.username) ? locked.participants : [...locked.participants, actor.username],
      })
      .where('id', '=', row.id)
      .execute();
    return { seq, version: seq, comment: comment as string, attachments: described.map(({ bytes: _b, ...rest }) => rest) };
  });
}
