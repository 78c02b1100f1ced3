import { proposal } from './proposals';
import { formatNumberInput } from '../../src/web/forms/numbers';

/** The proposal as first submitted (three lines, total 144.372.875). */
export const firstVersion = () => proposal({ title: 'Kelas Ibu Hamil Tembalang' });

/**
 * The same proposal after the return: a new title and target, the first line cheaper, the second
 * line removed and a new one added; total 43.750.000 + 43.200.000 + 1.250.000 = 88.200.000.
 */
export function secondVersion(): Record<string, unknown> {
  const first = firstVersion() as { lines: Array<Record<string, unknown>>; output: Record<string, unknown> };
  return {
    ...first,
    title: 'Kelas Ibu Hamil Tembalang (revisi)',
    output: { ...first.output, target: 13000 },
    lines: [
      { ...first.lines[0], unitPrice: 175000 },
      first.lines[2],
      { account: '5.1.02.01.01.0026', description: 'Bahan cetak leaflet gizi ibu hamil', volume: 500, unit: 'lembar', unitPrice: 2500 },
    ],
  };
}

export const SECOND_TOTAL = 88_200_000;

/** The data as the console's form posts it: one field per JSON Pointer, numbers written the Indonesian way. */
export function formFields(data: unknown, base = ''): Record<string, string> {
  if (Array.isArray(data)) return Object.assign({}, ...data.map((v, i) => formFields(v, `${base}/${i}`)));
  if (data !== null && typeof data === 'object') return Object.assign({}, ...Object.entries(data).map(([k, v]) => formFields(v, `${base}/${k}`)));
  if (typeof data === 'number') return { [base]: Number.isInteger(data) ? String(data) : formatNumberInput(data, 'number') };
  return { [base]: String(data) };
}
