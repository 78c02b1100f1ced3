import { formatDateId, formatDateTimeId, formatNumberId, formatPlaceDate, formatRupiah } from '../src/documents/format';
import { formatDocumentNumber, parseDocumentNumber } from '../src/documents/numbers';
import { signerPosition } from '../src/documents/content';

describe('document formatting', () => {
  test('rupiah groups thousands with dots and is exact up to a province APBD', () => {
    expect(formatRupiah(1_250_000_000)).toBe('Rp 1.250.000.000');
    expect(formatRupiah(0)).toBe('Rp 0');
    expect(formatRupiah(999)).toBe('Rp 999');
    expect(formatRupiah(1000)).toBe('Rp 1.000');
    expect(formatRupiah(-5000)).toBe('-Rp 5.000');
    expect(formatRupiah(30_000_000_000_001)).toBe('Rp 30.000.000.000.001');
    expect(formatRupiah(29_999_999_999_999)).toBe('Rp 29.999.999.999.999');
    expect(formatRupiah(Number.MAX_SAFE_INTEGER)).toBe('Rp 9.007.199.254.740.991');
  });

  test('rupiah refuses fractions and unsafe integers instead of rounding money', () => {
    expect(() => formatRupiah(1.5)).toThrow(RangeError);
    expect(() => formatRupiah(2 ** 53)).toThrow(RangeError);
    expect(() => formatRupiah(Number.NaN)).toThrow(RangeError);
  });

  test('numbers use a decimal comma', () => {
    expect(formatNumberId(12.5)).toBe('12,5');
    expect(formatNumberId(1234567.25)).toBe('1.234.567,25');
    expect(formatNumberId(3)).toBe('3');
    expect(formatNumberId(-0.00001)).toBe('0');
  });

  test('dates are Indonesian and in the configured time zone', () => {
    // 17:30 UTC on the 24th is already the 25th in Jakarta (UTC+7) but not in UTC.
    const at = new Date('2026-11-24T17:30:00Z');
    expect(formatDateId(at, 'Asia/Jakarta')).toBe('25 November 2026');
    expect(formatDateId(at, 'UTC')).toBe('24 November 2026');
    expect(formatPlaceDate('Semarang', at, 'Asia/Jakarta')).toBe('Semarang, 25 November 2026');
    expect(formatDateId(new Date('2026-08-17T00:00:00+07:00'), 'Asia/Jakarta')).toBe('17 Agustus 2026');
    expect(formatDateTimeId(at, 'Asia/Jakarta')).toBe('25 November 2026 00.30 WIB');
    expect(formatDateTimeId(at, 'Asia/Makassar')).toBe('25 November 2026 01.30 WITA');
    expect(formatDateTimeId(at, 'Asia/Jayapura')).toBe('25 November 2026 02.30 WIT');
  });

  test('document numbers are classification/seq/OPD/year', () => {
    expect(formatDocumentNumber('900', 12, 'DINKES', 2026)).toBe('900/0012/DINKES/2026');
    expect(formatDocumentNumber('900', 12345, 'DINKES', 2026)).toBe('900/12345/DINKES/2026');
    expect(parseDocumentNumber('900/0012/DINKES/2026')).toEqual({ classification: '900', seq: 12, orgCode: 'DINKES', year: 2026 });
    expect(() => parseDocumentNumber('900/12/DINKES')).toThrow(expect.objectContaining({ code: 'DOCUMENT_NUMBER_INVALID' }));
  });

  test('an acting signer is printed as Plt.', () => {
    expect(signerPosition({ name: 'A', position: 'Kepala Dinas Kesehatan', orgName: 'Dinkes', acting: 'plt' })).toBe('Plt. Kepala Dinas Kesehatan');
    expect(signerPosition({ name: 'A', position: 'Kepala Dinas Kesehatan', orgName: 'Dinkes', acting: 'plh' })).toBe('Plh. Kepala Dinas Kesehatan');
    expect(signerPosition({ name: 'A', position: 'Kepala Dinas Kesehatan', orgName: 'Dinkes' })).toBe('Kepala Dinas Kesehatan');
  });
});
