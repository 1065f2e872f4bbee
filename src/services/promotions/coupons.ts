import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, SystemDeps } from '../../context';
import { type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { entityWhere, lockById, lockKeys, rowShape, selectRows } from '../../db/rows';
import { CouponAudience, CouponCampaign, CouponKind, Shop, ShopStatus, User, UserCoupon, UserCouponStatus } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { CouponCampaignStatus } from '../../schema/promotions/coupons';
import { recordAudit } from '../platform';
import { checkText, guardUnique, toMinor, transition, type TransitionTable } from '../shared';
import { authorizeStop, checkCount, checkWindow, isPromotionInsider, lockRunningShop, newestFirst, OF_ACTIVE_SHOP, percentInBasisPoints, requirePromotionStaff, runsInActiveShop } from './promotions';
import { checkScopeReferences, parseScope, type ScopeInput } from './scope';

/**
 * Coupon campaigns (優惠券) and the coupons shoppers hold. A shop's PROMOTION_ROLES members run
 * their ACTIVE shop's campaigns, staff PROMOTION_STAFF the platform's. Shoppers claim a coupon by
 * the campaign's ID or, for a code campaign, only by its code (never listed to them). Claiming is
 * race-safe: a transaction-scoped advisory lock on (campaign, shopper) serialises one shopper's
 * claims, so `perUserLimit` holds, and the conditional `claimed < total_quantity` update lets
 * exactly `totalQuantity` claims through. NEW_USERS campaigns with `autoGrant` hand a coupon to
 * every shopper who registers while they are open; `expire-coupons` retires unused coupons past
 * their validity.
 */

const { UPCOMING, CLAIMABLE, SOLD_OUT, ENDED } = CouponCampaignStatus;
const { AVAILABLE, EXPIRED } = UserCouponStatus;
const DAY = 86_400_000;

/** A campaign may be ended until it has ended. */
export const COUPON_CAMPAIGN_TRANSITIONS: TransitionTable<CouponCampaignStatus, 'end'> = {
  end: { from: [UPCOMING, CLAIMABLE, SOLD_OUT], to: ENDED },
};

type CampaignClock = Pick<CouponCampaign, 'claimStartsAt' | 'claimEndsAt' | 'validUntil' | 'endedAt' | 'claimed' | 'totalQuantity'>;

/**
 * Where a campaign stands at `now`: ENDED once ended, past its claim window or past the validity of
 * its coupons; UPCOMING before its claim window; SOLD_OUT when every coupon is claimed; else CLAIMABLE.
 */
export function couponCampaignStatus(c: CampaignClock, now: Date): CouponCampaignStatus {
  const at = now.getTime();
  if (c.endedAt || at >= c.claimEndsAt.getTime() || (c.validUntil && at >= c.validUntil.getTime())) return ENDED;
  if (at < c.claimStartsAt.getTime()) return UPCOMING;
  return c.claimed >= c.totalQuantity ? SOLD_OUT : CLAIMABLE;
}

/** A CLAIMABLE campaign in SQL over alias `e`, its parameters three times `now`. */
const CLAIMABLE_SQL = 'e.ended_at is null and e.claim_starts_at <= ? and e.claim_ends_at > ? and (e.valid_until is null or e.valid_until > ?) and e.claimed < e.total_quantity';

/** Whether a coupon can be used at `now`: AVAILABLE and within its validity. */
export function couponUsable(c: Pick<UserCoupon, 'status' | 'validFrom' | 'validUntil'>, now: Date): boolean {
  return c.status === AVAILABLE && c.validFrom.getTime() <= now.getTime() && now.getTime() < c.validUntil.getTime();
}

/** A usable coupon in SQL over alias `e`, its parameters twice `now`. */
const USABLE_SQL = `e.status = '${AVAILABLE}' and e.valid_from <= ? and e.valid_until > ?`;

// --- Creating and ending ------------------------------------------------------------------------

export interface CouponCampaignInput {
  /** Database key; absent for a platform coupon. */
  shopId?: string | null;
  title: string;
  kind: CouponKind;
  amountOff?: string | null;
  percentOff?: number | null;
  maxDiscount?: string | null;
  minSubtotal?: string | null;
  scope: ScopeInput;
  totalQuantity: number;
  perUserLimit: number;
  claimStartsAt: Date;
  claimEndsAt: Date;
  validDays?: number | null;
  validUntil?: Date | null;
  audience: CouponAudience;
  memberLevel?: number | null;
  code?: string | null;
  autoGrant?: boolean | null;
}

type CampaignFields = Pick<
  CouponCampaign,
  | 'title'
  | 'kind'
  | 'amountOff'
  | 'percentOffBp'
  | 'maxDiscount'
  | 'minSubtotal'
  | 'scope'
  | 'totalQuantity'
  | 'perUserLimit'
  | 'claimStartsAt'
  | 'claimEndsAt'
  | 'validDays'
  | 'validUntil'
  | 'audience'
  | 'memberLevel'
  | 'code'
  | 'autoGrant'
>;

const CODE = /^[A-Z0-9-]{4,32}$/;

/** Every field of `input` checked (each problem an INVALID_INPUT naming its field), as stored. */
function parseCampaign(ctx: Context, input: CouponCampaignInput): CampaignFields {
  const problems = new Problems();
  const { currency } = ctx.deps.config;
  const now = ctx.now();
  const at = (field: string) => ['input', field];
  const amount = (value: string | null | undefined, field: string) => (value == null ? null : toMinor(value, currency, problems, at(field)));
  const title = checkText(problems, input.title, at('title'), 2, 40, 'Title');
  const amountOff = amount(input.amountOff, 'amountOff');
  const maxDiscount = amount(input.maxDiscount, 'maxDiscount');
  const minSubtotal = amount(input.minSubtotal, 'minSubtotal') ?? 0;
  let percentOffBp: number | null = null;
  if (input.kind === CouponKind.AMOUNT_OFF) {
    if (input.amountOff == null) problems.add(UserErrorCode.INVALID_INPUT, 'An AMOUNT_OFF coupon needs `amountOff`', at('amountOff'));
    else if (amountOff !== null && amountOff <= 0) problems.add(UserErrorCode.INVALID_INPUT, '`amountOff` must be more than 0', at('amountOff'));
    else if (amountOff !== null && minSubtotal > 0 && amountOff > minSubtotal) problems.add(UserErrorCode.INVALID_INPUT, '`amountOff` is at most `minSubtotal`', at('amountOff'));
  } else if (input.amountOff != null) problems.add(UserErrorCode.INVALID_INPUT, 'Only AMOUNT_OFF coupons take `amountOff`', at('amountOff'));
  if (input.kind === CouponKind.PERCENT_OFF) {
    if (input.percentOff == null) problems.add(UserErrorCode.INVALID_INPUT, 'A PERCENT_OFF coupon needs `percentOff`', at('percentOff'));
    else percentOffBp = percentInBasisPoints(problems, input.percentOff, at('percentOff'));
  } else if (input.percentOff != null) problems.add(UserErrorCode.INVALID_INPUT, 'Only PERCENT_OFF coupons take `percentOff`', at('percentOff'));
  if (input.maxDiscount != null && input.kind !== CouponKind.PERCENT_OFF) problems.add(UserErrorCode.INVALID_INPUT, 'A cap (`maxDiscount`) is for PERCENT_OFF coupons', at('maxDiscount'));
  else if (maxDiscount !== null && maxDiscount <= 0) problems.add(UserErrorCode.INVALID_INPUT, '`maxDiscount` must be more than 0', at('maxDiscount'));
  const scope = parseScope(problems, input.scope, at('scope'));
  checkCount(problems, input.totalQuantity, at('totalQuantity'), 1, 1_000_000, 'The quantity');
  checkCount(problems, input.perUserLimit, at('perUserLimit'), 1, 100, 'The limit per shopper');
  checkWindow(problems, input.claimStartsAt, input.claimEndsAt, now, ['claimStartsAt', 'claimEndsAt']);
  if ((input.validDays == null) === (input.validUntil == null)) problems.add(UserErrorCode.INVALID_INPUT, 'Give exactly one of `validDays` and `validUntil`', at('validDays'));
  if (input.validDays != null) checkCount(problems, input.validDays, at('validDays'), 1, 365, 'The days of validity');
  if (input.validUntil != null && (input.validUntil.getTime() <= input.claimStartsAt.getTime() || input.validUntil.getTime() <= now.getTime())) {
    problems.add(UserErrorCode.INVALID_INPUT, '`validUntil` must be after `claimStartsAt` and in the future', at('validUntil'));
  }
  if (input.audience === CouponAudience.MEMBER_LEVEL) {
    if (input.memberLevel == null) problems.add(UserErrorCode.INVALID_INPUT, 'A MEMBER_LEVEL campaign needs `memberLevel`', at('memberLevel'));
    else checkCount(problems, input.memberLevel, at('memberLevel'), 1, 20, 'The member level');
  } else if (input.memberLevel != null) problems.add(UserErrorCode.INVALID_INPUT, 'Only MEMBER_LEVEL campaigns take `memberLevel`', at('memberLevel'));
  const code = input.code == null ? null : input.code.trim().toUpperCase();
  if (code !== null && !CODE.test(code)) problems.add(UserErrorCode.INVALID_INPUT, 'A code is 4 to 32 letters, digits and dashes', at('code'));
  if (input.autoGrant && input.audience !== CouponAudience.NEW_USERS) problems.add(UserErrorCode.INVALID_INPUT, 'Only NEW_USERS campaigns are granted on registration', at('autoGrant'));
  problems.throwIfAny();
  return {
    title,
    kind: input.kind,
    amountOff,
    percentOffBp,
    maxDiscount,
    minSubtotal,
    scope,
    totalQuantity: input.totalQuantity,
    perUserLimit: input.perUserLimit,
    claimStartsAt: input.claimStartsAt,
    claimEndsAt: input.claimEndsAt,
    validDays: input.validDays ?? null,
    validUntil: input.validUntil ?? null,
    audience: input.audience,
    memberLevel: input.memberLevel ?? null,
    code,
    autoGrant: input.autoGrant ?? false,
  };
}

const summary = (c: CouponCampaign) => ({ shopId: c.shop?.id ?? null, title: c.title, kind: c.kind, totalQuantity: c.totalQuantity, audience: c.audience, code: c.code ?? null });

/**
 * Creates a coupon campaign: a shop's own (`shopId`: its PROMOTION_ROLES members, an ACTIVE shop)
 * or a platform-funded one (staff PROMOTION_STAFF; audited). Every field is checked first
 * (INVALID_INPUT naming it), then the scope's products and categories. A code already used by
 * another campaign is INVALID_INPUT on `code` (the unique index decides between two at once).
 */
export async function createCouponCampaign(ctx: Context, input: CouponCampaignInput): Promise<CouponCampaign> {
  const shopId = input.shopId ?? null;
  if (!shopId) requirePromotionStaff(ctx);
  const fields = parseCampaign(ctx, input);
  const codeTaken = (message: string) => (message.includes('coupon_campaign_code_unique') ? new Failure(UserErrorCode.INVALID_INPUT, 'Another campaign uses this code', ['input', 'code']) : undefined);
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        await lockRunningShop(ctx, em, shopId);
        await checkScopeReferences(em, input.scope, shopId, ['input', 'scope']);
        const now = ctx.now();
        const campaign = em.create(CouponCampaign, {
          ...fields,
          shop: shopId ? em.getReference(Shop, shopId) : null,
          createdBy: em.getReference(User, ctx.viewer.userId!),
          createdAt: now,
          updatedAt: now,
        });
        await em.flush();
        if (!shopId) {
          recordAudit(ctx, em, { action: 'couponCampaign.create', targetType: 'CouponCampaign', targetId: campaign.id, after: summary(campaign) });
          await em.flush();
        }
        return campaign;
      }),
    codeTaken,
  );
}

/**
 * Ends a campaign's claiming now (one already ENDED is INVALID_TRANSITION): its shop's
 * PROMOTION_ROLES members, or staff PROMOTION_STAFF (audited); to anyone else it does not exist.
 * Coupons already claimed stay usable until their validity ends.
 */
export async function endCouponCampaign(ctx: Context, id: string): Promise<CouponCampaign> {
  return ctx.em.transactional(async (em) => {
    const found = await entityWhere(em, CouponCampaign, 'e.id = ?', [id]);
    if (!found) throw new NotFoundError('No such coupon campaign');
    const asStaff = await authorizeStop(ctx, em, found.shop?.id ?? null, 'No such coupon campaign');
    const campaign = (await lockById(em, CouponCampaign, id))!;
    const now = ctx.now();
    const before = couponCampaignStatus(campaign, now);
    transition(COUPON_CAMPAIGN_TRANSITIONS, 'end', before, 'coupon campaign');
    campaign.endedAt = now;
    campaign.updatedAt = now;
    if (asStaff) recordAudit(ctx, em, { action: 'couponCampaign.end', targetType: 'CouponCampaign', targetId: campaign.id, before: { status: before }, after: { status: ENDED } });
    await em.flush();
    return campaign;
  });
}

// --- Claiming -----------------------------------------------------------------------------------

export interface ClaimCouponInput {
  /** Database key of a campaign without a code. */
  campaignId?: string | null;
  /** A code campaign's code, any case. */
  code?: string | null;
}

const COUNT = rowShape({ n: 'int' });
const STATUS = rowShape({ status: 'text' });
const LEVEL = rowShape({ level_rank: 'int' });

/** Whether the user has paid for an order (one probe of `orders_buyer_idx`). */
async function hasPaidOrder(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await selectRows(em, COUNT, 'select 1 as n from orders where buyer_id = ? and paid_at is not null limit 1', [userId]);
  return rows.length > 0;
}

/**
 * What may stop `userId` claiming from `campaign` at `now`, whatever others do: outside its claim
 * window, ended, or its coupons' validity over (COUPON_EXPIRED); its shop not trading, a new-user
 * campaign and a paid order already, a member level above the shopper's (COUPON_NOT_APPLICABLE).
 */
async function checkClaimant(em: EntityManager, campaign: CouponCampaign, userId: string, now: Date): Promise<void> {
  const status = couponCampaignStatus(campaign, now);
  if (status === UPCOMING || status === ENDED) {
    throw new Failure(UserErrorCode.COUPON_EXPIRED, 'This campaign is not open for claiming');
  }
  if (campaign.shop) {
    const [shop] = await selectRows(em, STATUS, 'select status from shop where id = ?', [campaign.shop.id]);
    if (shop?.status !== ShopStatus.ACTIVE) throw new Failure(UserErrorCode.COUPON_NOT_APPLICABLE, 'The shop of this coupon is not trading');
  }
  if (campaign.audience === CouponAudience.NEW_USERS && (await hasPaidOrder(em, userId))) {
    throw new Failure(UserErrorCode.COUPON_NOT_APPLICABLE, 'This coupon is for new shoppers, before their first paid order');
  }
  if (campaign.audience === CouponAudience.MEMBER_LEVEL) {
    // The level held: `member.level_rank`, 0 without a row.
    const [member] = await selectRows(em, LEVEL, 'select level_rank from member where user_id = ?', [userId]);
    if ((member?.level_rank ?? 0) < campaign.memberLevel!) throw new Failure(UserErrorCode.COUPON_NOT_APPLICABLE, `This coupon is for members of level ${campaign.memberLevel} and above`);
  }
}

/**
 * A signed-in shopper claims a coupon, by the campaign's ID (a campaign without a code) or by a
 * code (any case). An unknown campaign or code, or a code campaign named by its ID, is NOT_FOUND.
 * After `checkClaimant`, the shopper's claims of the campaign are serialised by an advisory lock:
 * holding `perUserLimit` coupons of it already (used or not) is COUPON_LIMIT_REACHED; then one
 * coupon is taken by a conditional update, none left being COUPON_SOLD_OUT. The coupon is valid
 * from now until the campaign's `validUntil`, or for its `validDays`.
 */
export async function claimCoupon(ctx: Context, input: ClaimCouponInput): Promise<UserCoupon> {
  if ((input.campaignId == null) === (input.code == null)) throw new Failure(UserErrorCode.INVALID_INPUT, 'Give exactly one of `campaignId` and `code`', ['input', 'campaignId']);
  const userId = ctx.viewer.userId!;
  return ctx.em.transactional(async (em) => {
    const campaign =
      input.campaignId != null
        ? await entityWhere(em, CouponCampaign, 'e.id = ? and e.code is null', [input.campaignId])
        : await entityWhere(em, CouponCampaign, 'e.code = ?', [input.code!.trim().toUpperCase()]);
    if (!campaign) throw new NotFoundError(input.campaignId != null ? 'No such coupon campaign' : 'No coupon has this code');
    const now = ctx.now();
    await checkClaimant(em, campaign, userId, now);
    await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`coupon-claim:${campaign.id}:${userId}`]);
    const [held] = await selectRows(em, COUNT, 'select count(*)::int as n from user_coupon where campaign_id = ? and user_id = ?', [campaign.id, userId]);
    if (held.n >= campaign.perUserLimit) throw new Failure(UserErrorCode.COUPON_LIMIT_REACHED, `You already hold ${held.n} coupon(s) of this campaign, its limit per shopper`);
    const taken = await em.execute<{ id: string }[]>(
      'update coupon_campaign set claimed = claimed + 1, updated_at = ? where id = ? and claimed < total_quantity and ended_at is null returning id',
      [now, campaign.id],
    );
    if (taken.length === 0) throw new Failure(UserErrorCode.COUPON_SOLD_OUT, 'Every coupon of this campaign has been claimed');
    const coupon = em.create(UserCoupon, {
      campaign,
      user: em.getReference(User, userId),
      claimedAt: now,
      validFrom: now,
      validUntil: campaign.validUntil ?? new Date(now.getTime() + campaign.validDays! * DAY),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    return coupon;
  });
}

/**
 * Registration's gift (新人券): one coupon to the new user `userId` from every NEW_USERS campaign
 * with `autoGrant` that is claimable at `at` (of the platform or an ACTIVE shop), in the caller's
 * transaction. The campaigns are locked in id order first (concurrent registrations never
 * deadlock), then one statement takes a coupon from each that has one left and inserts them.
 * Returns how many were granted.
 */
export async function grantNewUserCoupons(em: EntityManager, userId: string, at: Date): Promise<number> {
  const open = `select e.id from coupon_campaign e where e.audience = ? and e.auto_grant and ${CLAIMABLE_SQL} and ${OF_ACTIVE_SHOP}`;
  const ids = await lockKeys(em, CouponCampaign, { subquery: open, params: [CouponAudience.NEW_USERS, at, at, at] });
  if (ids.length === 0) return 0;
  const granted = await em.execute<{ id: string }[]>(
    `with taken as (
       update coupon_campaign set claimed = claimed + 1, updated_at = ?
       where id in (?) and claimed < total_quantity
       returning id, valid_days, valid_until)
     insert into user_coupon (campaign_id, user_id, status, claimed_at, valid_from, valid_until, created_at, updated_at)
     select t.id, ?, ?, ?, ?, coalesce(t.valid_until, cast(? as timestamptz) + t.valid_days * interval '1 day'), ?, ?
     from taken t
     returning id`,
    [at, ids, userId, AVAILABLE, at, at, at, at, at],
  );
  return granted.length;
}

/**
 * Grants one coupon of the platform campaign `campaignId` to each (user, grant key) the SELECT
 * `select` yields (columns user_id, grant_key; its parameters `params`), in the caller's
 * transaction, while the campaign is CLAIMABLE at `at`: the campaign is locked first, then one
 * statement takes what coupons are left (in grant key and user order) and inserts them. A
 * (campaign, user, grant key) already granted is skipped (`user_coupon_grant_unique`), so a grant
 * keyed by its period or its event ("referral:<id>") is given once however often it runs.
 * Returns the users granted, once per coupon.
 */
export async function grantCampaignCouponsFrom(em: EntityManager, campaignId: string, select: string, params: unknown[], at: Date): Promise<string[]> {
  const locked = await lockKeys(em, CouponCampaign, { subquery: `select e.id from coupon_campaign e where e.id = ? and e.shop_id is null and ${CLAIMABLE_SQL}`, params: [campaignId, at, at, at] });
  if (locked.length === 0) return [];
  const granted = await selectRows(
    em,
    rowShape({ user_id: 'key' }),
    `with c as (
       select e.id, e.valid_days, e.valid_until, e.total_quantity - e.claimed as remaining from coupon_campaign e where e.id = ?
     ), todo as (
       select g.user_id, g.grant_key, row_number() over (order by g.grant_key, g.user_id) as n
       from (select distinct s.user_id::bigint as user_id, s.grant_key::text as grant_key from (${select}) s) g
       where not exists (select 1 from user_coupon uc where uc.campaign_id = ? and uc.user_id = g.user_id and uc.grant_key = g.grant_key)
     ), inserted as (
       insert into user_coupon (campaign_id, user_id, status, claimed_at, valid_from, valid_until, grant_key, created_at, updated_at)
       select c.id, t.user_id, ?, ?, ?, coalesce(c.valid_until, cast(? as timestamptz) + c.valid_days * interval '1 day'), t.grant_key, ?, ?
       from todo t cross join c where t.n <= c.remaining
       on conflict (campaign_id, user_id, grant_key) do nothing
       returning user_id
     ), taken as (
       update coupon_campaign set claimed = claimed + (select count(*) from inserted), updated_at = ?
       where id = ? and exists (select 1 from inserted)
     )
     select user_id from inserted`,
    [campaignId, ...params, campaignId, AVAILABLE, at, at, at, at, at, at, campaignId],
  );
  return granted.map((r) => r.user_id);
}

/** `grantCampaignCouponsFrom` for a list of grants. */
export function grantCampaignCoupons(em: EntityManager, campaignId: string, grants: { userId: string; grantKey: string }[], at: Date): Promise<string[]> {
  if (grants.length === 0) return Promise.resolve([]);
  return grantCampaignCouponsFrom(
    em,
    campaignId,
    `select (g->>'userId')::bigint as user_id, g->>'grantKey' as grant_key from jsonb_array_elements(?::jsonb) g`,
    [JSON.stringify(grants)],
    at,
  );
}

/**
 * `expire-coupons`: marks EXPIRED, in one statement, every AVAILABLE coupon whose validity ended by
 * `deps.clock.now()`; a second run finds none. Returns how many expired.
 */
export async function expireCoupons(deps: SystemDeps, em: EntityManager): Promise<number> {
  const now = deps.clock.now();
  const [row] = await selectRows(
    em,
    COUNT,
    'with expired as (update user_coupon set status = ?, updated_at = ? where status = ? and valid_until <= ? returning 1) select count(*)::int as n from expired',
    [EXPIRED, now, AVAILABLE, now],
  );
  return row.n;
}

// --- Reading ------------------------------------------------------------------------------------

/** One campaign by database key: for insiders (`isPromotionInsider`) any; for anyone else one without a code, of the platform or an ACTIVE shop; else null. */
export async function visibleCouponCampaign(ctx: Context, key: string): Promise<CouponCampaign | null> {
  const campaign = await ctx.loaders.couponCampaignById.load(key);
  if (!campaign || (await isPromotionInsider(ctx, campaign.shop?.id ?? null))) return campaign;
  if (campaign.code) return null;
  return (await runsInActiveShop(ctx, campaign.shop?.id ?? null)) ? campaign : null;
}

export interface CouponCampaignFilterInput {
  /** Database key. */
  shopId?: string | null;
  /** true: only CLAIMABLE campaigns; false: only the others. */
  claimable?: boolean | null;
}

/**
 * Coupon campaigns, newest first (keyset on the id): staff PROMOTION_STAFF see every one, a shop's
 * members every one of their shop when `shopId` names it; anyone else sees the CLAIMABLE ones
 * without a code, of the platform and of ACTIVE shops, MEMBER_LEVEL ones only from their level
 * (`claimable: false` finds nothing for them).
 */
export async function listCouponCampaigns(ctx: Context, args: PageArgs & { filter?: CouponCampaignFilterInput | null }): Promise<Page<CouponCampaign>> {
  const window = pageWindow(args, ['id']);
  const f = args.filter ?? {};
  const keyOf = (c: CouponCampaign) => [c.id];
  const insider = await isPromotionInsider(ctx, f.shopId ?? null);
  if (!insider && f.claimable === false) return page([], window, keyOf, async () => 0);
  const now = ctx.now();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(CouponCampaign, 'e');
    if (f.shopId) qb.andWhere({ shop: f.shopId });
    if (!insider || f.claimable === true) qb.andWhere(CLAIMABLE_SQL, [now, now, now]);
    if (f.claimable === false) qb.andWhere(`not (${CLAIMABLE_SQL})`, [now, now, now]);
    if (!insider) qb.andWhere(`e.code is null and ${OF_ACTIVE_SHOP}`);
    // MEMBER_LEVEL campaigns only to members at their level or above (anonymous callers hold level 0).
    if (!insider) qb.andWhere(`(e.audience <> '${CouponAudience.MEMBER_LEVEL}' or e.member_level <= coalesce((select m.level_rank from member m where m.user_id = ?), 0))`, [ctx.viewer.userId ?? null]);
    return qb;
  };
  return newestFirst(base, window);
}

/** The viewer's coupon by database key; anyone else's is null. */
export async function visibleUserCoupon(ctx: Context, key: string): Promise<UserCoupon | null> {
  const coupon = await ctx.loaders.userCouponById.load(key);
  return coupon && coupon.user.id === ctx.viewer.userId ? coupon : null;
}

/**
 * The viewer's coupons, newest claim first (keyset on the id): `usable: true` those AVAILABLE and
 * valid now, `usable: false` the rest (used, expired, not yet or no longer valid).
 */
export async function myCoupons(ctx: Context, args: PageArgs & { filter?: { usable?: boolean | null } | null }): Promise<Page<UserCoupon>> {
  const window = pageWindow(args, ['id']);
  const usable = args.filter?.usable;
  const now = ctx.now();
  const base = () => {
    const qb = ctx.em.createQueryBuilder(UserCoupon, 'e').andWhere({ user: ctx.viewer.userId! });
    if (usable === true) qb.andWhere(USABLE_SQL, [now, now]);
    if (usable === false) qb.andWhere(`not (${USABLE_SQL})`, [now, now]);
    return qb;
  };
  return newestFirst(base, window);
}
