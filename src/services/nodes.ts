import type { Context } from '../context';
import { InvitationStatus, MerchantApplication, MerchantApplicationStatus, Payment, Refund, ShopInvitation, ShopMember, ShopMemberRole, StaffRole } from '../entities';
import { isBigintKey, parseGlobalId } from '../schema/globalId';
import { visibleAddress } from './addresses';
import { visibleCart, visibleCartLine } from './cart';
import { visibleProduct } from './catalog';
import { visibleCheckout, visibleOrder } from './orderQueries';
import { visibleShippingTemplate } from './shipping';
import { visibleShop } from './shops';
import { visibleStocktake } from './stock';
import { visibleCourse } from './training';

/** Loads one node by database key, or null when absent or not visible to the viewer. */
type NodeFetcher = (ctx: Context, key: string) => Promise<object | null>;

/**
 * Every type `node(id:)` can refetch, with its visibility rule. An object the viewer may not see
 * is indistinguishable from an absent one.
 */
const fetchers: Record<string, NodeFetcher> = {
  async User(ctx, key) {
    if (ctx.viewer.userId !== key && !ctx.viewer.isStaff) return null;
    return ctx.loaders.userById.load(key);
  },
  Shop: visibleShop,
  async ShopMember(ctx, key) {
    const member = await ctx.em.findOne(ShopMember, { id: key });
    if (!member) return null;
    return member.user.id === ctx.viewer.userId || ctx.viewer.isStaff || (await ctx.viewer.roleIn(member.shop.id)) ? member : null;
  },
  async ShopInvitation(ctx, key) {
    const invitation = await ctx.em.findOne(ShopInvitation, { id: key });
    if (!invitation) return null;
    if ((invitation.email === ctx.viewer.user?.email && invitation.status === InvitationStatus.PENDING) || ctx.viewer.isStaff) return invitation;
    return (await ctx.viewer.roleIn(invitation.shop.id)) === ShopMemberRole.OWNER ? invitation : null;
  },
  async Category(ctx, key) {
    return ctx.loaders.categoryById.load(key);
  },
  async Brand(ctx, key) {
    return ctx.loaders.brandById.load(key);
  },
  Product: visibleProduct,
  Order: visibleOrder,
  Checkout: visibleCheckout,
  async Payment(ctx, key) {
    const payment = await ctx.em.findOne(Payment, { id: key });
    return payment && (await visibleCheckout(ctx, payment.checkout.id)) ? payment : null;
  },
  async Refund(ctx, key) {
    const refund = await ctx.em.findOne(Refund, { id: key }, { populate: ['payment'] });
    return refund && (await visibleCheckout(ctx, refund.payment.checkout.id)) ? refund : null;
  },
  async ProductVariant(ctx, key) {
    const variant = await ctx.loaders.variantById.load(key);
    return variant && !variant.archived && (await visibleProduct(ctx, variant.product.id)) ? variant : null;
  },
  Stocktake: visibleStocktake,
  async MerchantApplication(ctx, key) {
    const app = await ctx.em.findOne(MerchantApplication, { id: key });
    if (!app) return null;
    if (app.applicant.id === ctx.viewer.userId) return app;
    return ctx.viewer.hasStaffRole(StaffRole.REVIEWER) && app.status !== MerchantApplicationStatus.DRAFT ? app : null;
  },
  async TrainingCourse(ctx, key) {
    return ctx.viewer.isSignedIn ? visibleCourse(ctx, key) : null;
  },
  // The owner only (a cart's key is its owner's user id).
  Address: visibleAddress,
  Cart: visibleCart,
  CartLine: visibleCartLine,
  // The shop's members and staff.
  ShippingTemplate: visibleShippingTemplate,
};

export async function fetchNode(ctx: Context, id: string): Promise<object | null> {
  const parsed = parseGlobalId(id);
  const fetcher = parsed && Object.hasOwn(fetchers, parsed.type) ? fetchers[parsed.type] : undefined;
  if (!parsed || !fetcher || !isBigintKey(parsed.key)) return null;
  return fetcher(ctx, parsed.key);
}
