/** Exact rupiah arithmetic: money is integer rupiah, volumes have at most two decimals. */

export class MoneyError extends Error {
  readonly code = 'MONEY_INVALID';
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
