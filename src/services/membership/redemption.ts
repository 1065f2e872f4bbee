import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { DiscountSource } from '../../entities';
import { Failure, UserErrorCode } from '../../errors';
import { allocate, type PointsRedemption, type Pricing } from '../promotions/pricing';
import { currencyDigits } from '../shared/money';
import { minorToPoints, pointsBalance, pointsToMinor } from './points';

/**
 * Points redeemed at checkout (積分抵現): what the checkout input asks is checked against the
 * member's balance here and against the cap by the pricing engine, which takes the discount off
 * every line without a campaign price, funded by the platform.
 */

const MAX_POINTS = 1_000_000_000;
const FIELD = ['input', 'pointsToRedeem'];

/** The title of the points discount on orders and quotes. */
export const POINTS_TITLE = 'Points';

/**
 * The redemption to price for `points` (null or 0: none, but the cap is still worked out), after
 * checking them: a whole number, a whole number of minor units, and no more than the balance
 * (INSUFFICIENT_POINTS). Checkout calls it with the buyer locked, so the balance cannot fall
 * before the redemption is recorded.
 */
export async function pointsRedemption(
  em: EntityManager,
  buyerId: string,
  points: number | null | undefined,
  config: Config,
  opts: { balance?: boolean } = {},
): Promise<{ redemption: PointsRedemption; balance: number | null }> {
  const asked = points ?? 0;
  if (!Number.isInteger(asked) || asked < 0 || asked > MAX_POINTS) throw new Failure(UserErrorCode.INVALID_INPUT, `Points to redeem must be a whole number from 0 to ${MAX_POINTS}`, FIELD);
  const discount = pointsToMinor(asked, config);
  if (discount === null) throw new Failure(UserErrorCode.INVALID_INPUT, `Points are redeemed in multiples of ${pointsStep(config)}`, FIELD);
  const redemption = { points: asked, discount, maxRateBp: config.membership.maxDiscountRateBp, title: POINTS_TITLE };
  // Nothing asked: no statement, unless the caller shows the balance.
  if (asked === 0 && !opts.balance) return { redemption, balance: null };
  const balance = await pointsBalance(em, buyerId);
  if (asked > balance) throw new Failure(UserErrorCode.INSUFFICIENT_POINTS, `You hold ${balance} points; you asked to redeem ${asked}`, FIELD);
  return { redemption, balance };
}

/** POINTS_CAP_EXCEEDED from the engine as a failure on `pointsToRedeem`. */
export function throwPointsProblem(pricing: Pricing): void {
  if (pricing.pointsProblem) throw new Failure(pricing.pointsProblem.code, pricing.pointsProblem.message, FIELD);
}

/** The smallest number of points worth a whole number of minor units (1 with the defaults). */
function pointsStep(config: Config): number {
  const perMajor = 10 ** currencyDigits(config.currency);
  const ppd = config.membership.pointsPerYuanDiscount;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return ppd / gcd(ppd, perMajor);
}

/** The most points a checkout priced as `pricing` could redeem with `balance` held: a valid number to send. */
export function maxRedeemablePoints(pricing: Pricing, balance: number, config: Config): number {
  const step = pointsStep(config);
  const most = Math.min(balance, minorToPoints(pricing.pointsCap, config));
  return most - (most % step);
}

/**
 * What each shop group's order redeems, in group order: its part of the points discount, and the
 * points asked split in proportion to it (largest remainder, so they add up exactly). Called once
 * the engine took the whole discount (else it reported POINTS_CAP_EXCEEDED).
 */
export function pointsByGroup(pricing: Pricing, redemption: PointsRedemption): { points: number; discount: number }[] {
  const parts = pricing.groups.map((g) => g.discounts.filter((d) => d.source === DiscountSource.POINTS).reduce((s, d) => s + d.amount, 0));
  const points = parts.some((p) => p > 0) ? allocate(redemption.points, parts) : parts;
  return parts.map((discount, i) => ({ points: points[i], discount }));
}
