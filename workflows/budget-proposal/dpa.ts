import type { DocumentContentInput, PackageDocumentContent } from '../../src/engine/package';
import type { DocumentLine, DocumentSection, SectionRow } from '../../src/documents/content';
import { formatNumberId, formatRupiah } from '../../src/documents/format';
import { nomenclatureNames, type NomenclatureKind } from '../../src/nomenclature';

/**
 * The DPA-SKPD (Dokumen Pelaksanaan Anggaran) the PPKD's ratification issues, laid out as the
 * document is known: the fiscal year; urusan, bidang urusan, program, kegiatan and sub kegiatan
 * with their codes and names; the OPD; funding source, location and implementation period; the
 * indicators and targets; the budget lines grouped by account (kode rekening) with a subtotal per
 * account and the total. Names come from the nomenclature of the proposal's fiscal year
 * (src/nomenclature); a code the nomenclature does not name is printed bare (the sub kegiatan's
 * falls back to the name the proposal gives it). The PPKD's signature block follows the total.
 * Labels and layout, not rules: not covered by a version's fingerprint (v1.ts and v2.ts do not import it).
 */

/** The document title of the ratify step (v1.ts). */
export const DPA_TITLE = 'DPA-SKPD';

const FUNDING: Readonly<Record<string, string>> = {
  PAD: 'PAD (Pendapatan Asli Daerah)',
  DAU: 'DAU (Dana Alokasi Umum)',
  DAK: 'DAK (Dana Alokasi Khusus)',
  DBH: 'DBH (Dana Bagi Hasil)',
  BANKEU: 'Bantuan Keuangan',
};

/**
 * The codes a sub kegiatan code implies (Permendagri 90/2019, U.BB.PP.K.KK.SSSS): urusan `U`,
 * bidang `U.BB`, program `U.BB.PP`, kegiatan `U.BB.PP.K.KK`, and the sub kegiatan itself.
 */
export function codeChain(subKegiatan: string): Array<{ kind: NomenclatureKind; label: string; code: string }> {
  const p = subKegiatan.split('.');
  return [
    { kind: 'urusan', label: 'Urusan Pemerintahan', code: p.slice(0, 1).join('.') },
    { kind: 'bidang', label: 'Bidang Urusan', code: p.slice(0, 2).join('.') },
    { kind: 'program', label: 'Program', code: p.slice(0, 3).join('.') },
    { kind: 'kegiatan', label: 'Kegiatan', code: p.slice(0, 5).join('.') },
    { kind: 'sub_kegiatan', label: 'Sub Kegiatan', code: subKegiatan },
  ];
}

/** A budget line as the proposal's data holds it (the same fields a stage document prints). */
type Line = DocumentLine;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export async function dpaContent(input: DocumentContentInput): Promise<PackageDocumentContent | undefined> {
  if (input.title !== DPA_TITLE) return undefined;
  const d = input.data;
  const year = Number(d.fiscalYear);
  const sub = (d.subKegiatan ?? {}) as Record<string, unknown>;
  const output = (d.output ?? {}) as Record<string, unknown>;
  const lines = (Array.isArray(d.lines) ? d.lines : []) as Line[];
  const chain = codeChain(str(sub.code));
  const accounts = [...new Set(lines.map((l) => l.account))].sort();
  const name = await nomenclatureNames(input.db, year, [...chain, ...accounts.map((code) => ({ kind: 'akun' as const, code }))]);
  const named = (kind: NomenclatureKind, code: string, fallback?: string) => {
    const found = name(kind, code) ?? fallback;
    return found ? `${code} ${found}` : code;
  };
  const total = lines.reduce((sum, l) => sum + l.amount, 0);

  const identity: DocumentSection = {
    kind: 'fields',
    heading: 'DOKUMEN PELAKSANAAN ANGGARAN SATUAN KERJA PERANGKAT DAERAH',
    rows: [
      ['Tahun Anggaran', String(year)],
      ...chain.map((c): [string, string] => [c.label, named(c.kind, c.code, c.kind === 'sub_kegiatan' ? str(sub.name) || undefined : undefined)]),
      ['Organisasi (OPD)', input.orgName],
      ['Uraian', input.instance.title],
      ['Sumber Pendanaan', FUNDING[str(d.fundingSource)] ?? str(d.fundingSource)],
      ['Lokasi', str(d.location) || '-'],
      ['Waktu Pelaksanaan', `Januari s.d. Desember ${year}`],
    ],
  };
  const indicators: DocumentSection = {
    kind: 'table',
    heading: 'Indikator dan Tolok Ukur Kinerja',
    columns: [{ header: 'Indikator', width: 90 }, { header: 'Tolok Ukur Kinerja', width: 250 }, { header: 'Target Kinerja', width: 140, align: 'right' }],
    groups: [{
      rows: [
        { cells: ['Masukan', 'Dana yang dibutuhkan', formatRupiah(total)] },
        { cells: ['Keluaran', str(output.indicator), `${formatNumberId(Number(output.target))} ${str(output.unit)}`] },
      ],
    }],
  };
  const budget: DocumentSection = {
    kind: 'table',
    heading: 'Rincian Anggaran Belanja',
    columns: [
      { header: 'Kode Rekening', width: 88 }, { header: 'Uraian', width: 150 }, { header: 'Volume', width: 45, align: 'right' },
      { header: 'Satuan', width: 42 }, { header: 'Harga Satuan', width: 80, align: 'right' }, { header: 'Jumlah', width: 88, align: 'right' },
    ],
    groups: accounts.map((account) => {
      const own = lines.filter((l) => l.account === account);
      const rows: SectionRow[] = own.map((l) => ({
        cells: [account, l.description, formatNumberId(l.volume), l.unit, formatRupiah(l.unitPrice), formatRupiah(l.amount)],
      }));
      return {
        heading: { cells: [named('akun', account)], bold: true, span: true },
        rows,
        subtotal: { cells: ['', `Jumlah ${account}`, '', '', '', formatRupiah(own.reduce((sum, l) => sum + l.amount, 0))], bold: true },
      };
    }),
    total: { cells: ['', 'JUMLAH TOTAL', '', '', '', formatRupiah(total)], bold: true },
  };
  // The DPA is the budget as ratified: its process history stays in the audit trail and the earlier documents.
  return { sections: [identity, indicators, budget], history: false };
}
