import type { GrmsError } from '../../errors';
import type { Lang } from './index';

/**
 * Refusals officers meet in the console, by the error's stable code, said in the page's language;
 * the server's own detail follows in brackets (it names the numbers: versions, amounts).
 */
const PROBLEMS: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    VERSION_CONFLICT: 'Data ini telah diubah orang lain sejak halaman dibuka. Muat ulang halaman lalu coba lagi.',
    TRANSITION_NOT_ALLOWED: 'Tindakan ini tidak dapat dilakukan pada status sekarang.',
    FORBIDDEN: 'Anda tidak berwenang melakukan tindakan ini.',
    SEGREGATION_OF_DUTIES: 'Pengaju tidak boleh menelaah usulannya sendiri (pemisahan tugas).',
    CEILING_EXCEEDED: 'Jumlah melebihi pagu OPD untuk tahun anggaran ini.',
    CEILING_MISSING: 'Pagu OPD untuk tahun anggaran ini belum ditetapkan.',
    INVALID_DATA: 'Data tidak valid.',
    UNPRINTABLE_TEXT: 'Teks berisi karakter yang tidak dapat ditampilkan dokumen (emoji, karakter tak terlihat, atau aksara yang tidak didukung).',
  },
  en: {
    VERSION_CONFLICT: 'Someone changed this record since the page was opened. Reload the page and try again.',
    TRANSITION_NOT_ALLOWED: 'This action is not possible in the current state.',
    FORBIDDEN: 'You may not do this.',
    SEGREGATION_OF_DUTIES: 'Whoever submitted a proposal may not review it (segregation of duties).',
    CEILING_EXCEEDED: 'The amount exceeds the OPD\'s ceiling for this fiscal year.',
    CEILING_MISSING: 'No ceiling is set for this OPD and fiscal year.',
    INVALID_DATA: 'The data is not valid.',
    UNPRINTABLE_TEXT: 'The text holds characters a document cannot show (emoji, invisible characters, or a script it does not support).',
  },
};

export function problemText(lang: Lang, err: GrmsError): string {
  const said = PROBLEMS[lang][err.code];
  return said ? `${said} (${err.message})` : err.message;
}
