import { CouponKind, DiscountSource, Funder, PromotionKind, type PromotionTierData, type ScopeData, UserCouponStatus } from '../../entities';
import { UserErrorCode } from '../../errors';
import { divideHalfEven } from '../shared/money';

/**
 * The pricing engine: a pure function of (cart lines, the rules that apply, the buyer's coupons,
 * shipping fees, now) → per-line prices and discounts with their source and funder, shipping and
 * totals. The cart, `checkoutQuote` and `checkout` all call `priceCart`, so what the cart shows is
 * what checkout charges. It reads no database and no clock: the caller loads the rules
 * (`rules.ts`) and passes `now`.
 *
 * Order of application (each step sees the amounts the previous ones left):
 *  0. campaign prices (a flash sale's, a group buy's, a bargain's) on their lines, funded by the
 *     shop; such a line takes no promotion or coupon besides;
 *  1. each shop's own promotions, on that shop's lines;
 *  2. platform-wide promotions, on every line of the checkout (跨店: thresholds count all shops);
 *  3. the member level's free shipping: a shop group whose goods reach the level's threshold ships
 *     free, the platform paying the fee (a free-shipping coupon then has nothing to take there);
 *  4. at most one coupon per shop, on that shop's lines;
 *  5. at most one platform coupon, on every line;
 *  6. points (積分抵現), funded by the platform, on every line without a campaign price, up to a
 *     share of what those lines still cost (POINTS_CAP_EXCEEDED beyond it, never clamped).
 * Within steps 1 and 2 the promotions that stack are applied together (bundles, then percentages,
 * then thresholds, then gifts); a promotion that does not stack is applied alone instead when it
 * gives the shopper more. Every discount is allocated to the lines it covers by largest
 * remainder in minor units, in proportion to what each line still costs, so no line goes below 0
 * and the lines' discounts add up to the discount exactly. A free-shipping coupon takes the
 * shipping fee off instead (`shippingAmount`).
 */

/** A campaign's price for a line (a flash sale, a group buy, a bargain), funded by the line's shop. */
export interface CampaignPrice {
  source: DiscountSource;
  /** Database key of the flash-sale item, group or bargain. */
  id: string;
  title: string;
  /** The campaign's unit price, minor units. */
  unitPrice: number;
  /** Who pays the difference; the line's shop unless told. */
  fundedBy?: Funder;
}

export interface PriceLine {
  /** The cart line's database key (stable within one pricing). */
  key: string;
  variantId: string;
  productId: string;
  shopId: string;
  /** The product's category path, e.g. "/1/5/9/". */
  categoryPath: string;
  unitPrice: number;
  quantity: number;
  /** A campaign price: applied first, and the line takes no promotion or coupon besides. */
  campaign?: CampaignPrice | null;
}

export interface PromotionRule {
  id: string;
  shopId: string | null;
  title: string;
  kind: PromotionKind;
  tiers: PromotionTierData[];
  every: boolean;
  maxDiscount: number | null;
  scope: ScopeData;
  stackable: boolean;
  /** What is left of its budget; null for none. */
  budgetLeft: number | null;
  /** Checkouts of this buyer it may still apply to; null for no limit. */
  usesLeft: number | null;
}

/** A gift variant as it is now. */
export interface GiftVariant {
  variantId: string;
  productId: string;
  shopId: string;
  /** Units that can be reserved now (0 when not on sale). */
  available: number;
  /** Its price, to weigh a gift against other promotions. */
  price: number;
  /** Snapshots for the order line. */
  sku: string;
  title: string;
  productTitle: string;
}

export interface CouponRule {
  /** The user coupon's database key. */
  id: string;
  shopId: string | null;
  title: string;
  kind: CouponKind;
  amountOff: number | null;
  percentOffBp: number | null;
  maxDiscount: number | null;
  minSubtotal: number;
  scope: ScopeData;
  status: UserCouponStatus;
  validFrom: Date;
  validUntil: Date;
}

/** A member level's free shipping (its threshold, minor units, on a group's goods before discounts). */
export interface MemberShipping {
  threshold: number;
  title: string;
}

/** Points to redeem, already turned into money by the caller (POINTS_PER_YUAN_DISCOUNT). */
export interface PointsRedemption {
  points: number;
  /** What they take off, minor units. */
  discount: number;
  /** The most of the covered lines' cost points may pay, basis points. */
  maxRateBp: number;
  title: string;
}

export interface PricingInput {
  lines: PriceLine[];
  promotions: PromotionRule[];
  gifts: ReadonlyMap<string, GiftVariant>;
  /** Coupons the buyer chose, in the order given (checked: see `problems`). */
  chosen: CouponRule[];
  /** The buyer's usable coupons, for `applicable`. */
  wallet: CouponRule[];
  /** Each shop group's shipping fee, minor units. */
  shippingFees: ReadonlyMap<string, number>;
  now: Date;
  /** The buyer's member level's free shipping, if it has one. */
  memberShipping?: MemberShipping | null;
  /** Points the buyer redeems, if any. */
  points?: PointsRedemption | null;
}

export interface AppliedDiscount {
  source: DiscountSource;
  promotionId: string | null;
  couponId: string | null;
  /** The flash-sale item, group or bargain of a campaign price. */
  campaignId: string | null;
  title: string;
  fundedBy: Funder;
  /** Taken off this shop group, minor units (lines and shipping). */
  amount: number;
  /** The part of `amount` taken off the shipping fee. */
  shippingAmount: number;
  /** The part of `amount` on each line, by line key. */
  lines: Map<string, number>;
}

export interface GiftLine {
  promotionId: string;
  variantId: string;
  productId: string;
  quantity: number;
}

export interface PricedLine {
  key: string;
  lineTotal: number;
  /** Σ of the discounts allocated to the line. */
  discount: number;
  /** The platform-funded part of `discount`. */
  platformDiscount: number;
}

export interface PricedGroup {
  shopId: string;
  lines: PricedLine[];
  subtotal: number;
  shippingFee: number;
  shippingDiscount: number;
  discounts: AppliedDiscount[];
  discountTotal: number;
  platformDiscount: number;
  total: number;
  gifts: GiftLine[];
}

export interface CouponProblem {
  /** Index in `chosen`. */
  index: number;
  code: UserErrorCode;
  message: string;
}

export interface ApplicableCoupon {
  couponId: string;
  /** What it would take off this cart now, minor units. */
  amount: number;
}

export interface Pricing {
  groups: PricedGroup[];
  subtotal: number;
  shippingTotal: number;
  discountTotal: number;
  total: number;
  /** Why chosen coupons cannot be used; empty when they all apply. */
  problems: CouponProblem[];
  /** The buyer's other usable coupons that would take something off, most first. */
  applicable: ApplicableCoupon[];
  /** Discount given by each promotion over the whole cart, for budgets. */
  byPromotion: Map<string, number>;
  /** The most points may take off this cart (POINTS_MAX_DISCOUNT_RATE of what they may cover), minor units. */
  pointsCap: number;
  /** Why the points asked for cannot be redeemed (POINTS_CAP_EXCEEDED); null when they can, or none were asked. */
  pointsProblem: { code: UserErrorCode; message: string } | null;
}

const BP = 10_000n;

/** Sources whose discount names a campaign (the flash-sale item, group or bargain). */
const CAMPAIGN_SOURCES = new Set([DiscountSource.FLASH_SALE, DiscountSource.GROUP_BUY, DiscountSource.BARGAIN]);

/** floor(base × bp / 10 000): a cap never rounds up. */
function percentOfFloor(base: number, bp: number): number {
  return Number((BigInt(base) * BigInt(bp)) / BP);
}

/** round_half_even(base × bp / 10 000). */
export function percentOf(base: number, bp: number): number {
  return Number(divideHalfEven(BigInt(base) * BigInt(bp), BP));
}

/**
 * Splits `amount` over `weights` in proportion, in whole units, by largest remainder: each part is
 * floor(amount × w / Σw), and the units left go to the largest remainders (the earlier on ties).
 * The parts add up to `amount` exactly; with amount ≤ Σw no part exceeds its weight.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  if (amount === 0 || total === 0) return weights.map(() => 0);
  const a = BigInt(amount);
  const t = BigInt(total);
  const parts = weights.map((w) => (a * BigInt(w)) / t);
  const remainders = weights.map((w, i) => ({ i, r: (a * BigInt(w)) % t }));
  let left = amount - parts.reduce((s, p) => s + Number(p), 0);
  remainders.sort((x, y) => (x.r === y.r ? x.i - y.i : x.r > y.r ? -1 : 1));
  const out = parts.map(Number);
  for (const { i } of remainders) {
    if (left === 0) break;
    out[i] += 1;
    left -= 1;
  }
  return out;
}

/** Database keys in numeric order (shorter first, then by character), any other keys in a fixed order. */
function byKey(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Whether a scope covers a product: all, the product listed, or a listed category on its path. */
export function inScope(scope: ScopeData, productId: string, categoryPath: string): boolean {
  if (scope.all) return true;
  if (scope.productIds.includes(productId)) return true;
  if (scope.categoryIds.length === 0) return false;
  const path = categoryPath.split('/');
  return scope.categoryIds.some((c) => path.includes(c));
}

/** What one promotion or coupon takes off the current amounts, before it is committed. */
interface Effect {
  amount: number;
  /** Weight of each covered line for the allocation. */
  weights: Map<string, number>;
  gift?: GiftLine;
  /** For comparing options: the discount plus a gift's price. */
  value: number;
}

type Nets = Map<string, number>;

const KIND_ORDER: Record<PromotionKind, number> = {
  [PromotionKind.FIXED_PRICE_BUNDLE]: 0,
  [PromotionKind.PERCENT_OFF]: 1,
  [PromotionKind.AMOUNT_OFF_THRESHOLD]: 2,
  [PromotionKind.GIFT_WITH_PURCHASE]: 3,
};

/** The best tier whose threshold `base` reaches (tiers are stored by increasing threshold). */
function bestTier(tiers: PromotionTierData[], base: number): PromotionTierData | null {
  let best: PromotionTierData | null = null;
  for (const tier of tiers) if (base >= tier.threshold) best = tier;
  return best;
}

function capped(amount: number, ...caps: (number | null)[]): number {
  return Math.max(0, caps.reduce<number>((a, c) => (c == null ? a : Math.min(a, c)), amount));
}

/**
 * A promotion's effect on `lines` at the amounts `nets`. `giftsTaken`: units of gift variants
 * already given by the promotions applied before it.
 */
function promotionEffect(p: PromotionRule, lines: PriceLine[], nets: Nets, gifts: ReadonlyMap<string, GiftVariant>, giftsTaken: Map<string, number>): Effect | null {
  if (p.usesLeft !== null && p.usesLeft <= 0) return null;
  const covered = lines.filter((l) => !l.campaign && (nets.get(l.key) ?? 0) > 0 && inScope(p.scope, l.productId, l.categoryPath));
  if (covered.length === 0) return null;
  const base = covered.reduce((s, l) => s + nets.get(l.key)!, 0);
  const weights = new Map(covered.map((l) => [l.key, nets.get(l.key)!]));
  let amount = 0;
  switch (p.kind) {
    case PromotionKind.AMOUNT_OFF_THRESHOLD: {
      if (p.every) {
        const [tier] = p.tiers;
        amount = Math.floor(base / tier.threshold) * (tier.amountOff ?? 0);
      } else {
        amount = bestTier(p.tiers, base)?.amountOff ?? 0;
      }
      break;
    }
    case PromotionKind.PERCENT_OFF: {
      const tier = bestTier(p.tiers, base);
      amount = tier ? percentOf(base, tier.percentOffBp ?? 0) : 0;
      break;
    }
    case PromotionKind.FIXED_PRICE_BUNDLE: {
      // Every `quantity` units cost `price` together; the dearest units (by what they still cost) are bundled first.
      const [tier] = p.tiers;
      const size = tier.quantity ?? 0;
      const units = covered
        .flatMap((l) => {
          const unitNet = nets.get(l.key)! / l.quantity;
          return Array.from({ length: l.quantity }, () => ({ key: l.key, unitNet }));
        })
        .sort((a, b) => b.unitNet - a.unitNet || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const bundles = size > 0 ? Math.floor(units.length / size) : 0;
      if (bundles === 0) return null;
      const bundled = new Map<string, number>();
      for (const u of units.slice(0, bundles * size)) bundled.set(u.key, (bundled.get(u.key) ?? 0) + 1);
      weights.clear();
      let value = 0;
      for (const l of covered) {
        const n = bundled.get(l.key) ?? 0;
        if (n === 0) continue;
        // The bundled units' share of what the line still costs, in whole minor units.
        const w = Number(divideHalfEven(BigInt(nets.get(l.key)!) * BigInt(n), BigInt(l.quantity)));
        weights.set(l.key, w);
        value += w;
      }
      amount = Math.min(value, Math.max(0, value - bundles * (tier.price ?? 0)));
      break;
    }
    case PromotionKind.GIFT_WITH_PURCHASE: {
      // The best tier met whose gift is in stock beyond what the cart buys of it and other gifts took.
      const spare = (variantId: string) =>
        (gifts.get(variantId)?.available ?? 0) - (giftsTaken.get(variantId) ?? 0) - lines.filter((l) => l.variantId === variantId).reduce((s, l) => s + l.quantity, 0);
      const met = p.tiers.filter((t) => base >= t.threshold && t.giftVariantId && spare(t.giftVariantId) >= 1);
      const tier = met[met.length - 1];
      if (!tier) return null;
      const gift = gifts.get(tier.giftVariantId!)!;
      giftsTaken.set(gift.variantId, (giftsTaken.get(gift.variantId) ?? 0) + 1);
      return { amount: 0, weights, value: gift.price, gift: { promotionId: p.id, variantId: gift.variantId, productId: gift.productId, quantity: 1 } };
    }
  }
  const base2 = [...weights.values()].reduce((s, w) => s + w, 0);
  amount = capped(amount, p.maxDiscount, p.budgetLeft, base2);
  return amount > 0 ? { amount, weights, value: amount } : null;
}

interface Committed {
  effect: Effect;
  rule: { id: string; title: string; shopId: string | null };
  source: DiscountSource;
}

/** Commits an effect: the amount allocated over its weights and taken off `nets`. */
function commit(effect: Effect, nets: Nets): Map<string, number> {
  const keys = [...effect.weights.keys()];
  const parts = allocate(effect.amount, keys.map((k) => effect.weights.get(k)!));
  const out = new Map<string, number>();
  keys.forEach((k, i) => {
    if (parts[i] === 0) return;
    out.set(k, parts[i]);
    nets.set(k, nets.get(k)! - parts[i]);
  });
  return out;
}

/** One level of promotions (a shop's, or the platform's) on `lines`: the best of stacking them all or one that does not stack alone. */
function applyPromotions(
  rules: PromotionRule[],
  lines: PriceLine[],
  nets: Nets,
  gifts: ReadonlyMap<string, GiftVariant>,
): { committed: Committed[]; allocations: Map<string, number>[] } {
  const ordered = [...rules].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || Number(a.id) - Number(b.id));
  const options = [ordered.filter((r) => r.stackable), ...ordered.filter((r) => !r.stackable).map((r) => [r])];
  let best: { committed: Committed[]; allocations: Map<string, number>[]; nets: Nets; value: number } | null = null;
  for (const option of options) {
    if (option.length === 0) continue;
    const trial = new Map(nets);
    const giftsTaken = new Map<string, number>();
    const committed: Committed[] = [];
    const allocations: Map<string, number>[] = [];
    let value = 0;
    for (const rule of option) {
      const effect = promotionEffect(rule, lines, trial, gifts, giftsTaken);
      if (!effect) continue;
      committed.push({ effect, rule, source: DiscountSource.PROMOTION });
      allocations.push(commit(effect, trial));
      value += effect.value;
    }
    if (committed.length > 0 && (!best || value > best.value)) best = { committed, allocations, nets: trial, value };
  }
  if (!best) return { committed: [], allocations: [] };
  for (const [k, v] of best.nets) nets.set(k, v);
  return { committed: best.committed, allocations: best.allocations };
}

/** Whether a coupon can be used at `now` (its status and validity). */
function couponUsableNow(c: CouponRule, now: Date): boolean {
  return c.status === UserCouponStatus.AVAILABLE && c.validFrom <= now && now < c.validUntil;
}

/** A coupon's effect on `lines`, or why it cannot apply. `shipping`: the fees still to pay per shop. */
function couponEffect(c: CouponRule, lines: PriceLine[], nets: Nets, shipping: Map<string, number>): Effect | string {
  const covered = lines.filter((l) => !l.campaign && inScope(c.scope, l.productId, l.categoryPath));
  const base = covered.reduce((s, l) => s + (nets.get(l.key) ?? 0), 0);
  if (covered.length === 0) return 'Nothing in your cart is covered by this coupon';
  if (base < c.minSubtotal) return `This coupon needs a spend of at least ${c.minSubtotal} minor units on what it covers`;
  if (c.kind === CouponKind.FREE_SHIPPING) {
    const shops = new Set(covered.map((l) => l.shopId));
    const weights = new Map([...shops].map((s) => [`shipping:${s}`, shipping.get(s) ?? 0]).filter(([, fee]) => (fee as number) > 0) as [string, number][]);
    const amount = [...weights.values()].reduce((s, f) => s + f, 0);
    if (amount === 0) return 'Shipping is already free';
    return { amount, weights, value: amount };
  }
  const weights = new Map(covered.filter((l) => (nets.get(l.key) ?? 0) > 0).map((l) => [l.key, nets.get(l.key)!]));
  const raw = c.kind === CouponKind.AMOUNT_OFF ? (c.amountOff ?? 0) : percentOf(base, c.percentOffBp ?? 0);
  const amount = capped(raw, c.maxDiscount, base);
  if (amount === 0) return 'This coupon takes nothing off your cart';
  return { amount, weights, value: amount };
}

/**
 * Takes one minor unit back from the last discount of a group that would cost nothing (from its
 * shipping part, else from its last line with a share), dropping the discount when that was all of
 * it. Returns the unit taken from shipping (0 or 1).
 */
function leaveOneUnit(discounts: AppliedDiscount[], lines: Map<string, PricedLine>): number {
  const i = discounts.findLastIndex((d) => d.amount > 0);
  const d = discounts[i];
  d.amount -= 1;
  let fromShipping = 0;
  if (d.shippingAmount > 0) {
    d.shippingAmount -= 1;
    fromShipping = 1;
  } else {
    const key = [...d.lines.keys()].reverse().find((k) => d.lines.get(k)! > 0)!;
    d.lines.set(key, d.lines.get(key)! - 1);
    const line = lines.get(key)!;
    line.discount -= 1;
    if (d.fundedBy === Funder.PLATFORM) line.platformDiscount -= 1;
  }
  if (d.amount === 0) discounts.splice(i, 1);
  return fromShipping;
}

/** Prices a cart: see the module comment. */
export function priceCart(input: PricingInput): Pricing {
  const { now } = input;
  // In key order whatever order the caller lists them in (the cart newest first, checkout oldest
  // first): the allocation breaks ties by position, so the cart, the quote and checkout split a
  // discount over the same lines (and shops) the same way.
  const lines = [...input.lines].sort((a, b) => byKey(a.key, b.key));
  const nets: Nets = new Map(lines.map((l) => [l.key, l.unitPrice * l.quantity]));
  const shopIds = [...new Set(lines.map((l) => l.shopId))];
  const shipping = new Map(shopIds.map((s) => [s, input.shippingFees.get(s) ?? 0]));
  const applied: Committed[] = [];
  const allocations: Map<string, number>[] = [];
  const keep = (r: { committed: Committed[]; allocations: Map<string, number>[] }) => {
    applied.push(...r.committed);
    allocations.push(...r.allocations);
  };

  // 0: campaign prices (flash sale, group buy, bargain), each on its own line.
  for (const l of lines) {
    const off = l.campaign ? Math.max(0, l.unitPrice - l.campaign.unitPrice) * l.quantity : 0;
    if (!l.campaign || off === 0) continue;
    const effect: Effect = { amount: off, weights: new Map([[l.key, l.unitPrice * l.quantity]]), value: off };
    const shopId = l.campaign.fundedBy === Funder.PLATFORM ? null : l.shopId;
    applied.push({ effect, rule: { id: l.campaign.id, title: l.campaign.title, shopId }, source: l.campaign.source });
    allocations.push(commit(effect, nets));
  }

  // 1–2: promotions, each shop's, then the platform's.
  for (const shopId of shopIds) {
    keep(applyPromotions(input.promotions.filter((p) => p.shopId === shopId), lines.filter((l) => l.shopId === shopId), nets, input.gifts));
  }
  keep(applyPromotions(input.promotions.filter((p) => p.shopId === null), lines, nets, input.gifts));
  const afterPromotions = new Map(nets);

  // 3: the member level's free shipping, on each group whose goods reach its threshold (before
  // coupons, so a free-shipping coupon is not spent on a fee the level waives).
  const member = input.memberShipping;
  const memberShipped = new Set<string>();
  if (member) {
    for (const shopId of shopIds) {
      const goods = lines.filter((l) => l.shopId === shopId).reduce((s, l) => s + l.unitPrice * l.quantity, 0);
      const fee = shipping.get(shopId) ?? 0;
      if (fee === 0 || goods < member.threshold) continue;
      const key = `shipping:${shopId}`;
      applied.push({ effect: { amount: fee, weights: new Map([[key, fee]]), value: fee }, rule: { id: `member:${shopId}`, title: member.title, shopId: null }, source: DiscountSource.MEMBER_SHIPPING });
      allocations.push(new Map([[key, fee]]));
      shipping.set(shopId, 0);
      memberShipped.add(shopId);
    }
  }


  // 4–5: the chosen coupons, each shop's before the platform's.
  const problems: CouponProblem[] = [];
  const seen = new Set<string>();
  const levels = new Map<string, number>();
  input.chosen.forEach((c, index) => {
    const level = c.shopId ?? 'platform';
    if (seen.has(c.id)) problems.push({ index, code: UserErrorCode.INVALID_INPUT, message: 'Each coupon at most once' });
    else if (c.status === UserCouponStatus.USED) problems.push({ index, code: UserErrorCode.COUPON_NOT_APPLICABLE, message: 'This coupon has been used' });
    else if (!couponUsableNow(c, now)) problems.push({ index, code: UserErrorCode.COUPON_EXPIRED, message: c.validFrom > now ? 'This coupon is not valid yet' : 'This coupon has expired' });
    else if (c.shopId !== null && !shopIds.includes(c.shopId)) problems.push({ index, code: UserErrorCode.COUPON_NOT_APPLICABLE, message: 'This coupon is for a shop not in this checkout' });
    else if (levels.has(level)) problems.push({ index, code: UserErrorCode.COUPON_NOT_APPLICABLE, message: c.shopId ? 'At most one coupon per shop' : 'At most one platform coupon' });
    else levels.set(level, index);
    seen.add(c.id);
  });
  const order = [...levels.entries()].sort(([a], [b]) => (a === 'platform' ? 1 : 0) - (b === 'platform' ? 1 : 0));
  for (const [, index] of order) {
    const c = input.chosen[index];
    const scopeLines = c.shopId ? lines.filter((l) => l.shopId === c.shopId) : lines;
    const effect = couponEffect(c, scopeLines, nets, shipping);
    if (typeof effect === 'string') {
      problems.push({ index, code: UserErrorCode.COUPON_NOT_APPLICABLE, message: effect });
      continue;
    }
    const allocation = c.kind === CouponKind.FREE_SHIPPING ? new Map(effect.weights) : commit(effect, nets);
    if (c.kind === CouponKind.FREE_SHIPPING) for (const key of effect.weights.keys()) shipping.set(key.slice('shipping:'.length), 0);
    applied.push({ effect, rule: c, source: DiscountSource.COUPON });
    allocations.push(allocation);
  }

  // 6: points, over every line without a campaign price, in proportion to what each still costs.
  const pointsLines = lines.filter((l) => !l.campaign && (nets.get(l.key) ?? 0) > 0);
  const pointsBase = pointsLines.reduce((s, l) => s + nets.get(l.key)!, 0);
  const pointsCap = percentOfFloor(pointsBase, input.points?.maxRateBp ?? 0);
  let pointsProblem: Pricing['pointsProblem'] = null;
  const points = input.points;
  if (points && points.discount > 0) {
    if (points.discount > pointsCap) {
      pointsProblem = { code: UserErrorCode.POINTS_CAP_EXCEEDED, message: `Points may pay at most ${pointsCap} minor units of this checkout (${points.maxRateBp / 100}% of the goods after other discounts); you asked for ${points.discount}` };
    } else {
      const effect: Effect = { amount: points.discount, weights: new Map(pointsLines.map((l) => [l.key, nets.get(l.key)!])), value: points.discount };
      applied.push({ effect, rule: { id: 'points', title: points.title, shopId: null }, source: DiscountSource.POINTS });
      allocations.push(commit(effect, nets));
    }
  }

  // The buyer's other coupons that would take something off (on the amounts after promotions).
  const chosenIds = new Set(input.chosen.map((c) => c.id));
  // The fees as coupons find them: what the member level waived is not there to take.
  const fees = new Map(shopIds.map((s) => [s, memberShipped.has(s) ? 0 : (input.shippingFees.get(s) ?? 0)]));
  const applicable = input.wallet
    .filter((c) => !chosenIds.has(c.id) && couponUsableNow(c, now) && (c.shopId === null || shopIds.includes(c.shopId)))
    .map((c) => {
      const effect = couponEffect(c, c.shopId ? lines.filter((l) => l.shopId === c.shopId) : lines, afterPromotions, fees);
      return { couponId: c.id, amount: typeof effect === 'string' ? 0 : effect.amount };
    })
    .filter((a) => a.amount > 0)
    .sort((a, b) => b.amount - a.amount || Number(a.couponId) - Number(b.couponId));

  // Per shop group: its lines, its part of each discount, its totals.
  const byPromotion = new Map<string, number>();
  const groups: PricedGroup[] = shopIds.map((shopId) => {
    const own = lines.filter((l) => l.shopId === shopId);
    const ownKeys = new Set(own.map((l) => l.key));
    const priced = new Map(own.map((l) => [l.key, { key: l.key, lineTotal: l.unitPrice * l.quantity, discount: 0, platformDiscount: 0 }]));
    const discounts: AppliedDiscount[] = [];
    const gifts: GiftLine[] = [];
    let shippingDiscount = 0;
    applied.forEach(({ effect, rule, source }, i) => {
      const fundedBy = rule.shopId === null ? Funder.PLATFORM : Funder.SHOP;
      if (effect.gift && rule.shopId === shopId) gifts.push(effect.gift);
      const part = new Map([...allocations[i]].filter(([k]) => ownKeys.has(k)));
      const shippingPart = allocations[i].get(`shipping:${shopId}`) ?? 0;
      const amount = [...part.values()].reduce((s, v) => s + v, 0) + shippingPart;
      const isGiftHere = !!effect.gift && rule.shopId === shopId;
      if (amount === 0 && !isGiftHere) return;
      for (const [k, v] of part) {
        const line = priced.get(k)!;
        line.discount += v;
        if (fundedBy === Funder.PLATFORM) line.platformDiscount += v;
      }
      shippingDiscount += shippingPart;
      discounts.push({
        source,
        promotionId: source === DiscountSource.PROMOTION ? rule.id : null,
        couponId: source === DiscountSource.COUPON ? rule.id : null,
        campaignId: CAMPAIGN_SOURCES.has(source) ? rule.id : null,
        title: rule.title,
        fundedBy,
        amount,
        shippingAmount: shippingPart,
        lines: part,
      });
    });
    const pricedLines = [...priced.values()];
    const subtotal = pricedLines.reduce((s, l) => s + l.lineTotal, 0);
    const shippingFee = input.shippingFees.get(shopId) ?? 0;
    if (subtotal + shippingFee > 0 && pricedLines.reduce((s, l) => s + l.discount, 0) + shippingDiscount === subtotal + shippingFee) {
      // An order is never free (實付 at least one minor unit): the last discount leaves one unit to pay.
      shippingDiscount -= leaveOneUnit(discounts, priced);
    }
    for (const d of discounts) if (d.source === DiscountSource.PROMOTION) byPromotion.set(d.promotionId!, (byPromotion.get(d.promotionId!) ?? 0) + d.amount);
    const discountTotal = pricedLines.reduce((s, l) => s + l.discount, 0) + shippingDiscount;
    const platformDiscount = discounts.filter((d) => d.fundedBy === Funder.PLATFORM).reduce((s, d) => s + d.amount, 0);
    return { shopId, lines: pricedLines, subtotal, shippingFee, shippingDiscount, discounts, discountTotal, platformDiscount, total: subtotal + shippingFee - discountTotal, gifts };
  });
  if (points && points.discount > 0 && !pointsProblem) {
    // An order never costs nothing: when its points had to leave it a unit, not all the points asked
    // can be used, and that is said rather than redeemed short.
    const given = groups.flatMap((g) => g.discounts).filter((d) => d.source === DiscountSource.POINTS).reduce((s, d) => s + d.amount, 0);
    if (given < points.discount) {
      pointsProblem = { code: UserErrorCode.POINTS_CAP_EXCEEDED, message: `Points may pay at most ${given} minor units of this checkout (an order leaves at least one minor unit to pay); you asked for ${points.discount}` };
    }
  }
  const sum = (f: (g: PricedGroup) => number) => groups.reduce((s, g) => s + f(g), 0);
  return {
    groups,
    subtotal: sum((g) => g.subtotal),
    shippingTotal: sum((g) => g.shippingFee),
    discountTotal: sum((g) => g.discountTotal),
    total: sum((g) => g.total),
    problems: problems.sort((a, b) => a.index - b.index),
    applicable,
    byPromotion,
    pointsCap,
    pointsProblem,
  };
}
