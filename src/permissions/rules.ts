import { rule } from 'graphql-shield';
import type { Context } from '../context';
import { type ShopMemberRole, type StaffRole, Shop, User } from '../entities';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { decodeId } from '../schema/shared/globalId';

/**
 * Rule helpers for the shield tree. A rule returns true, or the error to report: UNAUTHENTICATED
 * for anonymous callers, FORBIDDEN for a role that may not, NOT_FOUND for another shop's object.
 */

export const isSignedIn = rule('isSignedIn', { cache: 'contextual' })((_parent, _args, ctx: Context) =>
  ctx.viewer.isSignedIn ? true : new UnauthenticatedError(),
);

/** Staff holding one of `roles`; ADMIN always passes. `isStaff()` with no roles: ADMIN only. */
export function isStaff(...roles: StaffRole[]) {
  return memo(`isStaff(${roles.join(',')})`, (name) => rule(name, { cache: 'contextual' })((_parent, _args, ctx: Context) => {
    if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
    return ctx.viewer.hasStaffRole(...roles) ? true : new ForbiddenError();
  }));
}

/** Staff of any role. */
export const isAnyStaff = rule('isAnyStaff', { cache: 'contextual' })((_parent, _args, ctx: Context) => {
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  return ctx.viewer.isStaff ? true : new ForbiddenError();
});

// Shield requires one rule instance per name: factories hand out the same instance for the same roles.
const rules = new Map<string, ReturnType<ReturnType<typeof rule>>>();
function memo(name: string, make: (name: string) => ReturnType<ReturnType<typeof rule>>) {
  let r = rules.get(name);
  if (!r) rules.set(name, (r = make(name)));
  return r;
}

type Args = Record<string, unknown> & { input?: Record<string, unknown> };

/**
 * The shop a field acts on: `input.shopId` or `shopId` in the arguments (global IDs), else the
 * parent object (a Shop, or anything with a `shop`).
 */
export function shopIdOf(parent: unknown, args: Args): string | undefined {
  const fromArgs = args.input?.shopId ?? args.shopId;
  if (typeof fromArgs === 'string') return decodeId('Shop', fromArgs);
  if (parent instanceof Shop) return parent.id;
  const shop = (parent as { shop?: { id?: string } } | null)?.shop;
  return typeof shop?.id === 'string' ? shop.id : undefined;
}

type ShopLocator = (parent: unknown, args: Args, ctx: Context) => Promise<string | undefined> | string | undefined;

/**
 * A rule for members of the shop located by `locate`, with one of `roles` (any role when none is
 * given). A non-member gets NOT_FOUND — another shop's objects do not exist for them — and a
 * member whose role is too low gets FORBIDDEN. With `platformStaff`, an operation that names no
 * shop is the platform's own: staff with one of those roles pass, anyone else is FORBIDDEN.
 */
function shopRule(name: string, locate: ShopLocator, roles: ShopMemberRole[], platformStaff?: StaffRole[]) {
  return memo(name, (ruleName) =>
    rule(ruleName, { cache: 'no_cache' })(async (parent, args: Args, ctx: Context) => {
      if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
      // Returned, not thrown: shield turns a thrown error into a silent FORBIDDEN. An unexpected
      // error (a failed query) is returned as is, so it is logged and masked as an internal error.
      try {
        const shopId = await locate(parent, args, ctx);
        if (!shopId && platformStaff) return ctx.viewer.hasStaffRole(...platformStaff) ? true : new ForbiddenError();
        if (!shopId) return new NotFoundError();
        const role = await ctx.viewer.roleIn(shopId);
        if (!role) return new NotFoundError();
        return roles.length === 0 || roles.includes(role) ? true : new ForbiddenError();
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );
}

/** Members of the shop named by `input.shopId`, `shopId`, or the parent object. */
export function isShopMember(...roles: ShopMemberRole[]) {
  return shopRule(`isShopMember(${roles.join(',')})`, shopIdOf, roles);
}

/**
 * Operations a shop or the platform runs (promotions, coupon campaigns): with `input.shopId`, that
 * shop's members with one of `roles`; without, staff with one of `staffRoles` (ADMIN passes).
 */
export function isShopMemberOrPlatformStaff(roles: ShopMemberRole[], staffRoles: StaffRole[]) {
  const locate: ShopLocator = (_p, args) => (typeof args.input?.shopId === 'string' ? decodeId('Shop', args.input.shopId) : undefined);
  return shopRule(`isShopMemberOrPlatformStaff(${roles.join(',')}|${staffRoles.join(',')})`, locate, roles, staffRoles);
}

/** Members of the shop whose global ID is `input.id` (e.g. `activateShop`). */
export function isShopMemberOfInputId(...roles: ShopMemberRole[]) {
  return shopRule(`isShopMemberOfInputId(${roles.join(',')})`, (_p, args) => decodeId('Shop', String(args.input?.id)), roles);
}

/** Shop-owned tables a rule may look the shop up in, by the owned object's global ID. */
const SHOP_OWNED = { ShopMember: 'shop_member', ShopInvitation: 'shop_invitation', Product: 'product', Order: 'orders', ProductVariant: 'product_variant', ShippingTemplate: 'shipping_template', Promotion: 'promotion', CouponCampaign: 'coupon_campaign', BargainCampaign: 'bargain_campaign', Review: 'review', WebhookSubscription: 'webhook_subscription', ShopViolation: 'shop_violation' } as const;

/**
 * Members of the shop that owns the object whose global ID is `input[argKey]` (a shop member, an
 * invitation …). The lookup is one indexed query by primary key.
 */
export function isMemberOfShopOwning(type: keyof typeof SHOP_OWNED, argKey: string, ...roles: ShopMemberRole[]) {
  return shopRule(`isMemberOfShopOwning(${type}.${argKey}:${roles.join(',')})`, async (_p, args, ctx) => {
    const key = decodeId(type, String(args.input?.[argKey]));
    const [row] = await ctx.em.getConnection().execute<{ shop_id: string | null }[]>(`select shop_id from ${SHOP_OWNED[type]} where id = ?`, [key]);
    // A platform promotion or coupon campaign has no shop: no member may act on it.
    return row?.shop_id != null ? String(row.shop_id) : undefined;
  }, roles);
}

// Parent-based rules are not cached: shield's strict cache hashes the parent, and entity graphs are
// large and cyclic. They are cheap, and memberships are memoised per request on the viewer.
export const isSelfOrStaff = rule('isSelfOrStaff', { cache: 'no_cache' })((parent: User, _args, ctx: Context) => {
  if (ctx.signedInUserId === parent.id) return true;
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  return ctx.viewer.userId === parent.id || ctx.viewer.isStaff ? true : new ForbiddenError();
});
