/**
 * Numbers as Indonesian officers write them, in every number field of the console whatever the
 * page's language (the data is Indonesian): `.` only groups digits in threes (12.500 is twelve
 * thousand five hundred) and `,` is the decimal mark (2,5). Any other use of `.` (12.5, 1.25,
 * 0.500) is refused rather than guessed at, with a message saying how to write it. Rupiah and
 * other whole-number fields take no decimals (a `,00` tail is still whole). What a field shows
 * (formatNumberInput) is read back unchanged by parseNumberInput.
 */

/** How a number field is read: rupiah (whole, `Rp` allowed in front), another whole number, or a quantity. */
export type NumberKind = 'money' | 'integer' | 'number';

/** Why a typed number was refused; the console says it in the page's language (numberProblemKey). */
export type NumberProblem = 'DECIMAL_POINT' | 'NOT_A_NUMBER' | 'WHOLE_RUPIAH' | 'WHOLE_NUMBER' | 'TOO_LARGE';

export type ParsedNumber = { ok: true; value: number } | { ok: false; problem: NumberProblem };

const PLAIN = /^\d+$/;
/** Thousands grouped by dots: the first group 1–3 digits and not a lone 0 (0.500 is no grouping). */
const GROUPED = /^(?:[1-9]\d{0,2})(?:\.\d{3})+$/;

/** Reads `text` as typed into a field of `kind`. */
export function parseNumberInput(text: string, kind: NumberKind): ParsedNumber {
  let s = text.trim();
  if (kind === 'money') s = s.replace(/^Rp\.?\s*/i, '');
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  const parts = s.split(',');
  if (parts.length > 2) return { ok: false, problem: 'NOT_A_NUMBER' };
  const [whole = '', fraction] = parts;
  if (!PLAIN.test(whole) && !GROUPED.test(whole)) {
    // Digits and dots that are no grouping in threes: a decimal point, most likely.
    return { ok: false, problem: /^[\d.]*\.[\d.]*$/.test(whole) && /\d/.test(whole) ? 'DECIMAL_POINT' : 'NOT_A_NUMBER' };
  }
  if (fraction !== undefined && !PLAIN.test(fraction)) return { ok: false, problem: fraction.includes('.') ? 'DECIMAL_POINT' : 'NOT_A_NUMBER' };
  const digits = whole.replace(/\./g, '');
  const decimals = fraction !== undefined && /[1-9]/.test(fraction) ? fraction : '';
  if (decimals && kind !== 'number') return { ok: false, problem: kind === 'money' ? 'WHOLE_RUPIAH' : 'WHOLE_NUMBER' };
  const value = Number(`${negative ? '-' : ''}${digits}${decimals ? `.${decimals}` : ''}`);
  // Past Number's range a numeral is Infinity, which no schema or JSON knows.
  if (!Number.isFinite(value)) return { ok: false, problem: 'TOO_LARGE' };
  return { ok: true, value: Object.is(value, -0) ? 0 : value };
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

/** The exact decimal digits of a finite number (no exponent), e.g. 1e-7 → "0.0000001". */
function plainDecimal(value: number): string {
  const shortest = String(Math.abs(value));
  if (!/e/i.test(shortest)) return shortest;
  if (Number.isInteger(value)) return BigInt(Math.abs(value)).toString();
  // Tiny: enough fixed digits to round-trip, trailing zeros dropped.
  for (let digits = 1; digits <= 100; digits++) {
    const fixed = Math.abs(value).toFixed(digits);
    if (Number(fixed) === Math.abs(value)) return fixed;
  }
  return Math.abs(value).toFixed(100).replace(/0+$/, '');
}

/**
 * What a field of `kind` shows for a stored `value`, so that typing it back gives the same value:
 * rupiah and quantities grouped (1.250.000 · 12.500 · 2,5); other whole numbers (years, days,
 * termin numbers) as plain digits.
 */
export function formatNumberInput(value: number, kind: NumberKind): string {
  if (!Number.isFinite(value)) return '';
  const sign = value < 0 ? '-' : '';
  const [whole = '0', fraction] = plainDecimal(value).split('.');
  if (kind === 'integer') return `${sign}${whole}${fraction ? `,${fraction}` : ''}`;
  return `${sign}${groupThousands(whole)}${fraction ? `,${fraction}` : ''}`;
}

/** The dictionary key (src/web/i18n) of the message for a refused number. */
export function numberProblemKey(problem: NumberProblem): 'number.decimalPoint' | 'number.notANumber' | 'number.wholeRupiah' | 'number.wholeNumber' | 'number.tooLarge' {
  switch (problem) {
    case 'DECIMAL_POINT': return 'number.decimalPoint';
    case 'WHOLE_RUPIAH': return 'number.wholeRupiah';
    case 'WHOLE_NUMBER': return 'number.wholeNumber';
    case 'TOO_LARGE': return 'number.tooLarge';
    default: return 'number.notANumber';
  }
}
