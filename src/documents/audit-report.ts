import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import type { WorkflowDefinition } from '../engine/definition';
import type { DocumentAuthority } from './authority';
import type { DocumentPool } from './pool';
import type { DocumentContent } from './content';
import { formatDateTimeId } from './format';
import { documentWords } from './words';
import type { LabelledPackage } from '../web/i18n/labels';
import type { WorkflowTime } from '../clock';

/**
 * The auditor's working paper for one instance: its whole history and the hashes of its chain
 * and documents, signed with the deployment's seal, made on the fly (nothing is written). The
 * caller has loaded the instance through the engine, so read access is already checked; `pkg` is
 * the instance's workflow package, whose labels the history is printed with.
 */
export async function auditReport(
  db: Kysely<Database>, authority: DocumentAuthority, pool: DocumentPool,
  instance: { row: InstanceRow; def: WorkflowDefinition; pkg: LabelledPackage | undefined }, readerName: string, verifyUrl: string,
  issue: { place: string; time: WorkflowTime },
): Promise<{ pdf: Buffer; sha256: string }> {
  const { row, def } = instance;
  const words = documentWords(row.workflow, instance.pkg);
  const events = await db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.username', 'audit_events.actor')
    .selectAll('audit_events')
    .select(['users.full_name', sql<string>`grms_ts(audit_events.created_at)`.as('at')])
    .where('instance_id', '=', row.id)
    .orderBy('seq')
    .execute();
  const docs = await db.selectFrom('documents').select(['number', 'title', 'sha256', 'seq']).where('instance_id', '=', row.id).orderBy('seq').execute();
  const org = await db.selectFrom('orgs').select('name').where('id', '=', row.org_id).executeTakeFirstOrThrow();
  const now = issue.time.clock();
  const content: DocumentContent = {
    government: authority.seal.org || 'grms',
    orgName: org.name,
    title: 'Laporan Jejak Audit',
    number: `AUDIT/${row.id.slice(0, 8).toUpperCase()}/${events.length}`,
    documentId: crypto.randomUUID(),
    verifyUrl,
    place: issue.place,
    issuedAt: now,
    timezone: issue.time.timeZone,
    workflow: `${words.workflow} versi ${def.version}`,
    instanceTitle: row.title,
    fields: [
      // The record's id is how the audit trail and its export name it: an auditor's key, kept.
      ['ID berkas (jejak audit)', row.id],
      ['Status / versi', `${words.state(row.state)} / ${row.version}`],
      ...events.map((e) => [`#${e.seq} ${words.event(e.event)} — hash`, e.hash] as [string, string]),
      // The number in the wide column: a configured format (GRMS_DOCUMENT_NUMBER_FORMAT) may be long.
      ...docs.flatMap((d) => [['Dokumen', `${d.number} (${d.title})`], ['— SHA-256', d.sha256]] as Array<[string, string]>),
    ],
    history: events.map((e) => ({ at: e.at, actor: `${e.full_name ?? e.actor}${e.actor_role ? ` (${words.role(e.actor_role)})` : ''}`, event: words.event(e.event), from: words.state(e.from_state), to: words.state(e.to_state), comment: e.comment })),
    comment: `Disusun untuk ${readerName} pada ${formatDateTimeId(now, issue.time.timeZone)}`,
    signer: { name: authority.seal.name, position: 'Segel elektronik sistem', orgName: authority.seal.org },
  };
  return pool.renderAndSign(content, authority.seal);
}
