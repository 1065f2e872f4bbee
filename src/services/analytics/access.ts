import type { Context } from '../../context';
import { type Category, type CouponCampaign, type FlashSale, type Promotion, type Shop, ShopMemberRole as M, StaffRole as S } from '../../entities';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../errors';

/**
 * Who may read analytics, named once: the shield tree (src/permissions) asks `analyticsAccess`
 * before a resolver runs, and the services ask it again (`requireAnalyticsAccess`) where they read.
 * Both look the scope up through the request's DataLoaders, so the second check costs no statement.
 *
 * Order of the answers: anonymous → UNAUTHENTICATED; an unknown shop, category or campaign →
 * NOT_FOUND; then the roles → FORBIDDEN (another shop's members and shoppers included).
 */

/** Staff who read every figure: the platform's, any category's and any shop's (ADMIN passes too). */
export const ANALYTICS_STAFF: readonly S[] = [S.ANALYST, S.FINANCE];
/** Shop roles that read their own shop's figures and its campaigns' reports. */
export const SHOP_ANALYTICS_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.FINANCE];
/** Staff who read campaign reports, the platform's and the shops' (ADMIN passes too). */
export const CAMPAIGN_REPORT_STAFF: readonly S[] = [S.ANALYST, S.FINANCE, S.OPERATIONS];

/** A campaign a report can be asked for, by the node type of its global ID. */
export type CampaignKind = 'PROMOTION' | 'COUPON_CAMPAIGN' | 'FLASH_SALE';
export type CampaignEntity = Promotion | CouponCampaign | FlashSale;

/** What a read is about: the platform's figures, a shop's, a category's, a product ranking, or one campaign (database keys). */
export type AnalyticsTarget =
  | { kind: 'PLATFORM' }
  | { kind: 'SHOP'; shopId: string }
  | { kind: 'CATEGORY'; categoryId: string }
  | { kind: 'PRODUCTS'; shopId?: string | null; categoryId?: string | null }
  | { kind: 'CAMPAIGN'; campaign: CampaignKind; key: string };

export type AnalyticsAccess = 'ALLOWED' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

/** The shop with key `shopId`, or null (through the request's loader: loaded once per request). */
export function shopOf(ctx: Context, shopId: string): Promise<Shop | null> {
  return ctx.loaders.shopById.load(shopId);
}

/** The category with key `categoryId`, or null. */
export function categoryOf(ctx: Context, categoryId: string): Promise<Category | null> {
  return ctx.loaders.categoryById.load(categoryId);
}

/** The campaign of `kind` with key `key`, or null. */
export function campaignOf(ctx: Context, kind: CampaignKind, key: string): Promise<CampaignEntity | null> {
  switch (kind) {
    case 'PROMOTION':
      return ctx.loaders.promotionById.load(key);
    case 'COUPON_CAMPAIGN':
      return ctx.loaders.couponCampaignById.load(key);
    case 'FLASH_SALE':
      return ctx.loaders.flashSaleById.load(key);
  }
}

/** The shop running a campaign; null for the platform's own (platform promotions and coupons, and every flash sale). */
export function campaignShopId(campaign: CampaignEntity): string | null {
  return 'shop' in campaign ? (campaign.shop?.id ?? null) : null;
}

async function shopMemberMay(ctx: Context, shopId: string): Promise<boolean> {
  const role = await ctx.viewer.roleIn(shopId);
  return role !== undefined && SHOP_ANALYTICS_ROLES.includes(role);
}

/**
 * Whether the viewer may read `target`:
 * - PLATFORM and CATEGORY figures (and rankings of every shop's products): staff ANALYST, FINANCE (ADMIN).
 * - SHOP figures and rankings of a shop's products: those staff, and the shop's OWNER, MANAGER and
 *   FINANCE members.
 * - A CAMPAIGN report: staff ANALYST, FINANCE, OPERATIONS (ADMIN); for a shop's campaign also its
 *   OWNER, MANAGER and FINANCE members.
 */
export async function analyticsAccess(ctx: Context, target: AnalyticsTarget): Promise<AnalyticsAccess> {
  if (!ctx.viewer.isSignedIn) return 'UNAUTHENTICATED';
  const staff = ctx.viewer.hasStaffRole(...ANALYTICS_STAFF);
  switch (target.kind) {
    case 'PLATFORM':
      return staff ? 'ALLOWED' : 'FORBIDDEN';
    case 'CATEGORY':
      if (!(await categoryOf(ctx, target.categoryId))) return 'NOT_FOUND';
      return staff ? 'ALLOWED' : 'FORBIDDEN';
    case 'SHOP':
      if (!(await shopOf(ctx, target.shopId))) return 'NOT_FOUND';
      return staff || (await shopMemberMay(ctx, target.shopId)) ? 'ALLOWED' : 'FORBIDDEN';
    case 'PRODUCTS': {
      const [shop, category] = await Promise.all([target.shopId ? shopOf(ctx, target.shopId) : null, target.categoryId ? categoryOf(ctx, target.categoryId) : null]);
      if ((target.shopId && !shop) || (target.categoryId && !category)) return 'NOT_FOUND';
      if (staff) return 'ALLOWED';
      return target.shopId && (await shopMemberMay(ctx, target.shopId)) ? 'ALLOWED' : 'FORBIDDEN';
    }
    case 'CAMPAIGN': {
      const campaign = await campaignOf(ctx, target.campaign, target.key);
      if (!campaign) return 'NOT_FOUND';
      if (ctx.viewer.hasStaffRole(...CAMPAIGN_REPORT_STAFF)) return 'ALLOWED';
      const shopId = campaignShopId(campaign);
      if (shopId !== null && (await shopMemberMay(ctx, shopId))) return 'ALLOWED';
      // Another shop's campaign, or a platform one, does not exist for a shopper or another shop's
      // member (campaigns not live yet are not public); the shop's other roles and staff are refused.
      if (!ctx.viewer.isStaff && (shopId === null || !(await ctx.viewer.roleIn(shopId)))) return 'NOT_FOUND';
      return 'FORBIDDEN';
    }
  }
}

/** The error `access` stands for (null when allowed): what the shield rule returns and the services throw. */
export function accessError(access: AnalyticsAccess): Error | null {
  switch (access) {
    case 'ALLOWED':
      return null;
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError();
    case 'NOT_FOUND':
      return new NotFoundError();
    case 'FORBIDDEN':
      return new ForbiddenError();
  }
}

/** `analyticsAccess`, throwing UNAUTHENTICATED, NOT_FOUND or FORBIDDEN. */
export async function requireAnalyticsAccess(ctx: Context, target: AnalyticsTarget): Promise<void> {
  const error = accessError(await analyticsAccess(ctx, target));
  if (error) throw error;
}
