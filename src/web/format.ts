import { formatDateTimeId, formatRupiah } from '../documents/format';

/** Rupiah as officers read it (`Rp 1.250.000.000`); empty for a missing amount. */
export function rupiah(amount: number | null | undefined): string {
  return typeof amount === 'number' && Number.isSafeInteger(amount) ? formatRupiah(amount) : '';
}

/** A time in the deployment's zone, Indonesian style (`25 November 2026 14.05 WIB`). */
export function when(at: string | Date | null | undefined, timeZone: string): string {
  if (!at) return '';
  const d = at instanceof Date ? at : new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : formatDateTimeId(d, timeZone);
}
