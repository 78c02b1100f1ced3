import { formatNumberInput, parseNumberInput, type NumberKind } from '../src/web/forms/numbers';
import { parseFields, type FieldSchema, type NumberProblems } from '../src/web/forms/schema';

/** Number fields read Indonesian input whatever the page's language: "." groups thousands, "," marks decimals. */
describe('number fields read the Indonesian way', () => {
  const read = (text: string, kind: NumberKind) => parseNumberInput(text, kind);

  test.each<[string, NumberKind, number]>([
    ['12.500', 'number', 12_500], ['12.500', 'integer', 12_500], ['12.500', 'money', 12_500],
    ['12,5', 'number', 12.5], ['2,25', 'number', 2.25], ['12.500,75', 'number', 12_500.75], ['1.250.000', 'money', 1_250_000],
    ['Rp 1.250.000', 'money', 1_250_000], ['Rp1.250.000,00', 'money', 1_250_000], ['1250000', 'money', 1_250_000],
    ['2026', 'integer', 2026], [' 180 ', 'integer', 180], ['0,5', 'number', 0.5], ['1.000.000.000', 'number', 1e9],
    ['-3', 'integer', -3], ['0', 'number', 0], ['5,00', 'integer', 5],
  ])('%s in a %s field is %d', (text, kind, value) => {
    expect(read(text, kind)).toEqual({ ok: true, value });
  });

  test.each<[string, NumberKind, string]>([
    ['12.5', 'number', 'DECIMAL_POINT'], ['1.25', 'number', 'DECIMAL_POINT'], ['0.500', 'number', 'DECIMAL_POINT'],
    ['12.5', 'money', 'DECIMAL_POINT'], ['1.25', 'integer', 'DECIMAL_POINT'], ['1.2345', 'number', 'DECIMAL_POINT'],
    ['12..500', 'number', 'DECIMAL_POINT'], ['1.250,5.0', 'number', 'DECIMAL_POINT'],
    ['12,5', 'money', 'WHOLE_RUPIAH'], ['1.250.000,50', 'money', 'WHOLE_RUPIAH'], ['180,5', 'integer', 'WHOLE_NUMBER'],
    ['dua', 'number', 'NOT_A_NUMBER'], ['12,', 'number', 'NOT_A_NUMBER'], [',5', 'number', 'NOT_A_NUMBER'], ['1,2,3', 'number', 'NOT_A_NUMBER'],
    ['1e5', 'number', 'NOT_A_NUMBER'], ['', 'number', 'NOT_A_NUMBER'],
  ])('%s in a %s field is refused (%s)', (text, kind, problem) => {
    expect(read(text, kind)).toEqual({ ok: false, problem });
  });

  test('a number past the range of a double is refused as too large', () => {
    expect(read('9'.repeat(400), 'number')).toEqual({ ok: false, problem: 'TOO_LARGE' });
  });

  test.each<[number, NumberKind, string]>([
    [12_500, 'number', '12.500'], [12.5, 'number', '12,5'], [1_250_000, 'money', '1.250.000'], [2026, 'integer', '2026'],
    [0.1, 'number', '0,1'], [1e-7, 'number', '0,0000001'], [33.333333333, 'number', '33,333333333'], [999_999_999.99, 'number', '999.999.999,99'],
    [-1500, 'money', '-1.500'], [1e21, 'number', '1.000.000.000.000.000.000.000'],
  ])('%d shows in a %s field as %s, which reads back unchanged', (value, kind, shown) => {
    expect(formatNumberInput(value, kind)).toBe(shown);
    expect(read(shown, kind)).toEqual({ ok: true, value });
  });

  test('whatever a field shows reads back as the same number (many values)', () => {
    const values = [0, 1, 7.5, 12.25, 100, 999.99, 1000, 1000.5, 65_536, 123_456.78, 1e9, 2 ** 40, 0.01, 5e-5];
    for (const v of values) {
      for (const kind of ['number', 'integer', 'money'] as const) {
        if (kind !== 'number' && !Number.isInteger(v)) continue;
        expect(read(formatNumberInput(v, kind), kind)).toEqual({ ok: true, value: v });
      }
    }
  });

  test('a form reads every number field so, and names refused ones by their pointer after rows are renumbered', () => {
    const schema: FieldSchema = {
      type: 'object', required: ['year', 'lines'],
      properties: {
        year: { type: 'integer' },
        target: { type: 'number' },
        lines: { type: 'array', items: { type: 'object', required: ['volume', 'unitPrice'], properties: { volume: { type: 'number' }, unitPrice: { type: 'integer' } } } },
      },
    };
    const problems: NumberProblems = {};
    const data = parseFields(schema, {
      '/year': '2027', '/target': '12.500',
      // Row 1 was removed in the browser: rows 0 and 2 arrive, and become rows 0 and 1.
      '/lines/0/volume': '12.500', '/lines/0/unitPrice': '1.250.000',
      '/lines/2/volume': '1.25', '/lines/2/unitPrice': '12,5',
    }, '', problems);
    expect(data).toEqual({ year: 2027, target: 12_500, lines: [{ volume: 12_500, unitPrice: 1_250_000 }, { volume: '1.25', unitPrice: '12,5' }] });
    expect({ ...problems }).toEqual({ '/lines/1/volume': 'DECIMAL_POINT', '/lines/1/unitPrice': 'WHOLE_RUPIAH' });
  });
});
