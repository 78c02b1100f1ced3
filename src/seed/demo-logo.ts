import crypto from 'node:crypto';
import zlib from 'node:zlib';

/**
 * The demo government's logo: a small PNG drawn here (a gold ring around a blue disc with a white
 * star-like cross), so the demo's letterheads show a logo without shipping an image file.
 * Deterministic: the same bytes, hence the same SHA-256, on every seed.
 */
export function demoLogoPng(size = 96): Buffer {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - c, y - c) / c;
      const cross = (Math.abs(x - c) < size * 0.06 || Math.abs(y - c) < size * 0.06) && r < 0.62;
      const rgb = r > 1 ? [255, 255, 255] : r > 0.82 ? [201, 162, 39] : cross ? [255, 255, 255] : [22, 63, 128];
      raw.set(rgb, y * (size * 3 + 1) + 1 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method variants, not interlaced
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** The demo logo as the orgs table holds it. */
export function demoLogoColumns(): { logo: Buffer; logo_type: string; logo_sha256: string } {
  const logo = demoLogoPng();
  return { logo, logo_type: 'image/png', logo_sha256: crypto.createHash('sha256').update(logo).digest('hex') };
}
