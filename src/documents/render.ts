import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { pdfkitAddPlaceholder } from '@signpdf/placeholder-pdfkit';
import { SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import { DOCUMENT_BOUNDS, signerPosition, type DocumentContent, type DocumentSection, type SectionRow } from './content';
import { formatDateTimeId, formatNip, formatNumberId, formatPlaceDate, formatRupiah } from './format';
import { fontName, registerDocumentFonts } from './fonts';
import { textHeight, writeText } from './text-layout';

/**
 * Renders a stage document (A4) with an empty signature placeholder, ready for signPdf.
 * Text is set in the embedded Noto fonts (src/documents/fonts.ts): Latin, Arabic and Javanese
 * script, each shown as written and extracted as written (src/documents/text-layout.ts).
 */

/** Room for the CMS signature (bytes): a 2048-bit signature, a chain of three certificates and an RFC 3161 time-stamp with a chain of three fit. */
export const SIGNATURE_LENGTH = 16_384;

const MARGIN = 56;
const FONT = fontName('sans', 'regular');
const BOLD = fontName('sans', 'bold');

type Doc = PDFKit.PDFDocument;

interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

function pageBottom(doc: Doc): number {
  return doc.page.height - MARGIN - 14; // keep the footer line free
}

/**
 * Where a render may break pages: every ensureSpace call is a numbered point (a table row, a
 * heading, a comment, the signature block). A second render may be told to break at a point
 * before it is needed, so the signature block never stands alone on its page.
 */
interface Breaks {
  point: number;
  /** Break the page at this point even if it fits (second render), or -1. */
  breakAt: number;
  /** The point of the signature block, and whether it had to start a page. */
  signature?: { point: number; brokeAlone: boolean };
}
const breaksOf = new WeakMap<Doc, Breaks>();

function ensureSpace(doc: Doc, height: number): boolean {
  const b = breaksOf.get(doc);
  const point = b ? ++b.point : 0;
  if (doc.y + height <= pageBottom(doc) && point !== b?.breakAt) return false;
  doc.addPage();
  return true;
}

/**
 * A simple grid: wraps cells, breaks pages between rows and repeats the header on every page it
 * runs onto. With `maxLines`, a cell prints at most that many lines (the last one ends in an
 * ellipsis when cut), so a row's height is bounded whatever its text. A row given as a SectionRow
 * may be bold, or `span` the whole width with its one cell (a group's heading: it starts a page
 * rather than end one, kept with the row after it).
 */
function table(doc: Doc, columns: Column[], rows: ReadonlyArray<string[] | SectionRow>, opts: { boldLast?: boolean; maxLines?: number } = {}): void {
  const pad = 3;
  const size = 8;
  const full = columns.reduce((sum, c) => sum + c.width, 0);
  const drawRow = (cells: string[], bold: boolean, span = false, keep = 0) => {
    const cols: Column[] = span ? [{ header: '', width: full }] : columns;
    if (span) cells = [cells.join(' ')];
    doc.font(bold ? BOLD : FONT).fontSize(size);
    const most = opts.maxLines === undefined ? Infinity : opts.maxLines * doc.currentLineHeight(true);
    // No more text is laid out than the cell could print (no glyph is narrower than 1.5 pt at 8 pt).
    if (opts.maxLines !== undefined) cells = cells.map((c, i) => c.slice(0, (opts.maxLines! + 1) * Math.ceil((cols[i]!.width - 2 * pad) / 1.5)));
    const heights = cells.map((c, i) => textHeight(doc, c, { width: cols[i]!.width - 2 * pad }));
    const height = Math.min(most, Math.max(...heights)) + 2 * pad;
    if (ensureSpace(doc, height + keep)) drawHeader();
    doc.font(bold ? BOLD : FONT).fontSize(size);
    const top = doc.y;
    let x = MARGIN;
    cells.forEach((cell, i) => {
      const col = cols[i]!;
      doc.rect(x, top, col.width, height).lineWidth(0.5).stroke();
      // Only a cell taller than allowed is cut (half a line of room, so its last line fits).
      const cut = heights[i]! > most ? { height: most + doc.currentLineHeight(true) / 2, ellipsis: true } : {};
      writeText(doc, cell, x + pad, top + pad, { width: col.width - 2 * pad, align: col.align ?? 'left', ...cut });
      x += col.width;
    });
    doc.x = MARGIN;
    doc.y = top + height;
  };
  const drawHeader = () => drawRow(columns.map((c) => c.header), true);
  drawHeader();
  rows.forEach((r, i) => {
    if (Array.isArray(r)) drawRow(r, Boolean(opts.boldLast) && i === rows.length - 1);
    else drawRow(r.cells, Boolean(r.bold), Boolean(r.span), r.span ? GROUP_KEEP : 0);
  });
  doc.moveDown(0.8);
}

/** Room a group's heading row wants below it on its page: a row of the group goes with it. */
const GROUP_KEEP = 24;

/** Label/value lines of a package's section: the labels in a column, a colon, the values wrapped beside them. */
function fieldLines(doc: Doc, rows: ReadonlyArray<[string, string]>): void {
  const width = doc.page.width - 2 * MARGIN;
  const labelWidth = 120;
  const valueWidth = width - labelWidth - 10;
  for (const [label, value] of rows) {
    doc.font(FONT).fontSize(9);
    const height = Math.max(textHeight(doc, label, { width: labelWidth }), textHeight(doc, value, { width: valueWidth }));
    ensureSpace(doc, height + 2);
    const top = doc.y;
    writeText(doc, label, MARGIN, top, { width: labelWidth });
    writeText(doc, ':', MARGIN + labelWidth, top, { width: 10 });
    writeText(doc, value, MARGIN + labelWidth + 10, top, { width: valueWidth });
    doc.x = MARGIN;
    doc.y = top + height + 2;
  }
  doc.moveDown(0.8);
}

/** A package's sections (DocumentContent.sections), in order; table widths scaled to the page. */
function sections(doc: Doc, list: readonly DocumentSection[]): void {
  const width = doc.page.width - 2 * MARGIN;
  for (const s of list) {
    if (s.heading) heading(doc, s.heading);
    if (s.kind === 'fields') {
      fieldLines(doc, s.rows);
      continue;
    }
    const weight = s.columns.reduce((sum, c) => sum + c.width, 0) || 1;
    const columns: Column[] = s.columns.map((c) => ({ header: c.header, width: (c.width / weight) * width, ...(c.align && { align: c.align }) }));
    const rows: SectionRow[] = s.groups.flatMap((g) => [...(g.heading ? [{ ...g.heading, span: g.heading.span ?? true }] : []), ...g.rows, ...(g.subtotal ? [g.subtotal] : [])]);
    if (s.total) rows.push(s.total);
    table(doc, columns, rows, { maxLines: DOCUMENT_BOUNDS.lineCellLines });
  }
}

function heading(doc: Doc, text: string): void {
  ensureSpace(doc, 40);
  writeText(doc.font(BOLD).fontSize(10), text, MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN });
  doc.moveDown(0.3);
}

/** Size of the logo's box at the left of the letterhead (points; about 2.3 cm). */
const LOGO_BOX = 64;

/**
 * The kop surat: the government, the issuing office and its contact lines, centred; its logo at
 * the left when it has one (the text is then centred in the room right of it, as kop surat are);
 * a thick and a thin rule below.
 */
function letterhead(doc: Doc, c: DocumentContent): void {
  const width = doc.page.width - 2 * MARGIN;
  const inset = c.logo ? LOGO_BOX + 10 : 0;
  const text = { width: width - inset, align: 'center' as const };
  if (c.logo) {
    const bytes = Buffer.from(c.logo.buffer, c.logo.byteOffset, c.logo.byteLength);
    doc.image(bytes, MARGIN, MARGIN, { fit: [LOGO_BOX, LOGO_BOX], align: 'center', valign: 'center' });
  }
  writeText(doc.font(BOLD).fontSize(13), c.government.toUpperCase(), MARGIN + inset, MARGIN, text);
  writeText(doc.font(BOLD).fontSize(15), c.orgName.toUpperCase(), MARGIN + inset, doc.y, text);
  for (const line of c.letterheadLines ?? []) writeText(doc.font(FONT).fontSize(8.5), line, MARGIN + inset, doc.y, text);
  const y = Math.max(doc.y, c.logo ? MARGIN + LOGO_BOX : 0) + 6;
  doc.moveTo(MARGIN, y).lineTo(MARGIN + width, y).lineWidth(2).stroke();
  doc.moveTo(MARGIN, y + 3).lineTo(MARGIN + width, y + 3).lineWidth(0.5).stroke();
  doc.y = y + 16;
  writeText(doc.font(BOLD).fontSize(12), c.title, MARGIN, doc.y, { width, align: 'center', underline: true });
  writeText(doc.font(FONT).fontSize(10), `Nomor: ${c.number}`, undefined, undefined, { width, align: 'center' });
  doc.moveDown(1.2);
}

function lineItems(doc: Doc, c: DocumentContent): void {
  const lines = c.lines ?? [];
  heading(doc, 'Rincian Anggaran');
  const columns: Column[] = [
    { header: 'No', width: 26, align: 'center' }, // "1000" fits on one line
    { header: 'Kode Rekening', width: 88 },
    { header: 'Uraian', width: 127 },
    { header: 'Volume', width: 42, align: 'right' },
    { header: 'Satuan', width: 40 },
    { header: 'Harga Satuan', width: 80, align: 'right' },
    { header: 'Jumlah', width: 80, align: 'right' },
  ];
  const rows = lines.map((l, i) => [
    String(i + 1), l.account, l.description, formatNumberId(l.volume), l.unit, formatRupiah(l.unitPrice), formatRupiah(l.amount),
  ]);
  const total = c.total ?? lines.reduce((sum, l) => sum + l.amount, 0);
  rows.push(['', '', 'JUMLAH', '', '', '', formatRupiah(total)]);
  // A budget may have a thousand lines: each row's height is bounded, the whole text is in the data.
  table(doc, columns, rows, { boldLast: true, maxLines: DOCUMENT_BOUNDS.lineCellLines });
}

function note(doc: Doc, text: string): void {
  writeText(doc.font(FONT).fontSize(8).fillColor('#444444'), text, MARGIN, doc.y, { width: doc.page.width - 2 * MARGIN });
  doc.fillColor('black');
  doc.moveDown(0.3);
}

function history(doc: Doc, c: DocumentContent): void {
  if (c.history.length === 0) return;
  heading(doc, 'Riwayat Proses');
  if (c.historyOmitted) note(doc, `${c.historyOmitted} peristiwa sebelumnya tidak dicetak; riwayat lengkap ada di jejak audit.`);
  table(
    doc,
    [
      { header: 'Waktu', width: 92 },
      { header: 'Pelaku', width: 90 },
      { header: 'Peristiwa', width: 75 },
      { header: 'Dari status', width: 55 },
      { header: 'Ke status', width: 55 },
      { header: 'Catatan', width: 116 },
    ],
    c.history.map((h) => [
      formatDateTimeId(new Date(h.at), c.timezone), h.actor, h.event, h.from ?? '-', h.to, h.comment ?? '',
    ]),
  );
}

/** The latest comments on the instance, in full; earlier ones are counted. */
function discussion(doc: Doc, c: DocumentContent): void {
  const d = c.discussion;
  if (!d || (d.comments.length === 0 && d.omitted === 0)) return;
  const width = doc.page.width - 2 * MARGIN;
  heading(doc, 'Catatan Diskusi');
  if (d.omitted) note(doc, `${d.omitted} catatan sebelumnya tidak dicetak; seluruhnya ada di jejak audit.`);
  for (const entry of d.comments) {
    ensureSpace(doc, 30);
    writeText(doc.font(BOLD).fontSize(8), `${formatDateTimeId(new Date(entry.at), c.timezone)} · ${entry.actor}`, MARGIN, doc.y, { width });
    writeText(doc.font(FONT).fontSize(9), entry.comment, undefined, undefined, { width });
    doc.moveDown(0.5);
  }
}

/** Draws the QR code as vector squares: crisp at any zoom, no image decoding. */
function qr(doc: Doc, text: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const quiet = 2;
  const cell = size / (modules.size + 2 * quiet);
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; ) {
      if (!modules.get(row, col)) { col++; continue; }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      doc.rect(x + (start + quiet) * cell, y + (row + quiet) * cell, (col - start) * cell, cell);
    }
  }
  doc.fill('black');
}

/**
 * The caption under the QR code: that the document is signed electronically and where to check it
 * (the verify page, the address the QR code leads to without the document's id). BSrE is named
 * only when it issued the signing certificate: a grms deployment CA is not BSrE.
 */
export function signatureCaption(c: Pick<DocumentContent, 'verifyUrl' | 'bsre'>): string {
  // Host and path without the scheme, on a line of its own: the address is read and typed, and a
  // line break inside it (after "https://") would make it unreadable.
  const where = c.verifyUrl.replace(/\/[^/]*$/, '').replace(/^https?:\/\//, '');
  const signed = c.bsre
    ? 'Dokumen ini ditandatangani secara elektronik menggunakan sertifikat elektronik yang diterbitkan oleh Balai Sertifikasi Elektronik (BSrE), Badan Siber dan Sandi Negara.'
    : 'Dokumen ini ditandatangani secara elektronik.';
  return `${signed} Periksa keasliannya di\n${where}`;
}

function signatureBlock(doc: Doc, c: DocumentContent): void {
  const left = MARGIN + 250;
  const width = doc.page.width - MARGIN - left;
  const caption = signatureCaption(c);
  // The block is measured whole, caption included, so it is moved to a new page in one piece.
  const captionLines = textHeight(doc.font(FONT).fontSize(7), caption, { width });
  const height = 175 + Math.max(0, captionLines - doc.currentLineHeight(true));
  const broke = ensureSpace(doc, height);
  const b = breaksOf.get(doc);
  if (b) b.signature = { point: b.point, brokeAlone: broke && b.breakAt === -1 };
  const top = doc.y + 6;
  writeText(doc.font(FONT).fontSize(10), formatPlaceDate(c.place, c.issuedAt, c.timezone), left, top, { width, align: 'center' });
  writeText(doc, signerPosition(c.signer), undefined, undefined, { width, align: 'center' });
  writeText(doc, c.signer.orgName, undefined, undefined, { width, align: 'center' });
  const qrTop = doc.y + 4;
  qr(doc, c.verifyUrl, left + (width - 72) / 2, qrTop, 72);
  writeText(doc.font(FONT).fontSize(7), caption, left, qrTop + 74, { width, align: 'center' });
  writeText(doc.font(BOLD).fontSize(10), c.signer.name, undefined, undefined, { width, align: 'center', underline: true });
  if (c.signer.nip) writeText(doc.font(FONT).fontSize(10), `NIP. ${formatNip(c.signer.nip)}`, undefined, undefined, { width, align: 'center' });
  doc.x = MARGIN;
  doc.y = Math.max(doc.y, top + height);
}

function footers(doc: Doc, c: DocumentContent): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing below the margin would otherwise add a page
    writeText(doc.font(FONT).fontSize(7).fillColor('#444444'),
      `${c.number} · Verifikasi: ${c.verifyUrl} · Halaman ${i + 1} dari ${range.count}`,
      MARGIN, doc.page.height - MARGIN + 4, { width: doc.page.width - 2 * MARGIN, align: 'center', lineBreak: false },
    );
    doc.fillColor('black');
    doc.page.margins.bottom = bottom;
  }
}

/** How many break points before the signature block the second render breaks at: the last rows or paragraph go with it. */
const KEEP_WITH_SIGNATURE = 2;

/**
 * Renders the document with a signature placeholder on its last page. A signature block that
 * would start a page of its own is never left alone: the document is laid out again with a page
 * break KEEP_WITH_SIGNATURE points earlier, so the end of what it signs goes with it.
 */
export async function renderDocumentPdf(c: DocumentContent): Promise<Buffer> {
  const first = await renderOnce(c, -1);
  if (!first.signature?.brokeAlone || first.signature.point <= KEEP_WITH_SIGNATURE) return first.pdf;
  return (await renderOnce(c, first.signature.point - KEEP_WITH_SIGNATURE)).pdf;
}

function renderOnce(c: DocumentContent, breakAt: number): Promise<{ pdf: Buffer; signature: Breaks['signature'] }> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: MARGIN,
      bufferPages: true,
      info: { Title: `${c.title} ${c.number}`, Author: c.signer.name, Subject: c.instanceTitle, Creator: 'grms', Keywords: c.documentId },
    });
    registerDocumentFonts(doc);
    const breaks: Breaks = { point: 0, breakAt };
    breaksOf.set(doc, breaks);
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve({ pdf: Buffer.concat(chunks), signature: breaks.signature }));
    doc.on('error', reject);
    try {
      letterhead(doc, c);
      const width = doc.page.width - 2 * MARGIN;
      if (c.sections) {
        // The package's layout: it holds the document's summary, its lines and their totals.
        sections(doc, c.sections);
      } else {
        table(doc, [{ header: 'Perihal', width: 140 }, { header: c.instanceTitle, width: width - 140 }], [['Alur kerja', c.workflow], ...(c.fields ?? [])]);
        if (c.lines) lineItems(doc, c);
        else if (c.total !== undefined) table(doc, [{ header: 'Jumlah', width: 140 }, { header: formatRupiah(c.total), width: width - 140 }], []);
      }
      history(doc, c);
      discussion(doc, c);
      if (c.comment) {
        heading(doc, 'Catatan');
        writeText(doc.font(FONT).fontSize(9), c.comment, undefined, undefined, { width });
        doc.moveDown(0.5);
      }
      signatureBlock(doc, c);
      footers(doc, c);
      doc.switchToPage(doc.bufferedPageRange().count - 1);
      // 3.x ends the returned refs itself; ending them again makes doc.end() hang (STACK-NOTES).
      pdfkitAddPlaceholder({
        pdf: doc,
        pdfBuffer: Buffer.alloc(0),
        reason: `${c.title} ${c.number}`,
        contactInfo: c.verifyUrl,
        name: c.signer.name,
        location: c.place,
        signatureLength: SIGNATURE_LENGTH,
        // PAdES baseline (ETSI EN 319 142-1); /M, set to now, is the time the signer claims.
        subFilter: SUBFILTER_ETSI_CADES_DETACHED,
        appName: 'grms',
      });
      doc.end();
    } catch (err) {
      reject(err);
    }
  });
}
