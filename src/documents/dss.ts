import { SignatureLimitsExceeded } from './errors';
import {
  PdfReader, PdfSyntaxError, canonical, lastStartXref, readXrefSection, serialize, type PdfObject, type PdfValue, type XrefSection,
} from './pdf-objects';

/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 PAdES B-LT): the
 * certificates and revocation data a validator needs years later, appended after the signature as
 * one incremental update that adds the DSS dictionary and its streams and changes the catalogue only
 * by naming it. grms's verify accepts exactly that after a signature and nothing else
 * (`readDssRevision`): any other change a later revision could make (a page, an annotation, a
 * redefined object) is refused, while PDF readers would show it.
 */

export interface DssContents {
  certs: Buffer[];
  crls: Buffer[];
  ocsps: Buffer[];
}

/** The signed revision's trailer and how to find its objects. */
interface Revision {
  startxref: number;
  sections: XrefSection[];
  trailer: Map<string, PdfValue>;
}

/** The revision ending at `end` (its xref sections, newest first; at most 16 /Prev links). */
function revisionAt(pdf: Buffer, end: number): Revision {
  const startxref = lastStartXref(pdf, end);
  const sections: XrefSection[] = [];
  const seen = new Set<number>();
  for (let at: number | undefined = startxref; at !== undefined; ) {
    if (seen.has(at) || sections.length >= 16 || at >= end) throw new PdfSyntaxError('cross-reference sections loop or run past the revision');
    seen.add(at);
    const section = readXrefSection(pdf, at, end);
    sections.push(section);
    const prev = section.trailer.get('Prev');
    at = prev?.kind === 'number' ? prev.value : undefined;
  }
  return { startxref, sections, trailer: sections[0]!.trailer };
}

function objectOf(pdf: Buffer, rev: Revision, num: number, end: number): PdfObject {
  const entry = rev.sections.map((s) => s.entries.get(num)).find(Boolean);
  if (!entry) throw new PdfSyntaxError(`object ${num} is not in the signed revision`);
  const obj = new PdfReader(pdf, entry.offset, end).object();
  if (obj.num !== num || obj.gen !== entry.gen) throw new PdfSyntaxError(`the cross-reference entry of object ${num} points elsewhere`);
  return obj;
}

function refOf(v: PdfValue | undefined, what: string): { num: number; gen: number } {
  if (v?.kind !== 'ref') throw new PdfSyntaxError(`${what} is not an indirect reference`);
  return v;
}

function sizeOf(trailer: Map<string, PdfValue>): number {
  const size = trailer.get('Size');
  if (size?.kind !== 'number' || !Number.isInteger(size.value) || size.value < 1) throw new PdfSyntaxError('the trailer has no /Size');
  return size.value;
}

/** Appends the DSS revision to a signed PDF (whose last revision is the signed one). */
export function appendDss(pdf: Buffer, dss: DssContents): Buffer {
  const rev = revisionAt(pdf, pdf.length);
  const root = refOf(rev.trailer.get('Root'), '/Root');
  const catalog = objectOf(pdf, rev, root.num, pdf.length);
  if (catalog.value.kind !== 'dict') throw new PdfSyntaxError('the catalogue is not a dictionary');
  if (catalog.value.entries.has('DSS')) throw new PdfSyntaxError('the document already has a DSS');
  const size = sizeOf(rev.trailer);
  const parts: string[] = [];
  const chunks: Buffer[] = [];
  const offsets = new Map<number, number>();
  let at = pdf.length;
  const put = (num: number, bytes: Buffer) => {
    offsets.set(num, at);
    chunks.push(bytes);
    at += bytes.length;
  };
  put(-1, Buffer.from('\n', 'latin1'));
  let next = size;
  const streams = (items: Buffer[]) => items.map((data) => {
    const num = next++;
    put(num, Buffer.concat([Buffer.from(`${num} 0 obj\n<< /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n', 'latin1')]));
    return `${num} 0 R`;
  });
  const certs = streams(dss.certs);
  const crls = streams(dss.crls);
  const ocsps = streams(dss.ocsps);
  const dssNum = next++;
  const entries = [`/Type /DSS`, certs.length ? `/Certs [${certs.join(' ')}]` : '', crls.length ? `/CRLs [${crls.join(' ')}]` : '', ocsps.length ? `/OCSPs [${ocsps.join(' ')}]` : ''].filter(Boolean);
  put(dssNum, Buffer.from(`${dssNum} 0 obj\n<< ${entries.join(' ')} >>\nendobj\n`, 'latin1'));
  // The catalogue as it was, with /DSS added before its closing ">>".
  const dict = catalog.value;
  const body = pdf.subarray(dict.start, dict.end - 2);
  put(root.num, Buffer.concat([Buffer.from(`${root.num} ${root.gen} obj\n`, 'latin1'), body, Buffer.from(`/DSS ${dssNum} 0 R\n>>\nendobj\n`, 'latin1')]));
  const xrefAt = at;
  const entry = (num: number) => `${String(offsets.get(num)!).padStart(10, '0')} ${String(num === root.num ? root.gen : 0).padStart(5, '0')} n\r\n`;
  parts.push('xref\n', `${root.num} 1\n`, entry(root.num), `${size} ${next - size}\n`);
  for (let n = size; n < next; n++) parts.push(entry(n));
  const keep = ['Info', 'ID'].filter((k) => rev.trailer.has(k)).map((k) => ` /${k} ${serialize(rev.trailer.get(k)!)}`).join('');
  parts.push(`trailer\n<< /Size ${next} /Root ${root.num} ${root.gen} R${keep} /Prev ${rev.startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`);
  return Buffer.concat([pdf, ...chunks, Buffer.from(parts.join(''), 'latin1')]);
}

/** Why the bytes after a signature are not (only) a DSS revision. */
export class RevisionRefused extends Error {
  readonly code = 'REVISION_REFUSED';
}

function refs(v: PdfValue | undefined, what: string): number[] {
  if (v === undefined) return [];
  if (v.kind !== 'array') throw new RevisionRefused(`${what} is not an array`);
  return v.items.map((item) => {
    if (item.kind !== 'ref' || item.gen !== 0) throw new RevisionRefused(`${what} holds something other than references`);
    return item.num;
  });
}

const DSS_KEYS = new Set(['Type', 'Certs', 'CRLs', 'OCSPs', 'VRI']);
const VRI_KEYS = new Set(['Type', 'Cert', 'CRL', 'OCSP', 'TU', 'TS']);

/**
 * Reads the one revision after the signed bytes `pdf[0, signedEnd)`: it must add the DSS
 * (dictionary, Certs/CRLs/OCSPs streams, optionally VRI entries) and redefine the catalogue only to
 * add /DSS, with a cross-reference section and trailer that say exactly that. Anything else throws
 * RevisionRefused. `maxObjects` bounds the certificates and the revocation answers (each; beyond:
 * SignatureLimitsExceeded, like a signature with too many certificates).
 */
export function readDssRevision(pdf: Buffer, signedEnd: number, maxObjects: number): DssContents {
  let signed: Revision;
  try {
    signed = revisionAt(pdf, signedEnd);
  } catch (err) {
    throw new RevisionRefused(`the signed revision cannot be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return readUpdate(pdf, signedEnd, signed, maxObjects);
  } catch (err) {
    if (err instanceof RevisionRefused || err instanceof SignatureLimitsExceeded) throw err;
    throw new RevisionRefused(`the revision after the signature cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

function readUpdate(pdf: Buffer, signedEnd: number, signed: Revision, maxObjects: number): DssContents {
  const startxref = lastStartXref(pdf, pdf.length);
  if (startxref < signedEnd) throw new RevisionRefused('the last cross-reference section is not in the revision after the signature');
  // Objects, one after another, up to the cross-reference section.
  const objects = new Map<number, PdfObject>();
  const r = new PdfReader(pdf, signedEnd, startxref);
  for (r.skip(); r.pos < startxref; r.skip()) {
    if (objects.size > 3 * maxObjects + 8) throw new SignatureLimitsExceeded(`the revision after the signature defines more than ${3 * maxObjects + 8} objects`);
    const obj = r.object();
    if (objects.has(obj.num)) throw new RevisionRefused(`object ${obj.num} is defined twice after the signature`);
    objects.set(obj.num, obj);
  }
  const xref = readXrefSection(pdf, startxref);
  const tail = pdf.toString('latin1', xref.end);
  if (!/^\s*startxref\s+\d{1,10}\s+%%EOF(\r\n|\r|\n)?$/.test(tail)) throw new RevisionRefused('unexpected bytes after the trailer');

  const size = sizeOf(signed.trailer);
  const root = refOf(signed.trailer.get('Root'), '/Root');
  // The trailer: the same document, one revision on.
  const allowed = new Set(['Size', 'Root', 'Prev', 'Info', 'ID']);
  for (const key of xref.trailer.keys()) if (!allowed.has(key)) throw new RevisionRefused(`the trailer after the signature has /${key}`);
  const prev = xref.trailer.get('Prev');
  if (prev?.kind !== 'number' || prev.value !== signed.startxref) throw new RevisionRefused('the revision after the signature does not follow the signed one (/Prev)');
  const newRoot = xref.trailer.get('Root');
  if (!newRoot || canonical(newRoot) !== canonical(signed.trailer.get('Root')!)) throw new RevisionRefused('the revision after the signature names another catalogue');
  const info = [xref.trailer.get('Info'), signed.trailer.get('Info')].map((v) => (v ? canonical(v) : ''));
  if (info[0] !== info[1]) throw new RevisionRefused('the revision after the signature changes /Info');
  const ids = [xref.trailer.get('ID'), signed.trailer.get('ID')];
  const firstId = (v: PdfValue | undefined) => (v?.kind === 'array' && v.items[0] ? canonical(v.items[0]) : '');
  if (Boolean(ids[0]) !== Boolean(ids[1]) || firstId(ids[0]) !== firstId(ids[1])) throw new RevisionRefused('the revision after the signature changes the document /ID');
  const newSize = sizeOf(xref.trailer);

  // Every object defined here is in the cross-reference section at its offset, and nothing else is.
  if (xref.free.some((n) => n !== 0)) throw new RevisionRefused('the revision after the signature frees objects');
  if (xref.entries.size !== objects.size) throw new RevisionRefused('the cross-reference section does not list exactly the objects defined after the signature');
  for (const [num, e] of xref.entries) {
    const obj = objects.get(num);
    if (!obj || obj.start !== e.offset || obj.gen !== e.gen) throw new RevisionRefused(`the cross-reference entry of object ${num} does not point at its definition after the signature`);
    if (num >= newSize) throw new RevisionRefused('an object beyond the trailer\'s /Size');
  }

  // The catalogue: as signed, plus /DSS.
  const catalog = objects.get(root.num);
  if (!catalog || catalog.gen !== root.gen || catalog.value.kind !== 'dict' || catalog.stream) throw new RevisionRefused('the revision after the signature does not redefine the catalogue');
  const before = objectOf(pdf, signed, root.num, signedEnd).value;
  if (before.kind !== 'dict' || before.entries.has('DSS')) throw new RevisionRefused('the signed catalogue is not a dictionary without /DSS');
  const after = new Map(catalog.value.entries);
  const dssRef = after.get('DSS');
  after.delete('DSS');
  if (canonical({ ...before, entries: after }) !== canonical(before)) throw new RevisionRefused('the revision after the signature changes the catalogue beyond adding /DSS');
  const dssNum = refOf(dssRef, '/DSS').num;

  // Every other object is new (numbered from the signed /Size on) and part of the DSS.
  const used = new Set<number>([root.num]);
  const take = (num: number, what: string): PdfObject => {
    const obj = objects.get(num);
    if (!obj || num < size || obj.gen !== 0) throw new RevisionRefused(`${what} is not an object added after the signature`);
    used.add(num);
    return obj;
  };
  const dss = take(dssNum, 'the DSS');
  if (dss.value.kind !== 'dict' || dss.stream) throw new RevisionRefused('the DSS is not a dictionary');
  for (const [key, value] of dss.value.entries) {
    if (!DSS_KEYS.has(key)) throw new RevisionRefused(`the DSS has /${key}`);
    if (key === 'Type' && (value.kind !== 'name' || value.value !== 'DSS')) throw new RevisionRefused('the DSS /Type is not /DSS');
  }
  const streamData = (num: number, what: string) => {
    const obj = take(num, what);
    if (!obj.stream || obj.value.kind !== 'dict' || [...obj.value.entries.keys()].some((k) => k !== 'Length')) throw new RevisionRefused(`${what} is not a plain stream`);
    return obj.stream;
  };
  const lists = { certs: refs(dss.value.entries.get('Certs'), '/Certs'), crls: refs(dss.value.entries.get('CRLs'), '/CRLs'), ocsps: refs(dss.value.entries.get('OCSPs'), '/OCSPs') };
  if (lists.certs.length > maxObjects || lists.crls.length + lists.ocsps.length > maxObjects) {
    throw new SignatureLimitsExceeded(`the DSS holds ${lists.certs.length} certificates and ${lists.crls.length + lists.ocsps.length} revocation answers (at most ${maxObjects} of each accepted)`);
  }
  const out: DssContents = {
    certs: lists.certs.map((n) => streamData(n, 'a DSS certificate')),
    crls: lists.crls.map((n) => streamData(n, 'a DSS CRL')),
    ocsps: lists.ocsps.map((n) => streamData(n, 'a DSS OCSP response')),
  };
  const inDss = new Set([...lists.certs, ...lists.crls, ...lists.ocsps]);
  const vri = dss.value.entries.get('VRI');
  if (vri) {
    const vriDict = vri.kind === 'ref' ? take(vri.num, 'the VRI').value : vri;
    if (vriDict.kind !== 'dict') throw new RevisionRefused('the VRI is not a dictionary');
    for (const [key, entry] of vriDict.entries) {
      if (!/^[0-9A-F]{40}$/.test(key)) throw new RevisionRefused(`VRI key /${key} is not a SHA-1 in upper-case hex`);
      const d = entry.kind === 'ref' ? take(entry.num, 'a VRI entry').value : entry;
      if (d.kind !== 'dict') throw new RevisionRefused('a VRI entry is not a dictionary');
      for (const [k, v] of d.entries) {
        if (!VRI_KEYS.has(k)) throw new RevisionRefused(`a VRI entry has /${k}`);
        if (k === 'Cert' || k === 'CRL' || k === 'OCSP') {
          if (refs(v, `VRI /${k}`).some((n) => !inDss.has(n))) throw new RevisionRefused(`VRI /${k} names a stream outside the DSS`);
        }
        if (k === 'TS') streamData(refOf(v, 'VRI /TS').num, 'a VRI time-stamp');
        if (k === 'TU' && v.kind !== 'string') throw new RevisionRefused('VRI /TU is not a date string');
        if (k === 'Type' && (v.kind !== 'name' || v.value !== 'VRI')) throw new RevisionRefused('VRI /Type is not /VRI');
      }
    }
  }
  const stray = [...objects.keys()].filter((n) => !used.has(n));
  if (stray.length) throw new RevisionRefused(`the revision after the signature defines object${stray.length > 1 ? 's' : ''} ${stray.slice(0, 5).join(', ')} outside the DSS`);
  return out;
}
