import type { WebContext } from '../context';

/**
 * The server's validation messages (ajv's English) in the page's language. Messages it does not
 * know are shown as the server wrote them.
 */
const ID: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^must have required property/, () => 'wajib diisi'],
  [/^must match pattern/, () => 'format tidak sesuai'],
  [/^must be integer$/, () => 'harus bilangan bulat'],
  [/^must be number$/, () => 'harus berupa angka'],
  [/^must be string$/, () => 'harus diisi teks'],
  [/^must be equal to one of the allowed values$/, () => 'pilih salah satu pilihan'],
  [/^must be >= (\S+)$/, (m) => `minimal ${m[1]}`],
  [/^must be <= (\S+)$/, (m) => `maksimal ${m[1]}`],
  [/^must be > (\S+)$/, (m) => `harus lebih dari ${m[1]}`],
  [/^must be < (\S+)$/, (m) => `harus kurang dari ${m[1]}`],
  [/^must NOT have fewer than (\d+) characters$/, (m) => `minimal ${m[1]} karakter`],
  [/^must NOT have more than (\d+) characters$/, (m) => `maksimal ${m[1]} karakter`],
  [/^must NOT have fewer than (\d+) items$/, (m) => `minimal ${m[1]} baris`],
  [/^must NOT have more than (\d+) items$/, (m) => `maksimal ${m[1]} baris`],
  [/^must have at most 2 decimals$/, () => 'paling banyak 2 angka desimal'],
  [/^must be at least 0\.01$/, () => 'minimal 0,01'],
  [/^volume × unitPrice must come to at least Rp 1$/, () => 'volume × harga satuan minimal Rp 1'],
  [/^must come to at least Rp 1 of the contract value$/, () => 'minimal Rp 1 dari nilai kontrak'],
  [/^is not a known OPD$/, () => 'bukan OPD yang terdaftar'],
  [/^must match a schema in anyOf$/, () => 'isi salah satu (NIK atau NIB)'],
];

export function errorMessage(ctx: WebContext, message: string): string {
  if (ctx.lang !== 'id') return message;
  return message.split('; ').map((part) => {
    for (const [re, say] of ID) {
      const m = re.exec(part);
      if (m) return say(m);
    }
    return part;
  }).join('; ');
}
