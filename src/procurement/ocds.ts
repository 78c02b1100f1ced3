/**
 * OCDS 1.1 release package for one procurement-delivery contract. Mapping (see DOMAIN.md): the
 * OPD → buyer; the supplier → a party (role supplier, NPWP as identifier) and the award; sub
 * kegiatan + account of the linked DPA → planning.budget; each termin → a contract milestone;
 * each SP2D → an implementation transaction; stage documents → contract documents.
 */
import type { Kysely } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import type { ContractData, Payment } from './money';
import { endOfLocalDay, startOfLocalDay } from '../sla/calendar';

/** Stage documents published in the release, by the event that produced them. */
const DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  sign_contract: 'contractSigned',
  amend: 'contractAmendment',
  report_progress: 'physicalProgressReport',
  sign_bast: 'completionCertificate',
  sign_fho: 'completionCertificate',
  terminate: 'contractTermination',
};

const idr = (amount: number) => ({ amount, currency: 'IDR' });

export interface OcdsSettings {
  ocidPrefix: string;
  publicUrl: string;
  government: string;
  /** The deployment's time zone (GRMS_TIMEZONE): contract dates are local calendar days there. */
  timeZone: string;
}

/** Builds the release package; the instance must be a procurement-delivery contract. */
export async function ocdsReleasePackage(db: Kysely<Database>, row: InstanceRow, s: OcdsSettings): Promise<Record<string, unknown>> {
  const data = row.data as ContractData & Record<string, unknown>;
  const budgetLink = data.budget as { proposalId: string; subKegiatan: string; account: string };
  const [buyer, supplier] = await Promise.all([row.org_id, data.supplier as string].map((id) =>
    db.selectFrom('orgs').select(['id', 'name', 'code', 'npwp']).where('id', '=', id).executeTakeFirstOrThrow()));
  const proposal = await db.selectFrom('workflow_instances').select(['data', 'title']).where('id', '=', budgetLink.proposalId).executeTakeFirst();
  const lines = ((proposal?.data.lines ?? []) as Array<{ account: string; amount?: number }>).filter((l) => l.account === budgetLink.account);
  const docs = await db.selectFrom('documents').select(['id', 'event', 'title', 'number', 'created_at']).where('instance_id', '=', row.id).orderBy('seq').execute();
  const signedAt = docs.filter((d) => d.event === 'sign_contract').at(-1)?.created_at;
  const ocid = `${s.ocidPrefix}-${row.id}`;
  const buyerRef = { id: buyer.id, name: buyer.name };
  const supplierRef = { id: supplier.id, name: supplier.name };
  const payments = data.payments as Payment[];
  const paidTermins = new Set(payments.filter((p) => p.kind === 'termin').map((p) => p.termin));
  const status = row.state === 'terminated' ? 'terminated' : row.state === 'closed' ? 'terminated' : row.state === 'awarded' ? 'pending' : 'active';
  const versions = data.versions as Array<{ version: number; value: number; endDate: string; reason: string; at?: string }>;
  const release = {
    ocid,
    id: `${ocid}-v${row.version}`,
    date: row.updated_at.toISOString(),
    tag: ['award', 'contract', ...(payments.length || data.progressReports ? ['implementation'] : [])],
    initiationType: 'tender',
    language: 'id',
    parties: [
      { ...buyerRef, roles: ['buyer', 'procuringEntity'], ...(buyer.code && { identifier: { scheme: 'ID-KEMENDAGRI', id: buyer.code, legalName: buyer.name } }) },
      { ...supplierRef, roles: ['supplier', 'payee'], identifier: { scheme: 'ID-NPWP', id: supplier.npwp, legalName: supplier.name } },
    ],
    buyer: buyerRef,
    planning: {
      budget: {
        id: `${budgetLink.subKegiatan}/${budgetLink.account}`,
        description: `Sub kegiatan ${budgetLink.subKegiatan}, kode rekening ${budgetLink.account}${proposal ? ` (${proposal.title})` : ''}`,
        amount: idr(lines.reduce((sum, l) => sum + (l.amount ?? 0), 0)),
        projectID: budgetLink.subKegiatan,
      },
    },
    awards: [{ id: `${row.id}-award`, title: String(data.packageName), status: 'active', date: row.created_at.toISOString(), value: idr(versions[0]!.value), suppliers: [supplierRef] }],
    contracts: [{
      id: row.id,
      awardID: `${row.id}-award`,
      title: String(data.packageName),
      status,
      value: idr(data.value),
      period: { startDate: startOfLocalDay(String(data.startDate), s.timeZone).toISOString(), endDate: endOfLocalDay(data.endDate, s.timeZone).toISOString() },
      ...(signedAt && row.state !== 'awarded' && { dateSigned: signedAt.toISOString() }),
      milestones: data.termins.map((t, i) => ({
        id: `termin-${i + 1}`, title: `Termin ${i + 1}`, type: 'financing',
        description: `${t.percent} % of the value at ${t.threshold} % physical progress`,
        status: paidTermins.has(i + 1) ? 'met' : 'scheduled', value: idr(Math.floor((data.value * t.percent) / 100)),
      })),
      amendments: versions.slice(1).map((v) => ({ id: `v${v.version}`, date: v.at, rationale: v.reason, description: `value ${v.value}, end date ${v.endDate}` })),
      implementation: {
        transactions: payments.map((p, i) => ({
          id: `sp2d-${i + 1}`, source: s.publicUrl, date: p.paidAt, value: idr(p.net), payer: buyerRef, payee: supplierRef,
        })),
      },
      documents: docs.filter((d) => DOCUMENT_TYPES[d.event]).map((d) => ({
        id: d.id, documentType: DOCUMENT_TYPES[d.event], title: `${d.title} ${d.number}`, url: `${s.publicUrl}/verify/${d.id}`,
        datePublished: d.created_at.toISOString(), format: 'application/pdf', language: 'id',
      })),
    }],
  };
  return {
    uri: `${s.publicUrl}/api/v1/instances/${row.id}/ocds`,
    version: '1.1',
    publishedDate: new Date().toISOString(),
    publisher: { name: s.government },
    license: 'https://creativecommons.org/licenses/by/4.0/',
    releases: [release],
  };
}
