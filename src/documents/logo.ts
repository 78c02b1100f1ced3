import crypto from 'node:crypto';

/**
 * An organisation's logo, printed at the left of its letterhead (kop surat). Only what pdfkit
 * embeds itself is taken — PNG and JPEG — and it is checked by its magic bytes and the dimensions
 * in its header (a bounded read: nothing is decoded here; pdfkit decodes in the document worker).
 * The dimensions are bounded too, so a small file cannot inflate into a huge image there.
 */

export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** At most 256 KB: the migration's CHECK says the same. */
export const MAX_LOGO_BYTES = 256 * 1024;
/** Width and height in pixels; a letterhead logo is printed at about 2 cm. */
export const MAX_LOGO_PIXELS = 2048;

export interface LogoInfo {
  contentType: LogoType;
  width: number;
  height: number;
  bytes: number;
  /** Lower-case hex SHA-256 of the bytes: what the organisation chain records. */
  sha256: string;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Valid bit depths per PNG colour type (PNG spec, table 11.1). */
const PNG_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Width and height from a PNG's IHDR, or a reason it is not a PNG pdfkit can embed. */
function pngSize(b: Buffer): { width: number; height: number } | string {
  if (b.length < 33 || b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') return 'is not a valid PNG (no IHDR header)';
  const depth = b[24]!;
  const colour = b[25]!;
  if (!PNG_DEPTHS[colour]?.includes(depth)) return 'is not a valid PNG (bad bit depth or colour type)';
  if (b[26] !== 0 || b[27] !== 0 || b[28]! > 1) return 'is not a valid PNG (unknown compression, filter or interlace method)';
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Start-of-frame markers (baseline, extended, progressive, lossless; not DHT, JPG, DAC). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Width and height from a JPEG's start-of-frame segment, walking the marker segments only. */
function jpegSize(b: Buffer): { width: number; height: number } | string {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return 'is not a valid JPEG (broken marker segments)';
    const marker = b[at + 1]!;
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame
    const length = b.readUInt16BE(at + 2);
    if (length < 2) return 'is not a valid JPEG (broken marker segments)';
    if (SOF.has(marker)) {
      if (at + 9 + 1 > b.length || length < 8) break;
      const channels = b[at + 9]!;
      if (![1, 3, 4].includes(channels)) return 'is not a JPEG pdfkit can embed (1, 3 or 4 colour channels)';
      return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
    }
    at += 2 + length;
  }
  return 'is not a valid JPEG (no frame header)';
}

/** The image type the first bytes say (whatever a browser or a file name declared), or undefined. */
export function logoTypeOf(bytes: Buffer): LogoType | undefined {
  if (bytes.subarray(0, 8).equals(PNG_MAGIC)) return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}

/**
 * Checks a logo's bytes against its declared type: the magic bytes must say the same type, the
 * header must give dimensions of 1..MAX_LOGO_PIXELS. Returns the facts or the reason it is refused.
 */
export function checkLogo(contentType: string, bytes: Buffer): LogoInfo | string {
  if (!(LOGO_TYPES as readonly string[]).includes(contentType)) return 'must be image/png or image/jpeg';
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > MAX_LOGO_BYTES) return `is ${bytes.length} bytes; a logo is at most ${MAX_LOGO_BYTES} bytes (256 KB)`;
  const isPng = bytes.subarray(0, 8).equals(PNG_MAGIC);
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (contentType === 'image/png' && !isPng) return isJpeg ? 'is a JPEG image, not image/png' : 'is not a PNG image';
  if (contentType === 'image/jpeg' && !isJpeg) return isPng ? 'is a PNG image, not image/jpeg' : 'is not a JPEG image';
  const size = isPng ? pngSize(bytes) : jpegSize(bytes);
  if (typeof size === 'string') return size;
  if (size.width < 1 || size.height < 1 || size.width > MAX_LOGO_PIXELS || size.height > MAX_LOGO_PIXELS) {
    return `is ${size.width}×${size.height} pixels; a logo is at most ${MAX_LOGO_PIXELS}×${MAX_LOGO_PIXELS}`;
  }
  return { contentType: contentType as LogoType, ...size, bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}
