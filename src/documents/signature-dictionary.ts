import { PdfReader } from './pdf-objects';

/**
 * The signature dictionary around a /ByteRange: its /SubFilter (which CMS profile the signature
 * follows) and /M (the time the signer claims; PAdES puts it here rather than in the CMS).
 */
export interface SignatureDictionary {
  subFilter?: string;
  claimedAt?: Date;
}

/** "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000 §7.9.4); undefined when it is not one. */
export function parsePdfDate(text: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?|[+-]\d{2})?/.exec(text);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', zone] = m;
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2})'?(\d{2})?/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const ms = Date.UTC(+y!, +mo - 1, +d, +h, +mi, +s) - offsetMin * 60_000;
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Reads the dictionary whose /ByteRange is at `byteRangeAt`; fields it cannot read are left out. */
export function readSignatureDictionary(pdf: Buffer, byteRangeAt: number): SignatureDictionary {
  // The object header "N G obj" is the last one before the ByteRange.
  const before = pdf.toString('latin1', Math.max(0, byteRangeAt - 4096), byteRangeAt);
  const headers = [...before.matchAll(/(?:^|[\r\n\s])(\d+\s+\d+\s+obj)\b/g)];
  const last = headers.at(-1);
  if (!last) return {};
  const start = byteRangeAt - before.length + last.index! + last[0].length - last[1]!.length;
  try {
    const obj = new PdfReader(pdf, start).object();
    if (obj.value.kind !== 'dict') return {};
    const sub = obj.value.entries.get('SubFilter');
    const m = obj.value.entries.get('M');
    return {
      subFilter: sub?.kind === 'name' ? sub.value : undefined,
      claimedAt: m?.kind === 'string' ? parsePdfDate(m.bytes.toString('latin1')) : undefined,
    };
  } catch {
    return {};
  }
}
