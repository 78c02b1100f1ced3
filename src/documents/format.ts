/**
 * Indonesian formatting for documents: rupiah, numbers and dates. Independent of the ICU data the
 * Node build ships with (small-icu builds have no "id" locale), so output is the same everywhere.
 */
import { ZONE_ABBREVIATIONS } from '../config';

const MONTHS = [
  'Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni',
  'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember',
] as const;


function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

/** `1250000000` → `Rp 1.250.000.000`. Money is integer rupiah; anything else is a caller bug. */
export function formatRupiah(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`rupiah amount must be a safe integer, got ${amount}`);
  const digits = groupThousands(Math.abs(amount).toString());
  return amount < 0 ? `-Rp ${digits}` : `Rp ${digits}`;
}

/** Indonesian number: `.` groups thousands, `,` separates decimals (`1.234,5`). */
export function formatNumberId(value: number, maxDecimals = 4): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot format ${value}`);
  const fixed = Math.abs(value).toFixed(maxDecimals);
  const [int = '0', frac = ''] = fixed.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const sign = value < 0 && Number(fixed) !== 0 ? '-' : '';
  return `${sign}${groupThousands(int)}${trimmed ? `,${trimmed}` : ''}`;
}

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function zonedParts(date: Date, timeZone: string): ZonedParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}

/** `25 November 2026`, the calendar day in `timeZone`. */
export function formatDateId(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  return `${p.day} ${MONTHS[p.month - 1]} ${p.year}`;
}

function zoneLabel(date: Date, timeZone: string): string {
  const known = ZONE_ABBREVIATIONS[timeZone];
  if (known) return known;
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName')?.value;
  return name ?? timeZone;
}

/** `25 November 2026 14.05 WIB` (Indonesian writes times with a dot). */
export function formatDateTimeId(date: Date, timeZone: string): string {
  const p = zonedParts(date, timeZone);
  const hh = String(p.hour).padStart(2, '0');
  const mm = String(p.minute).padStart(2, '0');
  return `${formatDateId(date, timeZone)} ${hh}.${mm} ${zoneLabel(date, timeZone)}`;
}

/** The place-and-date line above a signature: `Semarang, 25 November 2026`. */
export function formatPlaceDate(place: string, date: Date, timeZone: string): string {
  return `${place}, ${formatDateId(date, timeZone)}`;
}

/** A NIP as it is printed: birth date, appointment month, sex, serial — "19780312 200501 1 002". */
export function formatNip(nip: string): string {
  return /^[0-9]{18}$/.test(nip) ? `${nip.slice(0, 8)} ${nip.slice(8, 14)} ${nip.slice(14, 15)} ${nip.slice(15)}` : nip;
}
