import type { I18n } from '../i18n';

/**
 * The server's validation messages (ajv's English, the core's own checks) in the page's language.
 */
const ID: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  // The admin and audit forms' own checks (src/auth, src/api/audit.ts).
  [/^must be 2-63 lower-case letters, digits, \. _ -$/, () => 'harus 2–63 huruf kecil, angka, titik, garis bawah atau tanda hubung'],
  [/^must be a name of at most 200 characters$/, () => 'wajib diisi, paling banyak 200 karakter'],
  [/^must be the 18 digits of a NIP \(spaces allowed\)$/, () => 'harus 18 angka NIP (boleh berspasi)'],
  [/^must be a non-empty string of at most (\d+) characters$/, (m) => `wajib diisi, paling banyak ${m[1]} karakter`],
  [/^must be (?:a string )?(?:of )?at most (\d+) characters$/, (m) => `paling banyak ${m[1]} karakter`],
  [/^is not a known organisation$/, () => 'bukan OPD yang terdaftar'],
  [/^must be an organisation id$/, () => 'pilih OPD'],
  [/^must be one of /, () => 'pilih salah satu peran yang tersedia'],
  [/^is required$/, () => 'wajib diisi'],
  [/^must be (?:a date )?YYYY-MM-DD$/, () => 'harus tanggal yang ada (TTTT-BB-HH)'],
  [/^must not be before from$/, () => 'tidak boleh sebelum tanggal mulai'],
  [/^the delegator must hold this role at this organisation$/, () => 'pemberi harus memegang peran ini di OPD ini'],
  [/^must be plt or plh$/, () => 'pilih Plt. atau Plh.'],
  [/^must be an active user$/, () => 'harus pengguna yang aktif'],
  [/^must be someone else$/, () => 'harus orang lain'],
  [/^must belong to (\S+)$/, (m) => `harus pegawai ${m[1]}`],
  [/^must be (\d+) to (\d+) characters$/, (m) => `harus ${m[1]} sampai ${m[2]} karakter`],
  [/^must use at least (\d+) different characters$/, (m) => `harus memakai paling sedikit ${m[1]} karakter berbeda`],
  [/^must not contain NUL characters$/, () => 'tidak boleh berisi karakter NUL'],
  [/^must not contain control characters or lone surrogates$/, () => 'tidak boleh memuat karakter kontrol'],
  [/^is deactivated$/, () => 'sudah dinonaktifkan'],
  [/^must be a date or ISO 8601 time$/, () => 'harus tanggal atau waktu ISO 8601'],
  [/^must be an instance id$/, () => 'harus ID berkas proses (36 karakter, dari daftar)'],
  [/^must be csv or jsonl$/, () => 'pilih salah satu format'],
  [/^must be a single short value$/, () => 'harus satu nilai pendek'],
  [/^must be 2000\.\.2100$/, () => 'harus tahun 2000–2100'],
  [/^A user "(.+)" already exists$/, (m) => `Pengguna "${m[1]}" sudah ada`],
  [/^must be 2-40 lower-case letters, digits or -, starting with a letter or digit$/, () => 'harus 2–40 huruf kecil, angka atau tanda hubung, diawali huruf atau angka'],
  [/^must be opd or supplier$/, () => 'pilih OPD atau penyedia'],
  [/^must be a code of at most (\d+) characters, or null$/, (m) => `paling banyak ${m[1]} karakter`],
  [/^must be an NPWP: /, () => 'harus NPWP: 01.234.567.8-517.000 atau 16 angka'],
  [/^is required for a supplier$/, () => 'wajib diisi untuk penyedia'],
  [/^An organisation "(.+)" already exists$/, (m) => `Organisasi "${m[1]}" sudah ada`],
  [/^must be an address on one line of at most (\d+) characters, or null$/, (m) => `harus alamat dalam satu baris, paling banyak ${m[1]} karakter`],
  [/^must be a phone number of at most (\d+) characters: /, (m) => `harus nomor telepon, paling banyak ${m[1]} karakter: angka, spasi dan + ( ) . / , -`],
  [/^must be an e-mail address, or null$/, () => 'harus alamat pos-el'],
  [/^must be a website address, /, () => 'harus alamat laman, mis. dinkes.semarangkota.go.id'],
  [/^is (\d+) bytes; a logo is at most (\d+) bytes/, (m) => `berkas ${m[1]} bita; logo paling besar ${m[2]} bita (256 KB)`],
  [/^is (\d+)×(\d+) pixels; a logo is at most (\d+)×(\d+)$/, (m) => `gambar ${m[1]}×${m[2]} piksel; logo paling besar ${m[3]}×${m[4]} piksel`],
  [/^is not a (?:valid )?(?:PNG|JPEG)|^is not a JPEG pdfkit can embed/, () => 'bukan gambar PNG atau JPEG yang sah'],
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
  // The core's own checks (people, organisations, delegations, holidays, audit filters, searches).
  [/^must be a non-empty string$/, () => 'wajib diisi'],
  [/^is required/, () => 'wajib diisi'],
  [/^is not a known organisation$/, () => 'bukan organisasi yang terdaftar'],
  [/^must be an organisation id$/, () => 'pilih organisasi'],
  [/^is not a registered workflow$/, () => 'bukan alur kerja yang terdaftar'],
  [/^is not a known field$|^is not a field of this request$|^is not allowed$|^is not a property of/, () => 'isian ini tidak dikenal'],
  [/^is a reserved name$/, () => 'nama ini tidak boleh dipakai'],
  [/^is deactivated$/, () => 'akun ini sudah dinonaktifkan'],
  [/^must be an active user$/, () => 'harus pengguna yang aktif'],
  [/^must be someone else$/, () => 'harus orang lain'],
  [/^must be plt or plh$/, () => 'pilih Plt atau Plh'],
  [/^must be opd or supplier$/, () => 'pilih OPD atau penyedia'],
  [/^must be 2-40 lower-case letters/, () => '2–40 huruf kecil, angka atau tanda -, diawali huruf atau angka'],
  [/^must be 2-63 lower-case letters/, () => '2–63 huruf kecil, angka, titik, garis bawah atau tanda -'],
  [/^must be 2\.\.100 characters$/, () => '2 sampai 100 karakter'],
  [/^must be 2000\.\.2100$/, () => 'tahun 2000 sampai 2100'],
  [/^must be (?:a date )?YYYY-MM-DD$/, () => 'tanggal dengan format TTTT-BB-HH'],
  [/^must be a date or ISO 8601 time$/, () => 'harus tanggal yang sah'],
  [/^must be a single short value$/, () => 'isi satu nilai pendek saja'],
  [/^must be csv or jsonl$/, () => 'pilih salah satu format'],
  [/^must be the 18 digits of a NIP/, () => 'harus 18 angka NIP (spasi boleh)'],
  [/^must be an NPWP/, () => 'harus NPWP: 01.234.567.8-517.000 atau 16 angka'],
  [/^must be a name of at most (\d+) characters$/, (m) => `nama paling panjang ${m[1]} karakter`],
  [/^must be (?:a string of )?at most (\d+) characters$/, (m) => `maksimal ${m[1]} karakter`],
  [/^must be a non-empty string of at most (\d+) characters$/, (m) => `wajib diisi, maksimal ${m[1]} karakter`],
  [/^must be a code of at most (\d+) characters/, (m) => `kode paling panjang ${m[1]} karakter`],
  [/^must be a phone number/, () => 'harus nomor telepon: angka, spasi dan + ( ) . / , -'],
  [/^must be a website address/, () => 'harus alamat situs web, misalnya dinkes.semarangkota.go.id'],
  [/^must be an e-mail address$/, () => 'harus alamat email'],
  [/^must be an address on one line/, () => 'alamat dalam satu baris, maksimal 300 karakter'],
  [/^must be image\/png or image\/jpeg$|^is not a PNG or JPEG image$/, () => 'harus gambar PNG atau JPEG'],
  [/^must be a list of \{ role, org \}$/, () => 'harus daftar peran dan organisasi'],
  [/^must be a plain file name/, () => 'nama berkas biasa, maksimal 255 karakter'],
  [/^must be true or false$/, () => 'pilih ya atau tidak'],
  [/^must be an integer >= 0$/, () => 'harus bilangan bulat, minimal 0'],
  [/^amount is too large$/, () => 'jumlah terlalu besar'],
  [/^must be (\d+) to (\d+) characters$/, (m) => `${m[1]} sampai ${m[2]} karakter`],
  [/^must not contain control characters or lone surrogates$/, () => 'tidak boleh berisi karakter kendali'],
  [/^must use at least (\d+) different characters$/, (m) => `paling sedikit ${m[1]} karakter yang berbeda`],
  [/^must differ from the current password$/, () => 'harus berbeda dari kata sandi sekarang'],
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

/** A field message in the page's language; one the table does not know is shown as it is. */
export function errorMessage(ctx: Pick<I18n, 'lang'>, message: string): string {
  return translate(ctx, message, (part) => part);
}

/**
 * A field message from the server (problem+json `errors[].message`, in English) in the page's
 * language. In Indonesian, a message the table does not know is not shown in English: it becomes
 * "isian ini tidak dapat diterima" (the field is still marked).
 */
export function serverMessage(ctx: Pick<I18n, 'lang'>, message: string): string {
  return translate(ctx, message, () => UNKNOWN);
}

const UNKNOWN = 'isian ini tidak dapat diterima';

function translate(ctx: Pick<I18n, 'lang'>, message: string, unknownInIndonesian: (part: string) => string): string {
  const table = ctx.lang === 'id' ? ID : EN;
  const unknown = ctx.lang === 'id' ? unknownInIndonesian : (part: string) => part;
  const known = (part: string) => {
    for (const [re, say] of table) {
      const m = re.exec(part);
      if (m) return say(m);
    }
    return undefined;
  };
  // A message may itself hold "; " (a logo's size); else several messages are joined by it.
  return known(message) ?? [...new Set(message.split('; ').map((part) => known(part) ?? unknown(part)))].join('; ');
}
