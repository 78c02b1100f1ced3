import { hideConfidential } from '../engine/confidential';
import { localYear } from '../sla/calendar';
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { DocumentProducer, DocumentRequest, PreparedDocument } from '../engine/engine';
import type { DocumentAuthority } from './authority';
import { clipText, DOCUMENT_BOUNDS, letterheadLines, signerPosition, type DocumentContent, type DocumentLine } from './content';
import { actingKindOfAuditRow, principalPositionOfAuditRow } from '../auth/delegation-kind';
import { COMMENT_EVENT } from '../engine/comment-rules';
import { signingIdentityFor } from './identities';
import { DEFAULT_FORMAT, numberColumns, parseDocumentNumber, takeNumber, voidDocumentNumber, type NumberFormat, type StampedNumber, type TakenNumber } from './numbers';
import { numberingOf } from './registers';
import { InvalidDocumentNumber } from './errors';
import { GrmsError } from '../errors';
import type { DocumentPool } from './pool';
import type { Clock } from '../clock';
import type { Actor } from '../auth/roles';
import { documentWords, type DocumentWords } from './words';

export interface ProducerSettings {
  government: string;
  place: string;
  timezone: string;
  publicUrl: string;
  /** The workflow clock: the date a document is issued and numbered by (signing times use the real clock). */
  clock: Clock;
  /** GRMS_DOCUMENT_NUMBER_FORMAT, checked (the default format when absent). */
  numberFormat?: NumberFormat;
}

/** The issuing office has no unit code, so its register cannot print a number: refused before any is taken. */
export const unitCodeMissing = (org: { id: string; name: string }) => new GrmsError('DOCUMENT_UNIT_CODE_MISSING', 409, 'document-unit-code-missing', 'The issuing office has no unit code',
  `${org.name} (${org.id}) issues this document but has no unit code for its document numbers; an admin sets the organisation's unitCode (through the API, the console or the command line)`);

/**
 * The office that issues a stage document: the one in whose name the official acts, i.e. the
 * organisation of the role grant that allows the step (the principal's, under a delegation), so
 * Bappeda's verification is a Bappeda letter numbered in Bappeda's register, not one of the
 * proposing OPD. The instance's own OPD when the actor holds no matching grant.
 */
function issuingOrg(actor: Actor, role: string, instanceOrg: string, actingFor: string | undefined): string {
  const grants = actor.roles.filter((g) => g.role === role && (actingFor ? g.actingFor?.username === actingFor : !g.actingFor));
  return (grants.find((g) => g.org === instanceOrg) ?? grants[0])?.org ?? instanceOrg;
}

function linesOf(data: Record<string, unknown>): DocumentLine[] | undefined {
  if (!Array.isArray(data.lines)) return undefined;
  return (data.lines as Array<Record<string, unknown>>).map((l) => ({
    account: String(l.account), description: String(l.description), volume: Number(l.volume), unit: String(l.unit),
    unitPrice: Number(l.unitPrice), amount: Number(l.amount),
  }));
}

function stampedNumber(data: Record<string, unknown>, field: string, orgId: string): StampedNumber {
  const value = data[field];
  if (typeof value !== 'string') throw new InvalidDocumentNumber(`the document takes its number from data.${field}, which is not set`);
  // A stamped number is in the fixed form (format 1): its office's code and year are read from it.
  const { orgCode, year } = parseDocumentNumber(value);
  return { number: value, orgId, unit: orgCode, year };
}

/**
 * Who acted, as a history row prints them: the name, and for a delegated act the kind with the
 * principal's position ("Budi (Plh. Kepala Dinas Kesehatan)"), as the signature block prints it.
 */
function actedAs(h: { actor: string; full_name: string | null; actor_role: string | null; acting_for: string | null; principal_name: string | null; principal_position: string | null; acting_kind: 'plt' | 'plh' | null }, words: DocumentWords): string {
  const name = h.full_name ?? h.actor;
  if (!h.acting_for) return name;
  const position = h.principal_position || (h.actor_role ? words.role(h.actor_role) : h.principal_name ?? h.acting_for);
  return `${name} (${signerPosition({ name, position, orgName: '', acting: h.acting_kind ?? 'plt' })})`;
}

/**
 * What a stage document shows of the history, read with bounded queries: the latest transitions
 * (their comments clipped) and the latest comments in full, with counts of the earlier ones.
 */
async function boundedHistory(db: Kysely<Database>, instanceId: string, words: DocumentWords) {
  const latest = (comments: boolean, limit: number) => db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.username', 'audit_events.actor')
    .leftJoin('users as principal', (j) => j.on(sql`principal.username`, '=', sql`audit_events.acting_for`))
    .select(['audit_events.event', 'audit_events.from_state', 'audit_events.to_state', 'audit_events.comment', 'audit_events.actor', 'audit_events.actor_role', 'users.full_name'])
    // The position held when the act was made (recorded with the delegation), else the one held now.
    .select([sql<string | null>`audit_events.acting_for`.as('acting_for'), 'principal.full_name as principal_name', sql<string | null>`coalesce(${principalPositionOfAuditRow}, principal.position)`.as('principal_position')])
    .select(actingKindOfAuditRow.as('acting_kind'))
    .select(sql<string>`grms_ts(audit_events.created_at)`.as('at'))
    .where('audit_events.instance_id', '=', instanceId)
    .where('audit_events.event', comments ? '=' : '<>', COMMENT_EVENT)
    .orderBy('audit_events.seq', 'desc')
    .limit(limit)
    .execute()
    .then((rows) => rows.reverse());
  // One row of the table is the transition being signed.
  const transitions = await latest(false, DOCUMENT_BOUNDS.historyRows - 1);
  const comments = await latest(true, DOCUMENT_BOUNDS.fullComments);
  // Counted after the reads: a row added meanwhile raises a count, never drops it below what is printed.
  const counts = await db
    .selectFrom('audit_events')
    .select([
      sql<number>`count(*) FILTER (WHERE event <> ${COMMENT_EVENT})::int`.as('transitions'),
      sql<number>`count(*) FILTER (WHERE event = ${COMMENT_EVENT})::int`.as('comments'),
    ])
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return {
    transitions: transitions.map((h) => ({
      at: h.at, actor: actedAs(h, words), event: words.event(h.event), from: words.state(h.from_state), to: words.state(h.to_state),
      comment: h.comment && clipText(h.comment, DOCUMENT_BOUNDS.historyCommentChars),
    })),
    transitionsOmitted: Math.max(0, counts.transitions - transitions.length),
    comments: comments.map((c) => ({ at: c.at, actor: c.full_name ?? c.actor, comment: c.comment ?? '' })),
    commentsOmitted: Math.max(0, counts.comments - comments.length),
  };
}

/**
 * Renders and signs a transition's stage document before its transaction (number taken only now,
 * after every check passed), and stores it inside it. A number whose transition does not commit
 * is recorded as void.
 */
export class StageDocuments implements DocumentProducer {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly masterKey: Buffer,
    private readonly authority: DocumentAuthority,
    private readonly pool: DocumentPool,
    private readonly settings: ProducerSettings,
  ) {}

  async prepare(req: DocumentRequest): Promise<PreparedDocument> {
    const { row, actor, step, event } = req;
    const spec = step.document!;
    const issuedAt = this.settings.clock();
    const issuer = issuingOrg(actor, req.role, row.org_id, req.actingFor?.username);
    const org = await this.db.selectFrom('orgs').select(['id', 'name', 'unit_code', 'address', 'phone', 'email', 'website', 'logo']).where('id', '=', issuer).executeTakeFirstOrThrow();
    // A stamped number (e.g. the permit number an SK Izin carries) is the document's own number;
    // any other comes from the issuing office's register of the document's kind.
    let taken: TakenNumber | StampedNumber;
    if (spec.numberFrom) taken = stampedNumber(row.data, spec.numberFrom, org.id);
    else {
      if (!org.unit_code) throw unitCodeMissing(org);
      const { kind, classification } = numberingOf(req.pkg, row.state, event.type, spec);
      taken = await takeNumber(this.db, {
        orgId: org.id, orgCode: org.unit_code, year: localYear(issuedAt, this.settings.timezone), kind, classification,
        format: this.settings.numberFormat ?? DEFAULT_FORMAT,
      });
    }
    const number = taken.number;
    try {
      const identity = await signingIdentityFor(this.db, this.masterKey, this.authority, {
        username: actor.username, fullName: actor.fullName, orgName: actor.orgName,
      });
      const words = documentWords(row.workflow, req.pkg);
      const past = spec.public ? undefined : await boundedHistory(this.db, row.id, words);
      const nip = (await this.db.selectFrom('users').select('nip').where('username', '=', actor.username).executeTakeFirst())?.nip ?? undefined;
      const documentId = crypto.randomUUID();
      const content: DocumentContent = {
        government: this.settings.government,
        orgName: org.name,
        letterheadLines: letterheadLines(org),
        // Checked and bounded when it was stored (src/documents/logo.ts, migration 0036).
        ...(org.logo && { logo: org.logo }),
        title: spec.title,
        number,
        documentId,
        verifyUrl: `${this.settings.publicUrl}/verify/${documentId}`,
        place: this.settings.place,
        issuedAt,
        timezone: this.settings.timezone,
        workflow: words.workflow,
        instanceTitle: row.title,
        lines: linesOf(row.data),
        total: row.total ?? undefined,
        // A stage document is the OPD's reading: confidential values are hidden there, always.
        fields: req.def.documentFields?.(hideConfidential(req.def, row.data, undefined)),
        history: past ? [
          ...past.transitions,
          {
            at: issuedAt.toISOString(), actor: req.actingFor ? `${actor.fullName} (${signerPosition({ name: actor.fullName, position: req.actingFor.position || words.role(req.role), orgName: '', acting: req.actingFor.kind })})` : actor.fullName, event: words.event(event.type), from: words.state(row.state), to: words.state(req.nextState),
            comment: event.comment && clipText(event.comment, DOCUMENT_BOUNDS.historyCommentChars),
          },
        ] : [],
        historyOmitted: past?.transitionsOmitted ?? 0,
        discussion: past && { comments: past.comments, omitted: past.commentsOmitted },
        comment: spec.public ? null : event.comment,
        signer: req.actingFor
          ? { name: actor.fullName, position: req.actingFor.position || words.role(req.role), orgName: actor.orgName, acting: req.actingFor.kind, nip }
          : { name: actor.fullName, position: actor.position || words.role(req.role), orgName: actor.orgName, nip },
      };
      // The package's own layout of this document, if it has one (e.g. the DPA-SKPD). The OPD's
      // name is the issuer's, read above, unless another office issues the document.
      const own = await req.pkg?.documentContent?.({
        db: this.db, instance: row, data: hideConfidential(req.def, row.data, undefined), state: row.state, event: event.type, title: spec.title,
        orgName: org.id === row.org_id ? org.name : (await this.db.selectFrom('orgs').select('name').where('id', '=', row.org_id).executeTakeFirst())?.name ?? row.org_id,
      });
      if (own) {
        content.sections = own.sections;
        if (own.history === false) {
          content.history = [];
          content.historyOmitted = 0;
          delete content.discussion;
        }
      }
      const signed = await this.pool.renderAndSign(content, identity);
      return {
        sha256: signed.sha256,
        store: async (trx, seq) => {
          await trx
            .insertInto('documents')
            .values({
              id: documentId, instance_id: row.id, seq, workflow: row.workflow, event: event.type, stage: row.state, number,
              title: content.title, signer_username: actor.username, signer_name: actor.fullName, sha256: signed.sha256, bytes: signed.pdf,
              ...numberColumns(taken), number_year: taken.year,
            })
            .execute();
        },
        discard: (reason) => voidDocumentNumber(this.db, taken, reason),
      };
    } catch (err) {
      await voidDocumentNumber(this.db, taken, `document could not be made: ${(err as Error).message}`);
      throw err;
    }
  }
}
