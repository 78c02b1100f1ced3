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

/** A comment on the instance (not tied to a transition), printed in full in a stage document. */
export interface DocumentComment {
  /** ISO 8601 timestamp. */
  at: string;
  actor: string;
  comment: string;
}

/**
 * How much of an instance's history a stage document prints, so that its size and the time to
 * render it stay bounded whatever the history holds (comments are many and up to
 * MAX_COMMENT_LENGTH long; the whole history stays in the audit trail and its export).
 */
export const DOCUMENT_BOUNDS = Object.freeze({
  /** The latest transitions in the history table (the one being signed included); earlier ones are counted. */
  historyRows: 20,
  /** Characters of a transition's comment in the history table; the signed transition's own comment is printed in full. */
  historyCommentChars: 200,
  /** The latest comments printed in full; earlier ones are counted. */
  fullComments: 3,
  /** Printed lines of one cell of the budget lines table (a line's description, its unit). */
  lineCellLines: 8,
});

/** `text` cut to at most `max` characters (whole code points), marked with an ellipsis when cut. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never half a surrogate pair: the cut text stays well-formed.
  const cut = text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${cut.trimEnd()}…`;
}

export interface DocumentSigner {
  name: string;
  /** Position title, e.g. "Kepala Dinas Kesehatan". */
  position: string;
  orgName: string;
  /** Acting for the holder of the position under a delegation: printed "Plt. <position>" or "Plh. <position>". */
  acting?: 'plt' | 'plh';
  /** NIP (18 digits), printed under the name; absent for people who have none. */
  nip?: string;
}

/** A column of a section's table: its share of the page width (widths are weights, scaled to the page). */
export interface SectionColumn {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

/** A row of a section's table: cells by column; `span` prints its one cell across the whole row. */
export interface SectionRow {
  cells: string[];
  bold?: boolean;
  span?: boolean;
}

/**
 * A part of a document a workflow package lays out (e.g. a DPA-SKPD's identity block, its
 * indicators and its budget lines by account), drawn by the renderer without knowing the workflow:
 * - `fields`: label/value lines (a colon between them), as a document's identity block prints them;
 * - `table`: a grid whose header row is repeated on every page it runs onto; its groups each start
 *   with a heading row across the table and may end with a subtotal row, and a total row may close it.
 */
export type DocumentSection =
  | { kind: 'fields'; heading?: string; rows: Array<[label: string, value: string]> }
  | {
    kind: 'table';
    heading?: string;
    columns: SectionColumn[];
    groups: Array<{ heading?: SectionRow; rows: SectionRow[]; subtotal?: SectionRow }>;
    total?: SectionRow;
  };

export interface DocumentContent {
  /** Letterhead line, e.g. "PEMERINTAH KOTA SEMARANG". */
  government: string;
  /** The issuing office: the second line of the letterhead. */
  orgName: string;
  /** Its contact lines, as printed under its name (address; phone, e-mail, website). */
  letterheadLines?: string[];
  /** Its logo, printed at the left of the letterhead: PNG or JPEG, checked and bounded (src/documents/logo.ts). */
  logo?: Uint8Array;
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
  /**
   * The document's body as its workflow package lays it out (WorkflowPackage.documentContent):
   * printed instead of the summary table and the budget lines.
   */
  sections?: DocumentSection[];
  history: DocumentHistoryEntry[];
  /** Earlier transitions not printed in `history` (stage documents print the latest only). */
  historyOmitted?: number;
  /** The latest comments on the instance, in order, and how many earlier ones are not printed. */
  discussion?: { comments: DocumentComment[]; omitted: number };
  /** Comment given with the event that produced this document. */
  comment?: string | null;
  signer: DocumentSigner;
  /**
   * The signing certificate was issued by BSrE (Balai Sertifikasi Elektronik, BSSN): the caption
   * under the QR code names it. Set by renderAndSign from the certificate, never by callers.
   */
  bsre?: boolean;
}

/** An office's contact lines as its letterhead prints them: the address, then phone · e-mail · website. */
export function letterheadLines(o: { address: string | null; phone: string | null; email: string | null; website: string | null }): string[] {
  const contacts = [o.phone && `Telp. ${o.phone}`, o.email && `Pos-el ${o.email}`, o.website && `Laman ${o.website}`].filter((v): v is string => Boolean(v));
  return [...(o.address ? [o.address] : []), ...(contacts.length ? [contacts.join(' · ')] : [])];
}

/** The position as printed: "Plt. Kepala Dinas Kesehatan" or "Plh. Kepala Dinas Kesehatan" when acting. */
export function signerPosition(signer: DocumentSigner): string {
  return signer.acting ? `${signer.acting === 'plh' ? 'Plh.' : 'Plt.'} ${signer.position}` : signer.position;
}
