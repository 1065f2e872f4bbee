import { UserErrorCode, type Problems } from '../../errors';
import type { Money } from '../../schema/shared/money';

const digitsCache = new Map<string, number>();

/** Digits after the decimal point of a currency's minor unit (CNY 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * Largest amount accepted (10,000,000.00 in a two-digit currency): 100 lines × 999 units at this
 * price, or a shipping fee over as many units, still sum inside a safe integer.
 */
const MAX_MINOR = 1_000_000_000;

/**
 * Converts a Decimal input ("19.9", "19.90"; with `signed`, also "-19.90") into integer minor units
 * by string arithmetic, never through a float. Reports INVALID_INPUT on `field` (and returns null)
 * for more decimals than the currency has, a negative amount unless `signed`, or an amount beyond
 * the limit either way.
 */
export function toMinor(value: string, currency: string, problems: Problems, field: string[], opts: { signed?: boolean } = {}): number | null {
  const digits = currencyDigits(currency);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match || (match[1] && !opts.signed)) {
    problems.add(UserErrorCode.INVALID_INPUT, opts.signed ? 'Amount must be a decimal like "19.90" or "-19.90"' : 'Amount must be zero or more, like "19.90"', field);
    return null;
  }
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > digits) {
    problems.add(UserErrorCode.INVALID_INPUT, `${currency} amounts have at most ${digits} decimals`, field);
    return null;
  }
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (minor > MAX_MINOR) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Amount is too large', field);
    return null;
  }
  return sign ? -minor : minor;
}

/** Integer minor units as a Money object ("19.90" for 1990 CNY). */
export function money(minor: number | string, currency: string): Money {
  const amountMinor = Number(minor);
  const digits = currencyDigits(currency);
  const sign = amountMinor < 0 ? '-' : '';
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const amount = digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return { amount, currency, amountMinor };
}

/** Digits after the point of a Decimal string. */
export function decimalPlaces(value: string): number {
  return value.includes('.') ? value.split('.')[1].length : 0;
}

/** `numerator / denominator` rounded half to even, in integers (BigInt: products of minor units and rates can pass 2^53). */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('divideHalfEven: the denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const twice = (n % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** A rate with at most 4 decimals ("0.0500", "0.05", "1") in ten-thousandths (500). */
export function rateInBasisPoints(rate: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,4}))?$/.exec(rate.trim());
  if (!match) throw new Error(`not a rate: ${rate}`);
  return BigInt(match[1]) * 10_000n + BigInt((match[2] ?? '').padEnd(4, '0'));
}

/** Commission on `base` minor units at `rate`: round_half_even(base × rate), in minor units. */
export function commissionOn(base: number, rate: string): number {
  return Number(divideHalfEven(BigInt(base) * rateInBasisPoints(rate), 10_000n));
}

/** `part` of `whole` scaled by `of`: round_half_even(whole × part / of), the proportional share of a refund. */
export function shareOf(whole: number, part: number, of: number): number {
  if (of === 0) return 0;
  return Number(divideHalfEven(BigInt(whole) * BigInt(part), BigInt(of)));
}
