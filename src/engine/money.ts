/** Exact rupiah arithmetic: money is integer rupiah, volumes have at most two decimals. */

export class MoneyError extends Error {
  readonly code = 'MONEY_INVALID';
}

/**
 * The smallest positive quantity (a volume, an output target, a floor area, a termin's percentage):
 * one hundredth. The schemas say only "more than 0", which lets 1e-300 through as a quantity that
 * rounds to nothing; the workflows' data checks hold this bound (outside the fingerprinted
 * definition, so it applies to every version and to running instances' next changes).
 */
export const MIN_QUANTITY = 0.01;

/** The problem message of a quantity below one hundredth, or undefined. */
export function quantityProblem(value: unknown): string | undefined {
  return typeof value === 'number' && value < MIN_QUANTITY ? `must be at least ${MIN_QUANTITY}` : undefined;
}

/** A volume as an integer number of hundredths, or null when it has more than two decimals. */
export function hundredths(volume: number): bigint | null {
  const scaled = volume * 100;
  const rounded = Math.round(scaled);
  // 1.15 * 100 is 114.99999999999999 in binary floating point: accept such representation error only.
  if (Math.abs(scaled - rounded) > 1e-6 * Math.max(1, Math.abs(scaled))) return null;
  return BigInt(rounded);
}

/** volume × unitPrice rounded half up to whole rupiah, computed without floating point. */
export function lineAmount(volumeHundredths: bigint, unitPrice: number): bigint {
  return (volumeHundredths * BigInt(unitPrice) + 50n) / 100n;
}

/** Converts a bigint amount to a number, refusing anything past 2^53. */
export function toSafeNumber(amount: bigint): number | null {
  return amount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(amount) : null;
}
