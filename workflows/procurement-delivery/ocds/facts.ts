/**
 * What an OCDS publication of one procurement-delivery contract is made of, read in one place:
 * the instance and its data, the two organisations, the budget line of the linked DPA, the
 * contract's events from the audit trail, and its stage documents (their facts, never their bytes).
 * Everything the releases say is derived from these rows, so the same history always gives the
 * same releases (an OCDS release, once published, does not change).
 */
import type { Kysely } from 'kysely';
import type { Database, InstanceRow } from '../../../src/db/types';

export interface OrgFacts { id: string; name: string; code: string | null; npwp: string | null }

export interface EventFacts {
  seq: number;
  event: string;
  toState: string;
  /** When the audit trail recorded the event. */
  at: Date;
  comment: string | null;
}

export interface DocumentFacts {
  id: string;
  /** The audit seq of the event that produced it. */
  seq: number;
  event: string;
  title: string;
  number: string;
  sha256: string;
  createdAt: Date;
}

export interface BudgetFacts { subKegiatan: string; account: string; amount: number; proposalTitle: string | undefined }

export interface ContractFacts {
  row: InstanceRow;
  buyer: OrgFacts;
  supplier: OrgFacts;
  budget: BudgetFacts;
  events: EventFacts[];
  documents: DocumentFacts[];
}

/** The events a publication is built from (comments and escalations change nothing it says). */
export const PUBLISHED_EVENTS = ['create', 'sign_contract', 'amend', 'report_progress', 'issue_sp2d', 'sign_bast', 'sign_fho', 'terminate'] as const;

/** Reads the facts of a procurement-delivery instance. */
export async function contractFacts(db: Kysely<Database>, row: InstanceRow): Promise<ContractFacts> {
  const data = row.data as { supplier: string; budget: { proposalId: string; subKegiatan: string; account: string } };
  const org = (id: string) => db.selectFrom('orgs').select(['id', 'name', 'code', 'npwp']).where('id', '=', id).executeTakeFirstOrThrow();
  const [buyer, supplier, proposal, events, documents] = await Promise.all([
    org(row.org_id),
    org(data.supplier),
    db.selectFrom('workflow_instances').select(['data', 'title']).where('id', '=', data.budget.proposalId).executeTakeFirst(),
    db.selectFrom('audit_events').select(['seq', 'event', 'to_state', 'created_at', 'comment'])
      .where('instance_id', '=', row.id).where('event', 'in', [...PUBLISHED_EVENTS]).orderBy('seq').execute(),
    db.selectFrom('documents').select(['id', 'seq', 'event', 'title', 'number', 'sha256', 'created_at'])
      .where('instance_id', '=', row.id).orderBy('seq').execute(),
  ]);
  const lines = ((proposal?.data.lines ?? []) as Array<{ account: string; amount?: number }>).filter((l) => l.account === data.budget.account);
  return {
    row,
    buyer,
    supplier,
    budget: { subKegiatan: data.budget.subKegiatan, account: data.budget.account, amount: lines.reduce((s, l) => s + (l.amount ?? 0), 0), proposalTitle: proposal?.title },
    events: events.map((e) => ({ seq: e.seq, event: e.event, toState: e.to_state, at: new Date(e.created_at), comment: e.comment })),
    documents: documents.map((d) => ({ id: d.id, seq: d.seq, event: d.event, title: d.title, number: d.number, sha256: d.sha256, createdAt: new Date(d.created_at) })),
  };
}

/** The seq at which both parties had signed (the contract is published from there on), if they have. */
export function signedAt(facts: Pick<ContractFacts, 'events'>): EventFacts | undefined {
  return facts.events.find((e) => e.event === 'sign_contract' && e.toState === 'contract_active');
}
