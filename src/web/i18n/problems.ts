import type { GrmsError } from '../../errors';
import type { I18n, Lang } from './index';
import { coreLabel } from './labels';
import { serverMessage } from '../forms/messages';

/**
 * What the console says about a refusal, in the page's language, built from the error's stable
 * code and its field paths. The API keeps its English problem detail; the console never shows it
 * (an officer reading Indonesian should not meet an English sentence). A workflow's own refusals
 * are said by its package (`labels.texts['problem.<CODE>']`), the core's by the table below.
 */
const PROBLEMS: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    VERSION_CONFLICT: 'Data ini telah diubah orang lain sejak halaman dibuka. Muat ulang halaman lalu coba lagi.',
    TRANSITION_NOT_ALLOWED: 'Tindakan ini tidak dapat dilakukan pada status sekarang.',
    FORBIDDEN: 'Anda tidak berwenang melakukan tindakan ini.',
    SEGREGATION_OF_DUTIES: 'Orang yang mengajukan tidak boleh menelaah atau menyetujui pengajuannya sendiri (pemisahan tugas).',
    INVALID_DATA: 'Data tidak dapat diterima.',
    BAD_REQUEST: 'Permintaan tidak dapat diproses. Periksa isian lalu coba lagi.',
    MALFORMED_JSON: 'Permintaan tidak dapat dibaca.',
    UNPRINTABLE_TEXT: 'Teks berisi karakter yang tidak dapat ditampilkan dokumen (emoji, karakter tak terlihat, atau aksara yang tidak didukung).',
    RESERVED_KEY: 'Nama isian ini tidak boleh dipakai.',
    COMMENT_REQUIRED: 'Tindakan ini memerlukan catatan.',
    NOT_FOUND: 'Data yang dicari tidak ada, atau Anda tidak berhak melihatnya.',
    UNAUTHORIZED: 'Silakan masuk terlebih dahulu.',
    WRONG_PASSWORD: 'Kata sandi sekarang tidak benar.',
    ORG_EXISTS: 'Organisasi dengan ID ini sudah ada. ID tidak dapat dipakai ulang.',
    USER_EXISTS: 'Pengguna dengan nama ini sudah ada.',
    PAYLOAD_TOO_LARGE: 'Isian atau berkas terlalu besar.',
    ATTACHMENT_QUOTA_EXCEEDED: 'Batas ukuran lampiran untuk berkas proses ini sudah tercapai.',
    UNSUPPORTED_MEDIA_TYPE: 'Jenis berkas atau isian tidak didukung.',
    IDEMPOTENCY_KEY_REUSED: 'Permintaan ini sudah pernah dikirim dengan isi lain.',
    DATABASE_UNAVAILABLE: 'Basis data sedang tidak dapat dihubungi. Coba lagi sebentar lagi.',
    TOO_MANY_REQUESTS: 'Terlalu banyak permintaan dari alamat Anda. Coba lagi nanti.',
    METHOD_NOT_ALLOWED: 'Cara permintaan ini tidak didukung.',
    LOG_PENDING: 'Dokumen belum tercatat di log publik. Coba lagi setelah pencatatan berikutnya.',
    DOCUMENT_UNIT_CODE_MISSING: 'Kantor yang menerbitkan naskah ini belum memiliki kode unit untuk nomor naskah. Minta admin mengisinya di halaman organisasi.',
  },
  en: {
    VERSION_CONFLICT: 'Someone changed this record since the page was opened. Reload the page and try again.',
    TRANSITION_NOT_ALLOWED: 'This action is not possible in the current state.',
    FORBIDDEN: 'You may not do this.',
    SEGREGATION_OF_DUTIES: 'Whoever submitted may not review their own submission or decide on it (segregation of duties).',
    INVALID_DATA: 'The data cannot be accepted.',
    BAD_REQUEST: 'The request cannot be processed. Check the fields and try again.',
    MALFORMED_JSON: 'The request cannot be read.',
    UNPRINTABLE_TEXT: 'The text holds characters a document cannot show (emoji, invisible characters, or a script it does not support).',
    RESERVED_KEY: 'This field name may not be used.',
    COMMENT_REQUIRED: 'This action needs a comment.',
    NOT_FOUND: 'What you looked for does not exist, or you may not see it.',
    UNAUTHORIZED: 'Please sign in first.',
    WRONG_PASSWORD: 'The current password is not right.',
    ORG_EXISTS: 'An organisation with this ID exists. IDs are never reused.',
    USER_EXISTS: 'A user with this name exists.',
    PAYLOAD_TOO_LARGE: 'The form or file is too large.',
    ATTACHMENT_QUOTA_EXCEEDED: 'The attachment limit of this record has been reached.',
    UNSUPPORTED_MEDIA_TYPE: 'This kind of file or form is not supported.',
    IDEMPOTENCY_KEY_REUSED: 'This request was already sent with other content.',
    DATABASE_UNAVAILABLE: 'The database cannot be reached right now. Try again shortly.',
    TOO_MANY_REQUESTS: 'Too many requests from your address. Try again later.',
    METHOD_NOT_ALLOWED: 'This kind of request is not supported.',
    LOG_PENDING: 'The document is not yet in the public log. Try again after the next entry.',
    DOCUMENT_UNIT_CODE_MISSING: 'The office issuing this document has no unit code for document numbers yet. Ask an admin to set it on the organisation page.',
  },
};

/** Said when neither the package nor the core knows the code: by the status alone. */
const FALLBACK: Readonly<Record<Lang, { client: string; server: string }>> = {
  id: { client: 'Permintaan ditolak. Periksa isian lalu coba lagi.', server: 'Terjadi kesalahan pada server.' },
  en: { client: 'The request was refused. Check the fields and try again.', server: 'Something went wrong on the server.' },
};

const CHECK: Readonly<Record<Lang, (fields: string) => string>> = {
  id: (fields) => `Periksa isian: ${fields}.`,
  en: (fields) => `Check: ${fields}.`,
};
const ROW: Readonly<Record<Lang, (n: number) => string>> = {
  id: (n) => `baris ${n}`,
  en: (n) => `row ${n}`,
};

/** Refusals the console words itself (a role that is needed, named in the page's language). */
const alreadySaid = new WeakMap<GrmsError, string>();

/** Marks `err` as carrying `text`, already in the page's language, for the console to show as it is. */
export function saidInConsole<E extends GrmsError>(err: E, text: string): E {
  alreadySaid.set(err, text);
  return err;
}

type ProblemCtx = Pick<I18n, 'lang' | 'field' | 'text'>;

/**
 * A field path as an officer reads it: "/data/lines/1/unitPrice" → "Harga satuan (baris 2)". The
 * request's envelope (data, payload) is not a field.
 */
export function fieldPathLabel(ctx: Pick<I18n, 'lang' | 'field'>, workflow: string | undefined, path: string): string {
  const parts = path.split('/').slice(1).filter((p) => p !== '' && p !== 'data' && p !== 'payload');
  const names = parts.filter((p) => !/^\d+$/.test(p));
  const rows = parts.filter((p) => /^\d+$/.test(p)).map((p) => ROW[ctx.lang](Number(p) + 1));
  const name = names.at(-1);
  if (name === undefined) return rows.join(', ');
  // A field nobody labels is not named (its name, made readable, would be English); the row still is.
  const label = workflow ? ctx.field(workflow, name) : coreLabel(ctx.lang, 'fields', name);
  if (label === undefined || label === unlabelled(name)) return rows.join(', ');
  return rows.length ? `${label} (${rows.join(', ')})` : label;
}

/** What i18n shows for a field without a label (src/web/i18n/index.ts). */
const unlabelled = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** The console's sentence for a refusal of (a step in) `workflow`: never the API's English detail. */
export function problemText(ctx: ProblemCtx, err: GrmsError, workflow?: string): string {
  const own = alreadySaid.get(err);
  if (own !== undefined) return own;
  const key = `problem.${err.code}`;
  const fromPackage = workflow ? ctx.text(workflow, key) : key;
  const said = fromPackage !== key ? fromPackage
    : PROBLEMS[ctx.lang][err.code] ?? (err.status >= 500 ? FALLBACK[ctx.lang].server : FALLBACK[ctx.lang].client);
  // A reserved name has no label: it is named as it was sent, so the sender sees which one.
  const fields = err.code === 'RESERVED_KEY'
    ? [...new Set((err.errors ?? []).map((e) => `"${e.path}"`))]
    : [...new Set((err.errors ?? []).map((e) => {
      const label = fieldPathLabel(ctx, workflow, e.path);
      // A request refused as malformed (400) is answered on a page without its form: the reason goes with the field.
      if (err.status !== 400) return label;
      const why = serverMessage(ctx, e.message);
      return label ? `${label} (${why})` : why;
    }).filter((f) => f !== ''))];
  return fields.length ? `${said} ${CHECK[ctx.lang](fields.join(', '))}` : said;
}
