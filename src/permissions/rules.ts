import { rule } from 'graphql-shield';
import type { Context } from '../context';
import { type ShopMemberRole, type StaffRole, Shop, User } from '../entities';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { decodeId } from '../schema/globalId';

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

/**
 * Members of the shop in question with one of `roles` (any role when none is given). A non-member
 * gets NOT_FOUND — another shop's objects do not exist for them — and a member whose role is too
 * low gets FORBIDDEN.
 */
export function isShopMember(...roles: ShopMemberRole[]) {
  return memo(`isShopMember(${roles.join(',')})`, (name) => rule(name, { cache: 'no_cache' })(async (parent, args: Args, ctx: Context) => {
    if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
    let shopId: string | undefined;
    try {
      shopId = shopIdOf(parent, args);
    } catch (err) {
      return err as Error;
    }
    if (!shopId) return new NotFoundError();
    const role = await ctx.viewer.roleIn(shopId);
    if (!role) return new NotFoundError();
    return roles.length === 0 || roles.includes(role) ? true : new ForbiddenError();
  }));
}

/** A User's private fields: the user themself, or staff. */
// Parent-based rules are not cached: shield's strict cache hashes the parent, and entity graphs are
// large and cyclic. They are cheap, and memberships are memoised per request on the viewer.
export const isSelfOrStaff = rule('isSelfOrStaff', { cache: 'no_cache' })((parent: User, _args, ctx: Context) => {
  if (ctx.signedInUserId === parent.id) return true;
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  return ctx.viewer.userId === parent.id || ctx.viewer.isStaff ? true : new ForbiddenError();
});
