/**
 * What a stage document shows. Plain serialisable data: it is built by the engine and crosses to a
 * worker thread, where it is rendered and signed. Terminology: OPD = the regional agency issuing
 * the document; kode rekening = expenditure account code (5.x.xx.xx.xx.xxxx); Plt. = acting
 * official (signs for a vacant or absent position).
 */
export interface DocumentLine {
  /** Kode rekening, e.g. 5.1.02.01.01.0024. */
  account: string;
  description: string;
  volume: number;
  unit: string;
  /** Integer rupiah. */
  unitPrice: number;
  /** Integer rupiah. */
  amount: number;
}

export interface DocumentHistoryEntry {
  /** ISO 8601 timestamp of the transition. */
  at: string;
  /** Display name (or username) of who fired the event. */
  actor: string;
  event: string;
  from: string | null;
  to: string;
  comment?: string | null;
}

export interface DocumentSigner {
  name: string;
  /** Position title, e.g. "Kepala Dinas Kesehatan". */
  position: string;
  orgName: string;
  /** Acting for the holder of the position: printed as "Plt. <position>". */
  acting?: boolean;
}

export interface DocumentContent {
  /** Letterhead line, e.g. "PEMERINTAH KOTA SEMARANG". */
  government: string;
  orgName: string;
  title: string;
  number: string;
  documentId: string;
  /** `${publicUrl}/verify/<documentId>`: printed and encoded in the QR code. */
  verifyUrl: string;
  place: string;
  issuedAt: Date;
  /** IANA zone used for every printed date, e.g. Asia/Jakarta. */
  timezone: string;
  workflow: string;
  instanceTitle: string;
  /** Budget line items (budget proposals). */
  lines?: DocumentLine[];
  /** Integer rupiah; printed under the line items. */
  total?: number;
  /** Label/value pairs for workflows without line items. */
  fields?: Array<[label: string, value: string]>;
  history: DocumentHistoryEntry[];
  /** Comment given with the event that produced this document. */
  comment?: string | null;
  signer: DocumentSigner;
}

/** The position as printed: "Plt. Kepala Dinas Kesehatan" when acting. */
export function signerPosition(signer: DocumentSigner): string {
  return signer.acting ? `Plt. ${signer.position}` : signer.position;
}
