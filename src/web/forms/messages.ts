import type { I18n } from '../i18n';

/**
 * The server's validation messages (ajv's English) in the page's language. Messages it does not
 * know are shown as the server wrote them.
 */
const ID: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^must have required property/, () => 'wajib diisi'],
  [/^must match pattern "\^\[0-9\]\{(\d+)\}\$"$/, (m) => `harus ${m[1]} angka`],
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
  [/^must match a schema in anyOf$/, () => 'isi salah satu: NIK (perorangan) atau NIB (badan usaha)'],
  // src/documents/printable.ts: text a signed document could not show as written.
  [/^must not contain emoji \((.+) (U\+[0-9A-F]+)\)/, (m) => `tidak boleh berisi emoji (${m[1]} ${m[2]}): dokumen bertanda tangan tidak dapat menampilkannya`],
  [/^must not contain bidirectional control characters \((U\+[0-9A-F]+)\)/, (m) => `tidak boleh berisi karakter pengatur arah teks (${m[1]}): karakter itu mengubah urutan teks yang tampil`],
  [/^must not contain zero-width or invisible formatting characters \((U\+[0-9A-F]+)\)/, (m) => `tidak boleh berisi karakter lebar-nol atau karakter format tak terlihat (${m[1]}); hanya ZWJ dan ZWNJ yang diizinkan`],
  [/^must not contain control characters \((U\+[0-9A-F]+)\)/, (m) => `tidak boleh berisi karakter kendali (${m[1]})`],
  [/^contains a character no document font can show \((.+) (U\+[0-9A-F]+)\)/, (m) => `berisi karakter yang tidak dapat dicetak pada dokumen (${m[1]} ${m[2]}); yang dapat dicetak: aksara Latin, Arab (termasuk Pegon dan Jawi) dan Jawa`],
];

/** The few English messages said more plainly than ajv says them. */
const EN: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^must match pattern "\^\[0-9\]\{(\d+)\}\$"$/, (m) => `must be ${m[1]} digits`],
];

export function errorMessage(ctx: Pick<I18n, 'lang'>, message: string): string {
  const table = ctx.lang === 'id' ? ID : EN;
  return message.split('; ').map((part) => {
    for (const [re, say] of table) {
      const m = re.exec(part);
      if (m) return say(m);
    }
    return part;
  }).join('; ');
}
