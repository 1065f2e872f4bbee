import type { Context } from '../../context';
import { Faq, InvitationStatus, MerchantApplication, MerchantApplicationStatus, Payment, Refund, ShopInvitation, ShopMember, ShopMemberRole, StaffRole } from '../../entities';
import { visibleProduct } from '../catalog';
import { visibleAddress } from '../identity';
import { visiblePayout, visiblePosting, visibleSettlement } from '../money';
import { visibleStocktake } from '../inventory';
import { visibleCourse, visibleShop } from '../onboarding';
import { visibleCart, visibleCartLine, visibleCheckout, visibleOrder, visibleShippingTemplate } from '../orders';
import { visibleCase, visibleTicket } from '../aftersales';
import { visibleCouponCampaign, visiblePromotion, visibleUserCoupon } from '../promotions';
import { visibleGrowthTask, visibleMemberLevel, visiblePointsEntry } from '../membership';
import { visibleReview } from '../reviews/queries';
import { visibleBargain, visibleBargainCampaign, visibleFlashSale, visibleFlashSaleItem, visibleGroup, visibleGroupBuy } from '../campaigns';
import { visibleWebhookDelivery, visibleWebhookSubscription } from '../notifications/webhooks';
import { visibleNotification } from '../notifications/inbox';
import { visibleAppeal, visibleProductReport, visibleViolation } from '../risk';
import { visibleRiskRule } from '../risk/rules';

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
  Shop: (ctx, key) => visibleShop(ctx, key),
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
  Product: (ctx, key) => visibleProduct(ctx, key),
  Order: (ctx, key) => visibleOrder(ctx, key),
  Checkout: (ctx, key) => visibleCheckout(ctx, key),
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
  Stocktake: (ctx, key) => visibleStocktake(ctx, key),
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
  Address: (ctx, key) => visibleAddress(ctx, key),
  Cart: (ctx, key) => visibleCart(ctx, key),
  CartLine: (ctx, key) => visibleCartLine(ctx, key),
  // The shop's members and staff.
  ShippingTemplate: (ctx, key) => visibleShippingTemplate(ctx, key),
  // Finance staff and the shop's OWNER and FINANCE members.
  Payout: (ctx, key) => visiblePayout(ctx, key),
  // The shop's OWNER and FINANCE members and FINANCE staff.
  Settlement: (ctx, key) => visibleSettlement(ctx, key),
  // FINANCE staff.
  LedgerPosting: (ctx, key) => visiblePosting(ctx, key),
  // Its requester, staff CUSTOMER_SERVICE and the named shop's OWNER and CUSTOMER_SERVICE members.
  Ticket: (ctx, key) => visibleTicket(ctx, key),
  // Its buyer, the shop's members and staff CUSTOMER_SERVICE.
  AfterSaleCase: (ctx, key) => visibleCase(ctx, key),
  // Anyone.
  Faq: (ctx, key) => ctx.em.findOne(Faq, { id: key }),
  // Anyone while ACTIVE; in any state, its shop's members and staff OPERATIONS.
  Promotion: (ctx, key) => visiblePromotion(ctx, key),
  // Anyone, but a code campaign only its shop's members and staff OPERATIONS.
  CouponCampaign: (ctx, key) => visibleCouponCampaign(ctx, key),
  // Its holder only.
  UserCoupon: (ctx, key) => visibleUserCoupon(ctx, key),
  // Anyone.
  FlashSale: (ctx, key) => visibleFlashSale(ctx, key),
  // Anyone once APPROVED; in any state, its shop's members and staff OPERATIONS.
  FlashSaleItem: (ctx, key) => visibleFlashSaleItem(ctx, key),
  // Anyone while not ended in an ACTIVE shop; in any state, its shop's members and staff OPERATIONS.
  BargainCampaign: (ctx, key) => visibleBargainCampaign(ctx, key),
  // Anyone (a share link): it shows prices and times, no person.
  Bargain: (ctx, key) => visibleBargain(ctx, key),
  // Anyone while its product is on sale; in any state, its shop's members and staff OPERATIONS.
  GroupBuy: (ctx, key) => visibleGroupBuy(ctx, key),
  // Anyone who may see its group buy, and its members.
  Group: (ctx, key) => visibleGroup(ctx, key),
  // Anyone once PUBLISHED; in any state, its author and staff OPERATIONS.
  Review: (ctx, key) => visibleReview(ctx, key),
  GrowthTask: (ctx, key) => visibleGrowthTask(ctx, key),
  MemberLevel: (ctx, key) => visibleMemberLevel(ctx, key),
  PointsEntry: (ctx, key) => visiblePointsEntry(ctx, key),
  Notification: (ctx, key) => visibleNotification(ctx, key),
  // The shop's OWNER and MANAGER members and staff.
  WebhookSubscription: (ctx, key) => visibleWebhookSubscription(ctx, key),
  WebhookDelivery: (ctx, key) => visibleWebhookDelivery(ctx, key),
  // Its reporter and staff RISK and OPERATIONS.
  ProductReport: (ctx, key) => visibleProductReport(ctx, key),
  // The shop's OWNER and MANAGER members and staff.
  ShopViolation: (ctx, key) => visibleViolation(ctx, key),
  ViolationAppeal: (ctx, key) => visibleAppeal(ctx, key),
  // Staff RISK.
  RiskRule: (ctx, key) => visibleRiskRule(ctx, key),
};

/** The object of type `type` with database key `key`, or null when no such type can be refetched, it is absent or not visible. */
export async function fetchNode(ctx: Context, type: string, key: string): Promise<object | null> {
  const fetcher = Object.hasOwn(fetchers, type) ? fetchers[type] : undefined;
  return fetcher ? fetcher(ctx, key) : null;
}
