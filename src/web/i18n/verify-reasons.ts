import type { Lang } from './index';

/**
 * The signature check's reasons and notes (src/documents/verify.ts, in English for the API and
 * the CLI) as the verify page says them. The page speaks to whoever holds the file: what happened
 * to it, not how the check found out. A reason the table does not know is said by its kind.
 */
export type ReasonKind = 'changed' | 'unsigned' | 'signer' | 'untrusted' | 'expired' | 'revoked' | 'timestamp' | 'unreadable';

const KINDS: Array<[RegExp, ReasonKind]> = [
  [/changed after signing|more than one signature|does not cover the whole file|unsigned gap/, 'changed'],
  [/has no signature/, 'unsigned'],
  [/does not match the signer certificate|not bound to its signer certificate|does not include its signer certificate/, 'signer'],
  [/does not chain to a trusted CA|certificate chain too long/, 'untrusted'],
  [/was not valid at/, 'expired'],
  [/revoked at/, 'revoked'],
  [/time-stamp is not valid/, 'timestamp'],
];

const REASONS: Readonly<Record<Lang, Readonly<Record<ReasonKind, string>>>> = {
  id: {
    changed: 'Isi berkas telah diubah setelah ditandatangani. Berkas ini bukan lagi dokumen yang ditandatangani.',
    unsigned: 'Berkas PDF ini tidak memuat tanda tangan elektronik.',
    signer: 'Tanda tangan tidak cocok dengan sertifikat penanda tangannya.',
    untrusted: 'Sertifikat penanda tangan tidak diterbitkan oleh penerbit sertifikat yang dipercaya instansi ini.',
    expired: 'Sertifikat penanda tangan tidak berlaku pada waktu penandatanganan.',
    revoked: 'Sertifikat penanda tangan telah dicabut sebelum waktu penandatanganan yang terbukti.',
    timestamp: 'Cap waktu pada tanda tangan tidak sah.',
    unreadable: 'Tanda tangan rusak atau memakai bentuk yang tidak dapat diperiksa.',
  },
  en: {
    changed: 'The file\'s content was changed after it was signed. It is no longer the signed document.',
    unsigned: 'This PDF carries no electronic signature.',
    signer: 'The signature does not match its signer\'s certificate.',
    untrusted: 'The signer\'s certificate was not issued by a certificate authority this office trusts.',
    expired: 'The signer\'s certificate was not valid at the time of signing.',
    revoked: 'The signer\'s certificate was revoked before the proven time of signing.',
    timestamp: 'The signature\'s time-stamp is not valid.',
    unreadable: 'The signature is damaged or in a form that cannot be checked.',
  },
};

export function reasonKind(reason: string): ReasonKind {
  return KINDS.find(([re]) => re.test(reason))?.[1] ?? 'unreadable';
}

export function reasonText(lang: Lang, reason: string): string {
  return REASONS[lang][reasonKind(reason)];
}

const NOTES: Array<[RegExp, Readonly<Record<Lang, string>>]> = [
  [/is not from a trusted time-stamping authority/, {
    id: 'Cap waktu pada tanda tangan tidak berasal dari penyedia cap waktu yang dipercaya, sehingga tidak dipakai.',
    en: 'The signature\'s time-stamp is not from a trusted time-stamping authority, so it is not used.',
  }],
  [/judged at the earliest witness cosignature/, {
    id: 'Tanpa cap waktu yang dipercaya: keabsahan dinilai pada waktu saksi pertama menandatangani catatan log publik yang memuat dokumen ini.',
    en: 'No trusted time-stamp: validity is judged at the first witness signature over a public log entry holding this document.',
  }],
  [/no witness has cosigned/, {
    id: 'Tanpa cap waktu yang dipercaya dan belum disaksikan: waktu penandatanganan belum terbukti, keabsahan dinilai pada waktu dokumen didaftarkan di grms.',
    en: 'No trusted time-stamp and not yet witnessed: the time of signing is not proven; validity is judged at the document\'s registration in grms.',
  }],
  [/not registered in grms: judged at the time of this check/, {
    id: 'Tanpa cap waktu yang dipercaya dan tidak terdaftar di grms: keabsahan dinilai pada waktu pemeriksaan ini.',
    en: 'No trusted time-stamp and not registered in grms: validity is judged at the time of this check.',
  }],
  [/^the DSS lacks/, {
    id: 'Berkas belum memuat semua sertifikat dan daftar pencabutan untuk pemeriksaan jangka panjang.',
    en: 'The file does not yet hold every certificate and revocation list for long-term validation.',
  }],
  [/earlier grms version/, {
    id: 'Tanda tangan dari versi grms yang lebih lama: tanpa cap waktu dan tanpa data pemeriksaan jangka panjang.',
    en: 'A signature of an earlier grms version: no time-stamp and no long-term validation data.',
  }],
];

/** The check's notes in the page's language, each said once. */
export function noteTexts(lang: Lang, notes: readonly string[]): string[] {
  const other = lang === 'id' ? 'Catatan pemeriksaan lain tentang tanda tangan ini.' : 'Another remark of the check about this signature.';
  return [...new Set(notes.map((n) => NOTES.find(([re]) => re.test(n))?.[1][lang] ?? other))];
}
