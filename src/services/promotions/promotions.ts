import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import type { QueryBuilder } from '@mikro-orm/postgresql';
import { applyKeyset, type Page, page, type PageArgs, type PageWindow, pageWindow } from '../../db/keyset';
import { entityWhere, lockById, rowShape, selectRows } from '../../db/rows';
import { Promotion, PromotionKind, PromotionStatus, type PromotionTierData, Shop, ShopStatus, User } from '../../entities';
import { Failure, ForbiddenError, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { lockShopAsMember } from '../onboarding';
import { assertShopUnrestricted } from '../risk';
import { recordAudit } from '../platform';
import { checkText, money, PROMOTION_ROLES, PROMOTION_STAFF, toMinor, transition, type TransitionTable } from '../shared';
import { checkScopeReferences, parseScope, type ScopeInput } from './scope';

/**
 * Automatic promotions (滿減, percent off, bundles, gifts): a shop's PROMOTION_ROLES members run
 * their ACTIVE shop's, staff PROMOTION_STAFF the platform-wide ones. A promotion's status is not
 * stored: it is read off the clock, its budget and its cancellation (`promotionStatus`), in SQL the
 * same way for the list's filter. The pricing engine reads the tiers as data (minor units, basis
 * points); this module writes them, checked so that no tier hides another.
 */

const { AMOUNT_OFF_THRESHOLD, PERCENT_OFF, FIXED_PRICE_BUNDLE, GIFT_WITH_PURCHASE } = PromotionKind;
const { SCHEDULED, ACTIVE, ENDED, CANCELLED } = PromotionStatus;

/** Tiers one promotion may have. */
export const MAX_TIERS = 5;
/** The longest window of a promotion, in days. */
export const MAX_PROMOTION_DAYS = 366;
const DAY = 86_400_000;

/** A promotion may be cancelled until it ends. */
export const PROMOTION_TRANSITIONS: TransitionTable<PromotionStatus, 'cancel'> = {
  cancel: { from: [SCHEDULED, ACTIVE], to: CANCELLED },
};

/** What `promotionStatus` reads. */
export type PromotionClock = Pick<Promotion, 'startsAt' | 'endsAt' | 'budget' | 'spent' | 'cancelledAt'>;

/**
 * Where a promotion stands at `now`: CANCELLED once cancelled; ENDED when its window is over or its
 * budget is spent; SCHEDULED before its window; ACTIVE otherwise (the pricing engine applies it).
 */
export function promotionStatus(p: PromotionClock, now: Date): PromotionStatus {
  if (p.cancelledAt) return CANCELLED;
  if (now.getTime() >= p.endsAt.getTime() || (p.budget != null && p.spent >= p.budget)) return ENDED;
  if (now.getTime() < p.startsAt.getTime()) return SCHEDULED;
  return ACTIVE;
}

/** `promotionStatus` as SQL over alias `e`, with its parameters: what the `status` filter reads. */
function statusCondition(status: PromotionStatus, now: Date): [string, unknown[]] {
  const live = 'e.cancelled_at is null and e.ends_at > ? and (e.budget is null or e.spent < e.budget)';
  switch (status) {
    case CANCELLED:
      return ['e.cancelled_at is not null', []];
    case ENDED:
      return ['e.cancelled_at is null and (e.ends_at <= ? or (e.budget is not null and e.spent >= e.budget))', [now]];
    case SCHEDULED:
      return [`${live} and e.starts_at > ?`, [now, now]];
    case ACTIVE:
      return [`${live} and e.starts_at <= ?`, [now, now]];
    default:
      // DRAFT: never stored.
      return ['false', []];
  }
}

/**
 * The short label shoppers see on a promotion, one part per tier joined by "，": 滿200減20 (every:
 * 每滿200減20), 9折 for 10% off (滿200享9折 from a threshold; 折 is the part paid, in tenths, so
 * 15% off is 8.5折), 任選3件99元, 滿300贈品. Amounts in the major unit without trailing zeros.
 */
export function promotionBadge(p: Pick<Promotion, 'kind' | 'tiers' | 'every'>, currency: string): string {
  const amount = (minor: number | null | undefined) => {
    const text = money(minor ?? 0, currency).amount;
    return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  };
  const zhe = (bp: number | null | undefined) => `${Number(((10_000 - (bp ?? 0)) / 1000).toFixed(3))}折`;
  const unit = currency === 'CNY' ? '元' : ` ${currency}`;
  const label = (t: PromotionTierData): string => {
    switch (p.kind) {
      case AMOUNT_OFF_THRESHOLD:
        return `${p.every ? '每' : ''}滿${amount(t.threshold)}減${amount(t.amountOff)}`;
      case PERCENT_OFF:
        return t.threshold > 0 ? `滿${amount(t.threshold)}享${zhe(t.percentOffBp)}` : zhe(t.percentOffBp);
      case FIXED_PRICE_BUNDLE:
        return `任選${t.quantity}件${amount(t.price)}${unit}`;
      case GIFT_WITH_PURCHASE:
        return `滿${amount(t.threshold)}贈品`;
    }
  };
  return p.tiers.map(label).join('，');
}

// --- Who runs promotions ------------------------------------------------------------------------

/** Staff PROMOTION_STAFF (or ADMIN), checked again here behind the shield. */
export function requirePromotionStaff(ctx: Context): void {
  if (!ctx.viewer.hasStaffRole(...PROMOTION_STAFF)) throw new ForbiddenError();
}

/**
 * Checks, in the creating transaction, who creates a promotion or coupon campaign of `shopId`: a
 * PROMOTION_ROLES member of the shop, whose role is re-read under the shop's lock (the shield rule
 * ran before), the shop ACTIVE (SHOP_NOT_ACTIVE); or, with no shop, staff PROMOTION_STAFF.
 */
export async function lockRunningShop(ctx: Context, em: EntityManager, shopId: string | null): Promise<void> {
  if (!shopId) return requirePromotionStaff(ctx);
  const shop = await lockShopAsMember(ctx, em, shopId, PROMOTION_ROLES);
  if (shop.status !== ShopStatus.ACTIVE) throw new Failure(UserErrorCode.SHOP_NOT_ACTIVE, `The shop is ${shop.status}: only ACTIVE shops run promotions and coupons`, ['input', 'shopId']);
  await assertShopUnrestricted(em, shop, ['input', 'shopId']);
}

/**
 * Checks who stops (cancels, ends) a promotion or campaign of `shopId` (null: the platform's):
 * staff PROMOTION_STAFF stop any, and true says they act as staff (to be audited); the shop's
 * PROMOTION_ROLES members stop their shop's, their role re-read under the shop's lock. To anyone
 * else it does not exist (NOT_FOUND with `notFound`); a member in another role is FORBIDDEN.
 */
export async function authorizeStop(ctx: Context, em: EntityManager, shopId: string | null, notFound: string): Promise<boolean> {
  if (ctx.viewer.hasStaffRole(...PROMOTION_STAFF)) return true;
  if (!shopId) throw new NotFoundError(notFound);
  await lockShopAsMember(ctx, em, shopId, PROMOTION_ROLES);
  return false;
}

/**
 * Whether the viewer sees every promotion or campaign of `shopId` in any state: staff
 * PROMOTION_STAFF, the shop's members. With null (the platform's, or no shop named in a list):
 * staff PROMOTION_STAFF alone.
 */
export async function isPromotionInsider(ctx: Context, shopId: string | null): Promise<boolean> {
  if (ctx.viewer.hasStaffRole(...PROMOTION_STAFF)) return true;
  return shopId !== null && (await ctx.viewer.roleIn(shopId)) !== undefined;
}

/** Whether the viewer sees the private figures (budget and spend, a coupon code) of what `shopId` runs: its members and staff; the platform's: staff. */
export async function seesPromotionFigures(ctx: Context, shopId: string | null): Promise<boolean> {
  return shopId ? ctx.viewer.isInsiderOf(shopId) : ctx.viewer.isStaff;
}

// --- Checking input -----------------------------------------------------------------------------

/**
 * A percent off (15 is 15% off) in basis points (1500): more than 0, less than 100, at most two
 * decimals. Reports INVALID_INPUT on `path` otherwise, and returns null.
 */
export function percentInBasisPoints(problems: Problems, percent: number, path: string[]): number | null {
  const bp = Math.round(percent * 100);
  if (!(percent > 0 && percent < 100) || Math.abs(percent * 100 - bp) > 1e-6) {
    problems.add(UserErrorCode.INVALID_INPUT, 'A percent off is more than 0 and less than 100, with at most 2 decimals (15 is 15% off)', path);
    return null;
  }
  return bp;
}

/**
 * A window [starts, ends) given at `input.<fields[0]>` and `input.<fields[1]>`: it ends after it
 * starts, in the future, and (with `maxDays`) spans at most that many days; INVALID_INPUT on the end.
 */
export function checkWindow(problems: Problems, starts: Date, ends: Date, now: Date, fields: [string, string], maxDays?: number): void {
  const path = ['input', fields[1]];
  if (ends.getTime() <= starts.getTime()) problems.add(UserErrorCode.INVALID_INPUT, `\`${fields[1]}\` must be after \`${fields[0]}\``, path);
  else if (ends.getTime() <= now.getTime()) problems.add(UserErrorCode.INVALID_INPUT, `\`${fields[1]}\` must be in the future`, path);
  else if (maxDays && ends.getTime() - starts.getTime() > maxDays * DAY) problems.add(UserErrorCode.INVALID_INPUT, `A window spans at most ${maxDays} days`, path);
}

/** A whole number in [min, max] at `path`, else INVALID_INPUT. */
export function checkCount(problems: Problems, value: number, path: string[], min: number, max: number, label: string): void {
  if (!Number.isInteger(value) || value < min || value > max) problems.add(UserErrorCode.INVALID_INPUT, `${label} is a whole number from ${min} to ${max}`, path);
}

export interface PromotionTierInput {
  threshold?: string | null;
  amountOff?: string | null;
  percentOff?: number | null;
  quantity?: number | null;
  price?: string | null;
  /** Database key of a variant. */
  giftVariantId?: string | null;
}

export interface PromotionInput {
  /** Database key; absent for a platform-wide promotion. */
  shopId?: string | null;
  title: string;
  kind: PromotionKind;
  tiers: PromotionTierInput[];
  every?: boolean | null;
  maxDiscount?: string | null;
  scope: ScopeInput;
  startsAt: Date;
  endsAt: Date;
  perUserLimit?: number | null;
  budget?: string | null;
  stackable?: boolean | null;
}

type TierField = keyof PromotionTierInput;
const TIER_FIELDS: readonly TierField[] = ['threshold', 'amountOff', 'percentOff', 'quantity', 'price', 'giftVariantId'];
/** The tier fields each kind reads; any other must be absent. */
const FIELDS_OF: Record<PromotionKind, readonly TierField[]> = {
  AMOUNT_OFF_THRESHOLD: ['threshold', 'amountOff'],
  PERCENT_OFF: ['threshold', 'percentOff'],
  FIXED_PRICE_BUNDLE: ['quantity', 'price'],
  GIFT_WITH_PURCHASE: ['threshold', 'giftVariantId'],
};

/** One tier at `path` for `kind`, or null when it has a problem (reported). */
function parseTier(problems: Problems, kind: PromotionKind, tier: PromotionTierInput, path: string[], currency: string): PromotionTierData | null {
  let ok = true;
  const fail = (field: TierField, message: string) => {
    ok = false;
    problems.add(UserErrorCode.INVALID_INPUT, message, [...path, field]);
  };
  for (const field of TIER_FIELDS) if (tier[field] != null && !FIELDS_OF[kind].includes(field)) fail(field, `A ${kind} tier has no \`${field}\``);
  /** An amount in minor units; null when absent (a problem if `required`) or malformed. */
  const amount = (field: 'threshold' | 'amountOff' | 'price', required: boolean, positive: boolean): number | null => {
    const value = tier[field];
    if (value == null) {
      if (required) fail(field, `A ${kind} tier needs \`${field}\``);
      return null;
    }
    const minor = toMinor(value, currency, problems, [...path, field]);
    if (minor === null) ok = false;
    else if (positive && minor <= 0) fail(field, `\`${field}\` must be more than 0`);
    return minor;
  };
  switch (kind) {
    case AMOUNT_OFF_THRESHOLD: {
      const threshold = amount('threshold', true, true);
      const amountOff = amount('amountOff', true, true);
      if (threshold !== null && amountOff !== null && amountOff > threshold) fail('amountOff', 'The amount off is at most the threshold');
      return ok ? { threshold: threshold!, amountOff: amountOff! } : null;
    }
    case PERCENT_OFF: {
      const threshold = amount('threshold', false, false) ?? 0;
      if (tier.percentOff == null) fail('percentOff', 'A PERCENT_OFF tier needs `percentOff`');
      const percentOffBp = tier.percentOff == null ? null : percentInBasisPoints(problems, tier.percentOff, [...path, 'percentOff']);
      return ok && percentOffBp !== null ? { threshold, percentOffBp } : null;
    }
    case FIXED_PRICE_BUNDLE: {
      if (tier.quantity == null) fail('quantity', 'A bundle needs `quantity`');
      else if (!Number.isInteger(tier.quantity) || tier.quantity < 2 || tier.quantity > 99) fail('quantity', 'A bundle has 2 to 99 units');
      const price = amount('price', true, true);
      return ok ? { threshold: 0, quantity: tier.quantity!, price: price! } : null;
    }
    case GIFT_WITH_PURCHASE: {
      const threshold = amount('threshold', true, true);
      if (tier.giftVariantId == null) fail('giftVariantId', 'A gift tier needs `giftVariantId`');
      return ok ? { threshold: threshold!, giftVariantId: tier.giftVariantId! } : null;
    }
  }
}

/**
 * The tiers of `input`: 1 to MAX_TIERS (a bundle exactly one), each valid for the kind, and each
 * asking a higher threshold and (but for gifts) giving a bigger discount than the one before —
 * otherwise one tier would hide another ("overlapping tiers").
 */
function parseTiers(problems: Problems, input: PromotionInput, currency: string): PromotionTierData[] {
  const path = ['input', 'tiers'];
  const max = input.kind === FIXED_PRICE_BUNDLE ? 1 : MAX_TIERS;
  if (input.tiers.length < 1 || input.tiers.length > max) problems.add(UserErrorCode.INVALID_INPUT, max === 1 ? 'A bundle has exactly one tier' : `A promotion has 1 to ${MAX_TIERS} tiers`, path);
  const tiers = input.tiers.map((tier, i) => parseTier(problems, input.kind, tier, [...path, String(i)], currency));
  const gives = (t: PromotionTierData) => t.amountOff ?? t.percentOffBp ?? 0;
  tiers.forEach((tier, i) => {
    const previous = tiers[i - 1];
    if (!tier || !previous || input.kind === FIXED_PRICE_BUNDLE) return;
    if (tier.threshold <= previous.threshold || (input.kind !== GIFT_WITH_PURCHASE && gives(tier) <= gives(previous))) {
      problems.add(UserErrorCode.INVALID_INPUT, 'Overlapping tiers: each tier needs a higher threshold and a bigger discount than the one before', [...path, String(i)]);
    }
  });
  return tiers.filter((t): t is PromotionTierData => t !== null);
}

type PromotionFields = Pick<Promotion, 'title' | 'kind' | 'tiers' | 'every' | 'maxDiscount' | 'scope' | 'startsAt' | 'endsAt' | 'perUserLimit' | 'budget' | 'stackable'>;

/** Every field of `input` checked (each problem an INVALID_INPUT naming its field), as stored. */
function parsePromotion(ctx: Context, input: PromotionInput): PromotionFields {
  const problems = new Problems();
  const { currency } = ctx.deps.config;
  const title = checkText(problems, input.title, ['input', 'title'], 2, 40, 'Title');
  const tiers = parseTiers(problems, input, currency);
  const every = input.every ?? false;
  if (every && (input.kind !== AMOUNT_OFF_THRESHOLD || input.tiers.length !== 1)) {
    problems.add(UserErrorCode.INVALID_INPUT, '`every` repeats the one tier of an AMOUNT_OFF_THRESHOLD promotion', ['input', 'every']);
  }
  const positive = (value: string | null | undefined, field: string, label: string): number | null => {
    if (value == null) return null;
    const minor = toMinor(value, currency, problems, ['input', field]);
    if (minor !== null && minor <= 0) problems.add(UserErrorCode.INVALID_INPUT, `${label} must be more than 0`, ['input', field]);
    return minor;
  };
  const maxDiscount = positive(input.maxDiscount, 'maxDiscount', 'The cap');
  if (input.maxDiscount != null && input.kind !== PERCENT_OFF && !every) {
    problems.add(UserErrorCode.INVALID_INPUT, 'A cap (`maxDiscount`) is for PERCENT_OFF promotions and `every` ones', ['input', 'maxDiscount']);
  }
  if (input.kind === GIFT_WITH_PURCHASE && !input.shopId) {
    problems.add(UserErrorCode.INVALID_INPUT, 'A gift with purchase is a shop’s own promotion: platform promotions cannot give gifts', ['input', 'shopId']);
  }
  checkWindow(problems, input.startsAt, input.endsAt, ctx.now(), ['startsAt', 'endsAt'], MAX_PROMOTION_DAYS);
  if (input.perUserLimit != null) checkCount(problems, input.perUserLimit, ['input', 'perUserLimit'], 1, 100, 'The limit per shopper');
  const budget = positive(input.budget, 'budget', 'The budget');
  if (input.budget != null && input.kind === GIFT_WITH_PURCHASE) {
    // Gifts take nothing off a price, so a money budget would never run down: limit gifts by their stock.
    problems.add(UserErrorCode.INVALID_INPUT, 'A gift with purchase has no money budget: its gift’s stock limits it', ['input', 'budget']);
  }
  const scope = parseScope(problems, input.scope, ['input', 'scope']);
  problems.throwIfAny();
  return {
    title,
    kind: input.kind,
    tiers,
    every,
    maxDiscount,
    scope,
    startsAt: input.startsAt,
    endsAt: input.endsAt,
    perUserLimit: input.perUserLimit ?? null,
    budget,
    stackable: input.stackable ?? true,
  };
}

const KEY = rowShape({ id: 'key' });

/** Each tier's gift is a live (not archived) variant of the shop's own products; INVALID_INPUT naming the tier's gift otherwise. */
async function checkGifts(em: EntityManager, tiers: PromotionTierData[], shopId: string): Promise<void> {
  const ids = tiers.map((t) => t.giftVariantId!);
  const rows = await selectRows(em, KEY, 'select id from product_variant where id in (?) and shop_id = ? and not archived', [ids, shopId]);
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0) throw new Failure(UserErrorCode.INVALID_INPUT, 'The gift is a variant of one of the shop’s own products', ['input', 'tiers', String(missing), 'giftVariantId']);
}

const summary = (p: Promotion) => ({ shopId: p.shop?.id ?? null, title: p.title, kind: p.kind, startsAt: p.startsAt.toISOString(), endsAt: p.endsAt.toISOString(), budget: p.budget ?? null });

// --- Creating and cancelling --------------------------------------------------------------------

/**
 * Creates a promotion: a shop's own (`shopId`: its PROMOTION_ROLES members, an ACTIVE shop) or a
 * platform-wide one (staff PROMOTION_STAFF; audited). Every field is checked first (INVALID_INPUT
 * naming it), then what it names: the scope's products (the shop's own, for a shop) and categories,
 * the gifts (the shop's own live variants). It is SCHEDULED, or ACTIVE when its window has begun.
 */
export async function createPromotion(ctx: Context, input: PromotionInput): Promise<Promotion> {
  const shopId = input.shopId ?? null;
  if (!shopId) requirePromotionStaff(ctx);
  const fields = parsePromotion(ctx, input);
  return ctx.em.transactional(async (em) => {
    await lockRunningShop(ctx, em, shopId);
    await checkScopeReferences(em, input.scope, shopId, ['input', 'scope']);
    if (fields.kind === GIFT_WITH_PURCHASE) await checkGifts(em, fields.tiers, shopId!);
    const now = ctx.now();
    const promotion = em.create(Promotion, {
      ...fields,
      shop: shopId ? em.getReference(Shop, shopId) : null,
      createdBy: em.getReference(User, ctx.viewer.userId!),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    if (!shopId) {
      recordAudit(ctx, em, { action: 'promotion.create', targetType: 'Promotion', targetId: promotion.id, after: summary(promotion) });
      await em.flush();
    }
    return promotion;
  });
}

/**
 * Cancels a SCHEDULED or ACTIVE promotion (one ENDED or CANCELLED is INVALID_TRANSITION): its
 * shop's PROMOTION_ROLES members, or staff PROMOTION_STAFF (audited); to anyone else it does not
 * exist. Orders already priced keep their discounts.
 */
export async function cancelPromotion(ctx: Context, id: string): Promise<Promotion> {
  return ctx.em.transactional(async (em) => {
    const found = await entityWhere(em, Promotion, 'e.id = ?', [id]);
    if (!found) throw new NotFoundError('No such promotion');
    // The shop's lock first, then the promotion's: the order creating takes.
    const asStaff = await authorizeStop(ctx, em, found.shop?.id ?? null, 'No such promotion');
    const promotion = (await lockById(em, Promotion, id))!;
    const now = ctx.now();
    const before = promotionStatus(promotion, now);
    transition(PROMOTION_TRANSITIONS, 'cancel', before, 'promotion');
    promotion.cancelledAt = now;
    promotion.updatedAt = now;
    if (asStaff) recordAudit(ctx, em, { action: 'promotion.cancel', targetType: 'Promotion', targetId: promotion.id, before: { status: before }, after: { status: CANCELLED } });
    await em.flush();
    return promotion;
  });
}

// --- Reading ------------------------------------------------------------------------------------

/** What shoppers see runs on the platform or in an ACTIVE shop (SQL over alias `e`: promotions, coupon campaigns). */
export const OF_ACTIVE_SHOP = `(e.shop_id is null or exists (select 1 from shop s where s.id = e.shop_id and s.status = '${ShopStatus.ACTIVE}'))`;

/** Whether what `shopId` runs is shown to shoppers: the platform's, or an ACTIVE shop's (OF_ACTIVE_SHOP, for one row). */
export async function runsInActiveShop(ctx: Context, shopId: string | null): Promise<boolean> {
  return !shopId || (await ctx.loaders.shopById.load(shopId))?.status === ShopStatus.ACTIVE;
}

/** One promotion by database key: for insiders (`isPromotionInsider`) in any state, for anyone else while ACTIVE in an ACTIVE shop; else null. */
export async function visiblePromotion(ctx: Context, key: string): Promise<Promotion | null> {
  const promotion = await ctx.loaders.promotionById.load(key);
  if (!promotion || (await isPromotionInsider(ctx, promotion.shop?.id ?? null))) return promotion;
  if (promotionStatus(promotion, ctx.now()) !== ACTIVE) return null;
  return (await runsInActiveShop(ctx, promotion.shop?.id ?? null)) ? promotion : null;
}

export interface PromotionFilterInput {
  /** Database key. */
  shopId?: string | null;
  status?: PromotionStatus | null;
  kind?: PromotionKind | null;
}

/**
 * Promotions, newest first (keyset on the id): staff PROMOTION_STAFF see every one, a shop's
 * members every one of their shop when `shopId` names it; anyone else sees the ACTIVE ones of the
 * platform and of ACTIVE shops (a `status` other than ACTIVE finds nothing for them).
 */
export async function listPromotions(ctx: Context, args: PageArgs & { filter?: PromotionFilterInput | null }): Promise<Page<Promotion>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const keyOf = (p: Promotion) => [p.id];
  const insider = await isPromotionInsider(ctx, f.shopId ?? null);
  const status = insider ? f.status : (f.status ?? ACTIVE);
  if (!insider && status !== ACTIVE) return page([], window, keyOf, async () => 0);
  const now = ctx.now();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(Promotion, 'e');
    if (f.shopId) qb.andWhere({ shop: f.shopId });
    if (f.kind) qb.andWhere({ kind: f.kind });
    if (status) qb.andWhere(...statusCondition(status, now));
    if (!insider) qb.andWhere(OF_ACTIVE_SHOP);
    return qb;
  };
  return newestFirst(base, window);
}

/** A page of `base()`'s rows, newest (highest id) first, counted only when asked. */
export async function newestFirst<T extends { id: string }>(base: () => QueryBuilder<T>, window: PageWindow): Promise<Page<T>> {
  const rows: T[] = await applyKeyset(base(), [{ column: 'e.id', direction: 'desc' }], window).getResultList();
  return page(rows, window, (row) => [row.id], () => base().getCount());
}
