/**
 * The OCDS 1.1 releases of one procurement-delivery contract, derived from its facts (facts.ts).
 *
 * One release per event that changes what the public may know, each the whole picture at that
 * moment, its `tag` naming what the event added:
 *   create            award                  tender (complete, via SPSE), award, planning.budget
 *   both signatures   contract               the contract: value, period, termin milestones
 *   amend             contractAmendment      the new value/end date, and an amendments[] entry
 *                                            pointing at the releases before and after it
 *   report_progress   implementation         a physical progress report
 *   issue_sp2d        implementation         a transaction (the SP2D amount) and a met milestone
 *   sign_bast/_fho    implementation         a completion certificate
 *   retention paid    + contractTermination  the contract ends (status terminated: completed)
 *   terminate         contractTermination    ended early: unpaid termins notMet
 *                     (awardCancellation     when it was never signed: the award is cancelled)
 * Other events (claims, SPP, SPM, handover requests, comments) publish nothing of their own.
 *
 * Amounts are what happened: a met termin milestone carries the gross amount approved at its
 * claim, a transaction the net amount the SP2D transferred; an unpaid termin its share of the
 * value in force at the release. Stage documents are not public (the parties and auditors hold
 * the PDFs): each is published as a PDF entry without a URL and, beside it, the public signature
 * record a program can fetch (JSON) at the URL the QR code prints.
 *
 * Terminology: SPSE = Sistem Pengadaan Secara Elektronik, where tenders run; SP2D = the order that
 * transfers the money; BAST/FHO = first and final handover; termin = a progress-linked instalment.
 */
import { formatRupiah } from '../../../src/documents/format';
import { endOfLocalDay, startOfLocalDay } from '../../../src/sla/calendar';
import { terminGross, type Payment, type Termin } from '../money';
import type { ContractFacts, DocumentFacts, EventFacts } from './facts';

export interface OcdsSettings {
  ocidPrefix: string;
  publicUrl: string;
  government: string;
  /** The deployment's time zone (GRMS_TIMEZONE): contract dates are local calendar days there. */
  timeZone: string;
}

export type Json = Record<string, unknown>;
export interface Release extends Json { ocid: string; id: string; date: string; tag: string[] }

/** One version of the contract terms: the award is version 1, each addendum the next. */
interface Version { version: number; value: number; endDate: string; reason: string; at?: string }

interface ContractData {
  packageName: string;
  contractNumber?: string;
  startDate: string;
  termins: Termin[];
  versions: Version[];
  payments: Payment[];
  progressReports: Array<{ percent: number; at: string }>;
  signatures: Record<string, { at: string } | undefined>;
}

/** How the contract stands when a release is made. */
interface Moment {
  event: EventFacts;
  amendments: Array<{ before: string; after: string }>;
  payments: number;
  signed?: EventFacts;
  ended?: 'closed' | 'terminated' | 'cancelled';
}

const idr = (amount: number) => ({ amount, currency: 'IDR' });

/** Drops undefined members, so no release carries a key without a value. */
function defined<T extends Json>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function ocidOf(s: Pick<OcdsSettings, 'ocidPrefix'>, instanceId: string): string {
  return `${s.ocidPrefix}-${instanceId}`;
}

/** Every release of the contract so far, oldest first (never empty: the award is the first). */
export function contractReleases(f: ContractFacts, s: OcdsSettings): Release[] {
  const out: Release[] = [];
  let m: Omit<Moment, 'event'> = { amendments: [], payments: 0 };
  const id = (e: EventFacts) => `${ocidOf(s, f.row.id)}-${e.seq}`;
  for (const event of f.events) {
    let tag: string[] | undefined;
    switch (event.event) {
      case 'create': tag = ['award']; break;
      case 'sign_contract':
        if (event.toState === 'contract_active') { m = { ...m, signed: event }; tag = ['contract']; }
        break;
      case 'amend':
        m = { ...m, amendments: [...m.amendments, { before: out.at(-1)!.id, after: id(event) }] };
        tag = ['contractAmendment'];
        break;
      case 'report_progress': case 'sign_bast': case 'sign_fho': tag = ['implementation']; break;
      case 'issue_sp2d':
        m = { ...m, payments: m.payments + 1, ...(event.toState === 'closed' ? { ended: 'closed' as const } : {}) };
        tag = event.toState === 'closed' ? ['implementation', 'contractTermination'] : ['implementation'];
        break;
      case 'terminate':
        m = { ...m, ended: m.signed ? 'terminated' : 'cancelled' };
        tag = m.signed ? ['contractTermination'] : ['awardCancellation'];
        break;
    }
    if (tag) out.push(releaseAt(f, s, { ...m, event }, tag, id(event)));
  }
  return out;
}

function releaseAt(f: ContractFacts, s: OcdsSettings, m: Moment, tag: string[], id: string): Release {
  const data = f.row.data as unknown as ContractData;
  const ocid = ocidOf(s, f.row.id);
  const buyerRef = { id: f.buyer.id, name: f.buyer.name };
  const supplierRef = { id: f.supplier.id, name: f.supplier.name };
  const docs = new Documents(f, s, m.event.seq);
  const paid = data.payments.slice(0, m.payments);
  const transactions = paid.map((p, i) => defined({
    id: `sp2d-${i + 1}`, date: p.paidAt, value: idr(p.net), payer: buyerRef, payee: supplierRef, uri: docs.recordUrl('issue_sp2d', i),
  }));
  const period = (end: string) => ({
    startDate: startOfLocalDay(data.startDate, s.timeZone).toISOString(), endDate: endOfLocalDay(end, s.timeZone).toISOString(),
  });
  const award = data.versions[0]!;
  const awardDocuments = m.ended === 'cancelled' ? docs.entries({ terminate: 'cancellationDetails' }) : [];
  const contract = m.signed && contractAt(f, data, m, { transactions, docs, period });
  return defined({
    ocid,
    id,
    date: m.event.at.toISOString(),
    tag,
    initiationType: 'tender',
    language: 'id',
    parties: [
      defined({
        ...buyerRef,
        roles: ['buyer', 'procuringEntity', ...(transactions.length ? ['payer'] : [])],
        identifier: f.buyer.code ? { scheme: 'ID-KEMENDAGRI', id: f.buyer.code, legalName: f.buyer.name } : undefined,
      }),
      defined({
        ...supplierRef,
        roles: ['supplier', ...(transactions.length ? ['payee'] : [])],
        identifier: f.supplier.npwp ? { scheme: 'ID-NPWP', id: f.supplier.npwp, legalName: f.supplier.name } : undefined,
      }),
    ],
    buyer: buyerRef,
    planning: {
      budget: {
        id: `${f.budget.subKegiatan}/${f.budget.account}`,
        description: `Sub kegiatan ${f.budget.subKegiatan}, kode rekening ${f.budget.account}${f.budget.proposalTitle ? ` (${f.budget.proposalTitle})` : ''}`,
        amount: idr(f.budget.amount),
        projectID: f.budget.subKegiatan,
      },
    },
    tender: {
      id: `${f.row.id}-tender`,
      title: data.packageName,
      status: 'complete',
      procurementMethod: 'open',
      procurementMethodDetails: 'Tender melalui SPSE (Sistem Pengadaan Secara Elektronik)',
      procuringEntity: buyerRef,
    },
    awards: [defined({
      id: `${f.row.id}-award`, title: data.packageName, status: m.ended === 'cancelled' ? 'cancelled' : 'active', date: f.row.created_at.toISOString(),
      value: idr(award.value), suppliers: [supplierRef], contractPeriod: period(award.endDate),
      documents: awardDocuments.length ? awardDocuments : undefined,
    })],
    contracts: contract ? [contract] : undefined,
  }) as Release;
}

function contractAt(
  f: ContractFacts, data: ContractData, m: Moment,
  { transactions, docs, period }: { transactions: Json[]; docs: Documents; period: (end: string) => Json },
): Json {
  const terms = data.versions[m.amendments.length]!;
  const paid = data.payments.slice(0, m.payments);
  const milestones = data.termins.map((t, i) => {
    const payment = paid.find((p) => p.kind === 'termin' && p.termin === i + 1);
    return defined({
      id: `termin-${i + 1}`,
      title: `Termin ${i + 1}`,
      type: 'financing',
      description: `${t.percent} % dari nilai kontrak, dapat ditagih pada kemajuan fisik ${t.threshold} %`,
      status: payment ? 'met' : m.ended ? 'notMet' : 'scheduled',
      dateMet: payment?.paidAt,
      // Milestone.value as OCDS 1.2 defines it: what was paid, or what the termin is worth now.
      value: idr(payment ? payment.gross : terminGross(terms.value, t.percent)),
    });
  });
  const amendments = m.amendments.map(({ before, after }, i) => {
    const [was, is] = [data.versions[i]!, data.versions[i + 1]!];
    const changes = [
      ...(is.value !== was.value ? [`nilai kontrak ${formatRupiah(was.value)} menjadi ${formatRupiah(is.value)}`] : []),
      ...(is.endDate !== was.endDate ? [`tanggal selesai ${was.endDate} menjadi ${is.endDate}`] : []),
    ];
    return defined({
      id: `adendum-${i + 1}`, date: is.at, rationale: is.reason,
      description: `Adendum ${i + 1}: ${changes.join('; ') || 'tanpa perubahan nilai atau waktu'}`,
      amendsReleaseID: before, releaseID: after,
    });
  });
  const implementationDocs = docs.entries({ report_progress: 'physicalProgressReport', sign_bast: 'completionCertificate', sign_fho: 'completionCertificate' },
    (d, k) => (d.event === 'report_progress' ? `Kemajuan fisik ${data.progressReports[k]?.percent} %.` : undefined));
  const contractDocs = docs.entries({ sign_contract: 'contractSigned', amend: 'contractAnnexe', terminate: 'cancellationDetails' }, (d) => {
    const reason = d.event === 'terminate' ? f.events.find((e) => e.seq === d.seq)?.comment : undefined;
    return reason ? `Alasan pemutusan: ${reason}` : undefined;
  });
  const signatures = Object.values(data.signatures).map((x) => x?.at).filter((x): x is string => Boolean(x)).sort();
  return defined({
    id: f.row.id,
    awardID: `${f.row.id}-award`,
    title: data.packageName,
    description: data.contractNumber ? `Nomor kontrak ${data.contractNumber}` : undefined,
    status: m.ended ? 'terminated' : 'active',
    value: idr(terms.value),
    period: period(terms.endDate),
    dateSigned: signatures.at(-1) ?? m.signed!.at.toISOString(),
    milestones,
    amendments: amendments.length ? amendments : undefined,
    implementation: transactions.length || implementationDocs.length
      ? defined({ transactions: transactions.length ? transactions : undefined, documents: implementationDocs.length ? implementationDocs : undefined })
      : undefined,
    documents: contractDocs.length ? contractDocs : undefined,
  });
}

/** The stage documents issued up to a release, as OCDS document entries. */
class Documents {
  private readonly upTo: DocumentFacts[];
  constructor(f: ContractFacts, private readonly s: OcdsSettings, seq: number) {
    this.upTo = f.documents.filter((d) => d.seq <= seq);
  }

  private of(events: string[]): DocumentFacts[] {
    return this.upTo.filter((d) => events.includes(d.event));
  }

  /** The public signature record of the k-th document of `event` (JSON at the QR code's URL). */
  recordUrl(event: string, k: number): string | undefined {
    const d = this.of([event])[k];
    return d && `${this.s.publicUrl}/verify/${d.id}`;
  }

  /**
   * Two entries per document of the events `types` names (event → documentType), in the order
   * they were issued: the signed PDF (not public, so no URL) and its public signature record.
   * `note` gets the document and its index among those of its event.
   */
  entries(types: Readonly<Record<string, string>>, note?: (d: DocumentFacts, k: number) => string | undefined): Json[] {
    const seen = new Map<string, number>();
    return this.upTo.filter((d) => types[d.event]).flatMap((d) => {
      const k = seen.get(d.event) ?? 0;
      seen.set(d.event, k + 1);
      const extra = note?.(d, k);
      const published = d.createdAt.toISOString();
      return [
        defined({
          id: d.id, documentType: types[d.event], title: `${d.title} ${d.number}`,
          description: `${extra ? `${extra} ` : ''}PDF bertanda tangan elektronik, SHA-256 ${d.sha256}; dipegang para pihak dan auditor, tidak diterbitkan di sini. Catatan tanda tangannya: dokumen ${d.id}-tanda-tangan.`,
          format: 'application/pdf', datePublished: published, language: 'id',
        }),
        {
          id: `${d.id}-tanda-tangan`, title: `Catatan tanda tangan ${d.number}`,
          description: `Catatan publik dokumen ${d.number}: judul, tahap, penanda tangan, waktu tanda tangan dan SHA-256 PDF-nya, untuk mencocokkan salinan PDF.`,
          url: `${this.s.publicUrl}/verify/${d.id}`, format: 'application/json', datePublished: published, language: 'id',
        },
      ];
    });
  }
}
