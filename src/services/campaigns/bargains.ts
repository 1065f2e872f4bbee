import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { type Page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockById, rowShape, selectRows } from '../../db/rows';
import { Bargain, BargainCampaign, BargainHelp, BargainStatus, type Checkout, DiscountSource, ProductVariant, ShopStatus, User } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { BargainCampaignStatus } from '../../schema/campaigns/bargains';
import { lockShopAsMember } from '../onboarding';
import { assertShopUnrestricted, withBlacklistEvents } from '../risk';
import { placeDirectOrder } from '../orders';
import { recordAudit } from '../platform';
import { allocate, authorizeStop, checkCount, isPromotionInsider, newestFirst, runsInActiveShop } from '../promotions';
import { guardUnique, money, PROMOTION_ROLES, toMinor, transition, type TransitionTable } from '../shared';
import { mulberry32 } from '../shared/random';

/**
 * Bargains (砍價). A shop's PROMOTION_ROLES members offer a variant from its price down to a floor
 * price (`createBargainCampaign`); a buyer starts a bargain (`startBargain`) and shares it; each
 * other signed-in user may help once, cutting the price by the next of the bargain's cuts; the
 * starter buys one unit at the price reached (`buyBargain`) before the bargain expires.
 *
 * The cuts are drawn once, when the bargain starts, from a PRNG seeded with the bargain's id
 * (`bargainCuts`): random but reproducible, each at least one minor unit and at most about three
 * times the average, summing exactly to start − floor, so the last needed helper reaches the floor
 * and no help goes below it. Helps of one bargain take turns on its row lock, so concurrent helpers
 * apply each cut once, in order. The campaign's `started < quantity` is a conditional update: at most
 * `quantity` bargains start, and the campaign's row lock it takes serialises one buyer's starts, so
 * a buyer has at most one ACTIVE bargain of a campaign. `quantity` counts starts, not purchases: a
 * bargain that expires or whose checkout lapses unpaid does not give its start back.
 *
 * A bought bargain stays BOUGHT even when its checkout expires unpaid (its order is cancelled as
 * any unpaid one): the price was taken up, and the buyer may start a new bargain while the campaign
 * has starts left.
 */

const HOUR = 3_600_000;
const { ACTIVE, BOUGHT, EXPIRED } = BargainStatus;

/** What an order's BARGAIN discount is called. */
export const BARGAIN_DISCOUNT_TITLE = '砍價';

// --- The cuts -----------------------------------------------------------------------------------

export { mulberry32 };

/** The seed of a bargain's cuts: its id hashed (32-bit FNV-1a), so any id, however large, seeds the PRNG. */
export function bargainSeed(bargainId: string): number {
  let hash = 0x811c9dc5;
  for (const ch of `bargain:${bargainId}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

/** Each helper's weight is drawn from [CUT_WEIGHT_MIN, CUT_WEIGHT_MAX]: the ratio (3) bounds a cut against the average. */
export const CUT_WEIGHT_MIN = 50;
export const CUT_WEIGHT_MAX = 150;

/**
 * The cuts of `helpers` helpers that take `total` minor units off, drawn from `seed`: every helper
 * gets one minor unit, and the rest (total − helpers) is split by largest remainder (`allocate`)
 * over weights drawn in [50, 150]. So the cuts sum to `total` exactly, and each lies between
 * ⌊(total − helpers) / (3 × helpers)⌋ + 1 and 3 × total / helpers − 1. Needs total ≥ helpers ≥ 1.
 */
export function bargainCuts(total: number, helpers: number, seed: number): number[] {
  if (!Number.isSafeInteger(total) || !Number.isInteger(helpers) || helpers < 1 || total < helpers) {
    throw new Error(`bargainCuts: cannot cut ${total} into ${helpers} cuts of at least 1`);
  }
  const random = mulberry32(seed);
  const weights = Array.from({ length: helpers }, () => CUT_WEIGHT_MIN + Math.floor(random() * (CUT_WEIGHT_MAX - CUT_WEIGHT_MIN + 1)));
  return allocate(total - helpers, weights).map((part) => part + 1);
}

// --- States -------------------------------------------------------------------------------------

/** Where a campaign stands: ENDED once ended; SOLD_OUT when every bargain it offers has started; else ACTIVE. */
export function bargainCampaignStatus(c: Pick<BargainCampaign, 'endedAt' | 'started' | 'quantity'>): BargainCampaignStatus {
  if (c.endedAt) return BargainCampaignStatus.ENDED;
  return c.started >= c.quantity ? BargainCampaignStatus.SOLD_OUT : BargainCampaignStatus.ACTIVE;
}

/** A campaign may be ended until it has ended. */
export const BARGAIN_CAMPAIGN_TRANSITIONS: TransitionTable<BargainCampaignStatus, 'end'> = {
  end: { from: [BargainCampaignStatus.ACTIVE, BargainCampaignStatus.SOLD_OUT], to: BargainCampaignStatus.ENDED },
};

/** A bargain is bought by its starter, or expires (`expire-bargains`), while ACTIVE. Helping keeps it ACTIVE. */
export const BARGAIN_TRANSITIONS: TransitionTable<BargainStatus, 'buy' | 'expire'> = {
  buy: { from: [ACTIVE], to: BOUGHT },
  expire: { from: [ACTIVE], to: EXPIRED },
};

/** Where a bargain stands at `now`: an ACTIVE one past `expiresAt` is EXPIRED already (the task only writes it down). */
export function bargainStatus(b: Pick<Bargain, 'status' | 'expiresAt'>, now: Date): BargainStatus {
  return b.status === ACTIVE && now.getTime() >= b.expiresAt.getTime() ? EXPIRED : b.status;
}

// --- Campaigns ----------------------------------------------------------------------------------

export interface BargainCampaignInput {
  /** Database key. */
  variantId: string;
  floorPrice: string;
  helpersNeeded: number;
  hoursToFinish: number;
  quantity: number;
}

const VARIANT_ON_SALE = rowShape({ shop_id: 'key', price: 'number', on_sale: 'bool' });
/** A variant's shop, price and whether it is on sale (not archived, its product visible: listed in an ACTIVE shop). */
const VARIANT_SQL = 'select v.shop_id, v.price, not v.archived and p.visible as on_sale from product_variant v join product p on p.id = v.product_id where v.id = ?';

/**
 * Creates a bargain campaign of the variant's shop: its PROMOTION_ROLES members (re-read under the
 * shop's lock; another shop's variant is NOT_FOUND), the shop ACTIVE (SHOP_NOT_ACTIVE), the variant
 * on sale (PRODUCT_UNAVAILABLE). The floor price must leave at least one minor unit per helper
 * below the variant's price (INVALID_INPUT); every field is checked first.
 */
export async function createBargainCampaign(ctx: Context, input: BargainCampaignInput): Promise<BargainCampaign> {
  const problems = new Problems();
  const at = (field: string) => ['input', field];
  const floorPrice = toMinor(input.floorPrice, ctx.deps.config.currency, problems, at('floorPrice'));
  if (floorPrice !== null && floorPrice <= 0) problems.add(UserErrorCode.INVALID_INPUT, '`floorPrice` must be more than 0', at('floorPrice'));
  checkCount(problems, input.helpersNeeded, at('helpersNeeded'), 1, 100, 'The helpers needed');
  checkCount(problems, input.hoursToFinish, at('hoursToFinish'), 0, 720, 'The hours to finish');
  checkCount(problems, input.quantity, at('quantity'), 1, 100_000, 'The quantity');
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    const [variant] = await selectRows(em, VARIANT_ON_SALE, VARIANT_SQL, [input.variantId]);
    if (!variant) throw new NotFoundError('No such variant');
    const shop = await lockShopAsMember(ctx, em, variant.shop_id, PROMOTION_ROLES);
    if (shop.status !== ShopStatus.ACTIVE) throw new Failure(UserErrorCode.SHOP_NOT_ACTIVE, `The shop is ${shop.status}: only ACTIVE shops run bargains`);
    await assertShopUnrestricted(em, shop, ['input', 'variantId']);
    if (!variant.on_sale) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'Bargains are for variants of products on sale', at('variantId'));
    if (variant.price - floorPrice! < input.helpersNeeded) {
      const most = money(variant.price - input.helpersNeeded, ctx.deps.config.currency).amount;
      throw new Failure(UserErrorCode.INVALID_INPUT, `The floor price must leave every helper a cut of at least one minor unit: at most ${most} for ${input.helpersNeeded} helper(s)`, at('floorPrice'));
    }
    const now = ctx.now();
    const campaign = em.create(BargainCampaign, {
      shop,
      variant: em.getReference(ProductVariant, input.variantId),
      floorPrice: floorPrice!,
      helpersNeeded: input.helpersNeeded,
      hoursToFinish: input.hoursToFinish,
      quantity: input.quantity,
      createdBy: em.getReference(User, ctx.viewer.userId!),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    return campaign;
  });
}

/**
 * Ends a campaign now: no bargain starts any more; those started run on until they expire (one
 * already ENDED is INVALID_TRANSITION). Its shop's PROMOTION_ROLES members, or staff
 * PROMOTION_STAFF (audited); to anyone else it does not exist.
 */
export async function endBargainCampaign(ctx: Context, id: string): Promise<BargainCampaign> {
  return ctx.em.transactional(async (em) => {
    const found = await entityWhere(em, BargainCampaign, 'e.id = ?', [id]);
    if (!found) throw new NotFoundError('No such bargain campaign');
    const asStaff = await authorizeStop(ctx, em, found.shop.id, 'No such bargain campaign');
    const campaign = (await lockById(em, BargainCampaign, id))!;
    const now = ctx.now();
    const before = bargainCampaignStatus(campaign);
    transition(BARGAIN_CAMPAIGN_TRANSITIONS, 'end', before, 'bargain campaign');
    campaign.endedAt = now;
    campaign.updatedAt = now;
    if (asStaff) {
      recordAudit(ctx, em, { action: 'bargainCampaign.end', targetType: 'BargainCampaign', targetId: campaign.id, before: { status: before }, after: { status: BargainCampaignStatus.ENDED } });
    }
    await em.flush();
    return campaign;
  });
}

// --- Bargains -----------------------------------------------------------------------------------

const KEY = rowShape({ id: 'key' });

/**
 * A signed-in buyer starts a bargain of a campaign: NOT_FOUND for an unknown campaign;
 * PRODUCT_UNAVAILABLE when its variant is no longer on sale; INVALID_TRANSITION when the campaign
 * has ended, is sold out, the variant's price has dropped too close to the floor to cut, or the
 * buyer has an ACTIVE bargain of it already. The bargain starts at the variant's price now and
 * expires `hoursToFinish` hours later; its cuts are drawn here, seeded with its id.
 */
export async function startBargain(ctx: Context, input: { campaignId: string }): Promise<Bargain> {
  const userId = ctx.viewer.userId!;
  const field = ['input', 'campaignId'];
  return ctx.em.transactional(async (em) => {
    const campaign = await entityWhere(em, BargainCampaign, 'e.id = ?', [input.campaignId]);
    if (!campaign) throw new NotFoundError('No such bargain campaign');
    if (campaign.endedAt) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'This bargain campaign has ended', field);
    const [variant] = await selectRows(em, VARIANT_ON_SALE, VARIANT_SQL, [campaign.variant.id]);
    if (!variant?.on_sale) throw new Failure(UserErrorCode.PRODUCT_UNAVAILABLE, 'The product of this bargain is not on sale', field);
    const startPrice = variant.price;
    if (startPrice - campaign.floorPrice < campaign.helpersNeeded) {
      throw new Failure(UserErrorCode.INVALID_TRANSITION, 'The variant’s price is now too close to the floor price to bargain', field);
    }
    const now = ctx.now();
    const taken = await selectRows(
      em,
      KEY,
      'update bargain_campaign set started = started + 1, updated_at = ? where id = ? and ended_at is null and started < quantity returning id',
      [now, campaign.id],
    );
    if (taken.length === 0) {
      // Read again: an end may have committed while this waited for the row.
      const ended = (await selectRows(em, KEY, 'select id from bargain_campaign where id = ? and ended_at is not null', [campaign.id])).length > 0;
      throw new Failure(UserErrorCode.INVALID_TRANSITION, ended ? 'This bargain campaign has ended' : 'Every bargain of this campaign has been started: it is sold out', field);
    }
    // The update holds the campaign's row until commit, so this buyer's starts of it take turns here.
    // A bargain of theirs past its expiry is written down first: at most one ACTIVE bargain per buyer and campaign.
    await em.execute(`update bargain set status = '${EXPIRED}', updated_at = ? where campaign_id = ? and user_id = ? and status = '${ACTIVE}' and expires_at <= ?`, [
      now,
      campaign.id,
      userId,
      now,
    ]);
    const open = await selectRows(em, KEY, `select id from bargain where campaign_id = ? and user_id = ? and status = '${ACTIVE}' limit 1`, [campaign.id, userId]);
    if (open.length > 0) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'You already have a bargain of this campaign going: share it, or buy it', field);
    // The id first, from the table's sequence: it seeds the cuts, stored with the row.
    const [{ id }] = await selectRows(em, KEY, "select nextval(pg_get_serial_sequence('bargain', 'id')) as id");
    const bargain = em.create(Bargain, {
      id,
      campaign,
      user: em.getReference(User, userId),
      startPrice,
      floorPrice: campaign.floorPrice,
      currentPrice: startPrice,
      cuts: bargainCuts(startPrice - campaign.floorPrice, campaign.helpersNeeded, bargainSeed(id)),
      expiresAt: new Date(now.getTime() + campaign.hoursToFinish * HOUR),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    return bargain;
  });
}

/**
 * Another signed-in user helps a bargain, once: the bargain's row is locked, then the help is
 * refused (BARGAIN_HELP_REFUSED on the ID) when the bargain is the helper's own, they helped it
 * already, it is not ACTIVE or past its expiry, or it reached its floor; otherwise the next cut
 * comes off the current price and the help is recorded. The unique (bargain, helper) index is the
 * backstop of the repeat check. NOT_FOUND for an unknown bargain.
 */
export async function helpBargain(ctx: Context, id: string): Promise<Bargain> {
  const helperId = ctx.viewer.userId!;
  const refuse = (message: string) => new Failure(UserErrorCode.BARGAIN_HELP_REFUSED, message, ['input', 'id']);
  const repeat = 'You have helped this bargain already';
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        const bargain = await lockById(em, Bargain, id);
        if (!bargain) throw new NotFoundError('No such bargain');
        const now = ctx.now();
        if (bargain.user.id === helperId) throw refuse('You cannot help your own bargain: share it with friends');
        const helped = await selectRows(em, KEY, 'select id from bargain_help where bargain_id = ? and helper_id = ?', [bargain.id, helperId]);
        if (helped.length > 0) throw refuse(repeat);
        const status = bargainStatus(bargain, now);
        if (status !== ACTIVE) throw refuse(status === EXPIRED ? 'This bargain has expired' : `This bargain is ${status}: it takes no more help`);
        if (bargain.helped >= bargain.cuts.length) throw refuse('This bargain has reached its floor price');
        const cut = bargain.cuts[bargain.helped];
        bargain.currentPrice -= cut;
        bargain.helped += 1;
        bargain.updatedAt = now;
        em.create(BargainHelp, { bargain, helper: em.getReference(User, helperId), amount: cut, at: now });
        await em.flush();
        return bargain;
      }),
    (message) => (message.includes('bargain_help_unique') ? refuse(repeat) : undefined),
  );
}

export interface BuyBargainInput {
  /** Database keys. */
  bargainId: string;
  addressId: string;
}

/**
 * The starter buys one unit at the bargain's current price: one order through `placeDirectOrder`
 * (a BARGAIN discount the shop funds, start price − current price when the variant's price has not
 * changed), and the bargain is BOUGHT. Someone else's bargain is NOT_FOUND; one not ACTIVE or past
 * its expiry is INVALID_TRANSITION; the order's own failures (address, stock, product) come back
 * as they are. The buyer pays the returned checkout with `payCheckout`.
 */
export async function buyBargain(ctx: Context, input: BuyBargainInput): Promise<Checkout> {
  const buyerId = ctx.viewer.userId!;
  // The order's blacklist refusal is recorded once the transaction has rolled back.
  return withBlacklistEvents(ctx, () => ctx.em.transactional(async (em) => {
    const bargain = await lockById(em, Bargain, input.bargainId);
    if (!bargain || bargain.user.id !== buyerId) throw new NotFoundError('No such bargain');
    const now = ctx.now();
    transition(BARGAIN_TRANSITIONS, 'buy', bargainStatus(bargain, now), 'bargain');
    const campaign = (await entityWhere(em, BargainCampaign, 'e.id = ?', [bargain.campaign.id]))!;
    const { checkout } = await placeDirectOrder(ctx, em, {
      buyerId,
      addressId: input.addressId,
      variantId: campaign.variant.id,
      quantity: 1,
      campaign: { source: DiscountSource.BARGAIN, id: bargain.id, title: BARGAIN_DISCOUNT_TITLE, unitPrice: bargain.currentPrice },
      idempotencyKey: `#bargain/${bargain.id}`,
    });
    bargain.status = BOUGHT;
    bargain.checkout = checkout;
    bargain.updatedAt = now;
    await em.flush();
    return checkout;
  }));
}

const COUNT = rowShape({ n: 'int' });

/**
 * `expire-bargains`: marks EXPIRED, in one statement, every ACTIVE bargain whose `expiresAt` has
 * passed at `deps.clock.now()`. A bargain being bought holds its row, and this statement then
 * finds it BOUGHT. Returns how many expired; a second run finds none.
 */
export async function expireBargains(deps: SystemDeps, em: EntityManager): Promise<number> {
  const now = deps.clock.now();
  const [row] = await selectRows(
    em,
    COUNT,
    'with expired as (update bargain set status = ?, updated_at = ? where status = ? and expires_at <= ? returning 1) select count(*)::int as n from expired',
    [EXPIRED, now, ACTIVE, now],
  );
  return row.n;
}

// --- Reading ------------------------------------------------------------------------------------

/** Campaigns shoppers see (SQL over alias `e`): not ended, their variant on sale (not archived, its product listed in an ACTIVE shop). */
const PUBLIC_CAMPAIGN_SQL = `e.ended_at is null and exists (
  select 1 from product_variant v join product p on p.id = v.product_id where v.id = e.variant_id and not v.archived and p.visible)`;

/** One campaign by database key: its shop's members and staff PROMOTION_STAFF see any; anyone else one not ended of an ACTIVE shop; else null. */
export async function visibleBargainCampaign(ctx: Context, key: string): Promise<BargainCampaign | null> {
  const campaign = await ctx.loaders.bargainCampaignById.load(key);
  if (!campaign || (await isPromotionInsider(ctx, campaign.shop.id))) return campaign;
  if (campaign.endedAt) return null;
  return (await runsInActiveShop(ctx, campaign.shop.id)) ? campaign : null;
}

/**
 * Bargain campaigns, newest first (keyset on the id): staff PROMOTION_STAFF see every one, a
 * shop's members every one of their shop when `shopId` names it; anyone else those not ended whose
 * variant is on sale (so of ACTIVE shops).
 */
export async function listBargainCampaigns(ctx: Context, args: PageArgs & { filter?: { shopId?: string | null } | null }): Promise<Page<BargainCampaign>> {
  const window = pageWindow(args, ['id']);
  const shopId = args.filter?.shopId ?? null;
  const insider = await isPromotionInsider(ctx, shopId);
  const base = () => {
    const qb = ctx.em.createQueryBuilder(BargainCampaign, 'e');
    if (shopId) qb.andWhere({ shop: shopId });
    if (!insider) qb.andWhere(PUBLIC_CAMPAIGN_SQL);
    return qb;
  };
  return newestFirst(base, window);
}

/** One bargain by database key, for anyone (a share link): it shows the price's progress, never who started or helped it. */
export function visibleBargain(ctx: Context, key: string): Promise<Bargain | null> {
  return ctx.loaders.bargainById.load(key);
}

/** The viewer's bargains, newest first (keyset on the id). */
export async function myBargains(ctx: Context, args: PageArgs): Promise<Page<Bargain>> {
  const window = pageWindow(args, ['id']);
  return newestFirst(() => ctx.em.createQueryBuilder(Bargain, 'e').andWhere({ user: ctx.viewer.userId! }), window);
}
